"""Answers from the outside desks over real servers and the embedded log (seed Art 30,
40): public security's receipt, filing and reconsideration decisions and a court's
ruling arrive on the site's topic, are stored in the inbox and handed to the cases
service as the document type the catalogue names; what the case cannot take is a dead
letter with the cases service's reason, never dropped."""

from __future__ import annotations

import uuid

import grpc
import pytest

from liuhen.paging import case_documents
from liuhen.platform.polling import wait_for
from liuhen.routing.v1 import routing_pb2 as rpb
from services.routing import desk
from tests.support import Site, file_case


def settled(site: Site, tenant: str, message_id: str) -> rpb.Message | None:
    """The inbox message once routing has applied it or given it up."""
    try:
        got = (
            site.client("routing", tenant, "handler1")
            .GetMessage(rpb.GetMessageRequest(name=f"messages/{message_id}"))
            .message
        )
    except grpc.RpcError as exc:  # not delivered yet
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise
        return None
    return got if got.state in (rpb.Message.APPLIED, rpb.Message.DEAD) else None


def from_desk(site: Site, type: str, kind: str, case: str, **payload: object) -> str:
    envelope = desk.desk_envelope(
        type=type,
        desk=desk.desk_of("jiangan", kind),
        recipient="jiangan",
        case_ref=case,
        payload=payload,
    )
    desk.publish_from_desk(site.running["routing"].platform.messages, envelope)
    return envelope.message_id


@pytest.mark.parametrize(
    ("message", "kind", "document_type"),
    [
        ("referral_receipt", "psb", "criminal_referral_receipt"),
        ("police_filing_decision", "psb", "police_filing_decision"),
        ("reconsideration_decision", "psb", "reconsideration_decision"),
        ("court_ruling", "court", "court_ruling"),
    ],
)
def test_art30_a_desk_answer_reaches_the_cases_service_as_its_document_type(
    site: Site, message: str, kind: str, document_type: str
) -> None:
    case = file_case(site)
    message_id = from_desk(site, message, kind, case, filed=False, reason="证据不足")
    got = wait_for(lambda: settled(site, "jiangan", message_id), f"{message} applied or dead")
    assert got.envelope.sender == f"jiangan.{kind}"
    documents = case_documents(site.client("cases", "jiangan", "handler1"), "jiangan", case)
    if got.state == rpb.Message.APPLIED:
        landed = [d for d in documents if d.type == document_type]
        assert landed and landed[0].from_site == f"jiangan.{kind}"
        assert got.detail == f"recorded on the case as {landed[0].name}"
    else:
        # The case was never referred, so the cases service refuses; routing keeps the
        # message, dead, with the cases service's reason (which names the type it got).
        assert got.detail.startswith("could not be applied (")
        assert document_type in got.detail
        assert not [d for d in documents if d.type == document_type]


def test_art30_a_desk_answer_for_a_case_this_site_does_not_have_is_dead(site: Site) -> None:
    message_id = from_desk(
        site, "police_filing_decision", "psb", f"cases/{uuid.uuid4()}", filed=True
    )
    got = wait_for(lambda: settled(site, "jiangan", message_id), "the dead letter")
    assert got.state == rpb.Message.DEAD and "NOT_FOUND" in got.detail


def test_art30_another_districts_police_cannot_answer_jiangan(site: Site) -> None:
    case = file_case(site)
    envelope = desk.desk_envelope(
        type="referral_receipt",
        desk="jiangan.psb",
        recipient="jiangan",
        case_ref=case,
        payload={},
    )
    envelope.sender = "hongshan.psb"  # as a misbehaving desk would write it
    desk.publish_from_desk(site.running["routing"].platform.messages, envelope)
    got = wait_for(lambda: settled(site, "jiangan", envelope.message_id), "the dead letter")
    assert got.state == rpb.Message.DEAD and "route refused" in got.detail
