"""Which service applies which inbound message (DESIGN §7; seed Art 14, 15, 21, 30),
and the desk a test or a demo plays, without servers."""

from __future__ import annotations

import json
import uuid

import pytest

from liuhen.platform.errors import PermissionDenied
from liuhen.platform.messages import SqliteMessageLog
from liuhen.platform.outbox import ROUTES, topic_for_site
from liuhen.routing.v1 import routing_pb2
from services.routing import desk
from services.routing.model import INBOUND, Inbound, classify


@pytest.mark.parametrize(
    ("message", "service", "document_type"),
    [
        ("assistance_reply", "cases", "assistance_reply"),
        ("referral_receipt", "cases", "criminal_referral_receipt"),
        ("police_filing_decision", "cases", "police_filing_decision"),
        ("reconsideration_decision", "cases", "reconsideration_decision"),
        ("court_ruling", "cases", "court_ruling"),
        ("jurisdiction_transfer", "intake", ""),
        ("designation", "intake", ""),
        ("jurisdiction_dispute", "intake", ""),
    ],
)
def test_design7_each_inbound_message_type_has_one_applier(message, service, document_type):
    assert (INBOUND[message].service, INBOUND[message].document_type) == (service, document_type)


def test_design7_every_message_a_site_can_receive_is_applied_or_waits_for_a_person():
    received_by_sites = {t for t, (_, to) in ROUTES.items() if to & {"city", "district"}}
    # An assistance request waits for the assisting handler (Art 21(3)); a district's
    # supervision report waits for the city's supervisors (Art 47).
    assert received_by_sites - set(INBOUND) == {"assistance_request", "supervision_report"}


def test_art30_a_desk_document_without_its_case_is_a_dead_letter():
    msg = Inbound(
        message_id=str(uuid.uuid4()),
        type="police_filing_decision",
        sender="jiangan.psb",
        recipient="jiangan",
    )
    verdict = classify(msg, tenant="jiangan", seen=False)
    assert verdict.action == "dead" and "must name the case" in verdict.reason


def test_art14_a_transfer_needs_no_case_of_the_receiver():
    msg = Inbound(
        message_id=str(uuid.uuid4()),
        type="jurisdiction_transfer",
        sender="jiangan",
        recipient="hongshan",
    )
    assert classify(msg, tenant="hongshan", seen=False).action == "accept"


def test_art30_a_desk_writes_onto_its_own_sites_topic(tmp_path):
    log = SqliteMessageLog(tmp_path / "messages.db")
    log.ensure_topics([topic_for_site("jiangan")])
    try:
        envelope = desk.desk_envelope(
            type="referral_receipt",
            desk=desk.desk_of("jiangan", "psb"),
            recipient="jiangan",
            case_ref=f"cases/{uuid.uuid4()}",
            payload={"received_by": "江岸公安分局"},
        )
        desk.publish_from_desk(log, envelope)
        consumer = log.consumer("t", [topic_for_site("jiangan")])
        [record] = consumer.poll(timeout_s=0.0)
        got = routing_pb2.Envelope.FromString(record.value)
        assert (got.sender, got.type) == ("jiangan.psb", "referral_receipt")
        assert json.loads(got.payload_json) == {"received_by": "江岸公安分局"}
        consumer.close()
    finally:
        log.close()


def test_art30_a_desk_answers_only_its_own_tenant_and_only_with_its_own_messages():
    with pytest.raises(PermissionDenied):
        desk.desk_envelope(
            type="referral_receipt",
            desk="hongshan.psb",
            recipient="jiangan",
            case_ref="cases/x",
            payload={},
        )
    with pytest.raises(PermissionDenied):
        desk.desk_envelope(
            type="court_ruling", desk="jiangan.psb", recipient="jiangan", case_ref="c", payload={}
        )
    with pytest.raises(ValueError):
        desk.desk_envelope(
            type="designation", desk="wuhan", recipient="jiangan", case_ref="c", payload={}
        )
