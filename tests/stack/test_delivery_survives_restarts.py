"""A site-to-site message survives restarts of the routing service and of the Kafka
broker in the middle of delivery: it arrives once and is applied once (DESIGN §7)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.paging import case_documents
from liuhen.routing.v1 import routing_pb2 as rpb
from services.run import start
from tests.stack.conftest import stack
from tests.support import Site, file_case, rid

pytestmark = pytest.mark.stack
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, timeout_s: float = 180.0) -> T:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            value = probe()
        except Exception:  # a service or the broker still coming back
            value = None
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def restart_routing(site: Site) -> None:
    site.running["routing"].stop(grace=0)
    site.running["routing"] = start("routing", site.settings)


def test_design7_message_survives_routing_and_kafka_restarts_and_is_applied_once(
    stack_site: Site,
) -> None:
    site = stack_site
    case = file_case(site)
    handler, head = (
        site.client("cases", "jiangan", "handler1"),
        site.client("cases", "jiangan", "head1"),
    )
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type="assistance_request",
            content_json=json.dumps({"matters": "核实工资发放"}),
        )
    ).document
    handler.SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    head.ApproveDocument(cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name))

    site.running["routing"].stop(grace=0)  # the routing service is down when the case moves
    sent = handler.SendAssistanceRequest(
        cpb.SendAssistanceRequestRequest(request_id=rid(), document=doc.name, recipient="hongshan")
    )
    stack("down", "kafka")  # and the broker goes down before the relay could publish
    try:
        site.running["routing"] = start("routing", site.settings)
        time.sleep(3)  # the relay tries and fails; the message stays pending in the outbox
    finally:
        stack("up", "kafka")

    peer = site.client("routing", "hongshan", "handler1")

    def requests() -> list[rpb.Message]:
        return [
            m
            for m in peer.ListMessages(
                rpb.ListMessagesRequest(
                    direction="inbox", type="assistance_request", order_by="time desc"
                )
            ).messages
            if m.envelope.message_id == sent.message_id
        ]

    request = eventually(requests, "the request at hongshan after the restarts")[0]
    restart_routing(site)  # a second restart must not deliver it again
    answer = peer.ReplyToAssistanceRequest(
        rpb.ReplyToAssistanceRequestRequest(
            request_id=rid(), message=request.name, findings="属实", handler_name="洪山承办人"
        )
    )
    restart_routing(site)  # down again while the reply is on its way

    def replies() -> list[cpb.Document]:
        docs = case_documents(handler, "jiangan", case)
        return [d for d in docs if d.type == "assistance_reply"]

    eventually(replies, "the reply on the jiangan case")
    time.sleep(2)  # let any duplicate delivery surface
    assert len(requests()) == 1
    assert len(replies()) == 1
    outbox = (
        site.client("routing", "hongshan", "handler1")
        .ListMessages(
            rpb.ListMessagesRequest(
                direction="outbox", type="assistance_reply", order_by="time desc"
            )
        )
        .messages
    )
    assert [m.state for m in outbox if m.name == answer.message.name] == [rpb.Message.SENT]
    assert handler.VerifyLedger(cpb.VerifyLedgerRequest(case=case)).ok
