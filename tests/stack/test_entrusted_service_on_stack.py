"""Entrusted service (委托送达, seed Art 37(5)) on the real servers: the entrustment and its
送达回执 cross Kafka between two districts and survive a restart of the routing service
on the way out and on the way back; the receipt is applied once (DESIGN §7)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.enforcement.v1 import enforcement_pb2 as pb
from liuhen.paging import case_ledger
from liuhen.platform.db import utcnow
from liuhen.routing.v1 import routing_pb2 as rpb
from tests.samples import sample_content
from tests.stack.test_delivery_survives_restarts import eventually, restart_routing
from tests.support import Site, file_case, rid

pytestmark = pytest.mark.stack
# Two districts the other stack tests leave alone, so their consumers do not meet ours.
HANDLING, ENTRUSTED = "qiaokou", "xinzhou"


def effective(site: Site, case: str, type_code: str, content: dict[str, object]) -> str:
    handler = site.client("cases", HANDLING, "handler1")
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type=type_code,
            content_json=json.dumps(sample_content(type_code, **content), ensure_ascii=False),
        )
    ).document
    doc = handler.SubmitDocument(
        cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name)
    ).document
    if doc.state != cpb.Document.EFFECTIVE:
        doc = (
            site.client("cases", HANDLING, "head1")
            .ApproveDocument(cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name))
            .document
        )
    assert doc.state == cpb.Document.EFFECTIVE
    return str(doc.name)


def test_art37_5_entrusted_service_crosses_kafka_and_survives_routing_restarts(
    stack_site: Site,
) -> None:
    site = stack_site
    case = file_case(site, HANDLING)
    order = effective(site, case, "rectification_order", {"period_days": 10})
    letter = effective(
        site,
        case,
        "service_entrustment",
        {
            "document": order,
            "entrusted_site": ENTRUSTED,
            "recipient": "某公司",
            "address": "新洲区某路",
        },
    )

    site.running["routing"].stop(grace=0)  # routing is down when the letter is sent
    entrustment = (
        site.client("enforcement", HANDLING, "handler1")
        .EntrustService(pb.EntrustServiceRequest(request_id=rid(), letter=letter))
        .entrustment
    )
    assert entrustment.state == pb.Entrustment.PENDING
    restart_routing(site)
    message_id = entrustment.message.removeprefix("messages/")
    peer = site.client("routing", ENTRUSTED, "handler1")

    def inbox() -> list[rpb.Message]:
        return [
            m
            for m in peer.ListMessages(
                rpb.ListMessagesRequest(
                    direction="inbox", type="service_entrustment", order_by="time desc"
                )
            ).messages
            if m.envelope.message_id == message_id
        ]

    message = eventually(inbox, f"the entrustment in {ENTRUSTED}'s inbox")[0]
    restart_routing(site)  # a restart must not deliver it again
    served_time = Timestamp()
    served_time.FromDatetime(utcnow() - timedelta(hours=1))
    answer = (
        site.client("enforcement", ENTRUSTED, "handler1")
        .ServeEntrustedDocument(
            pb.ServeEntrustedDocumentRequest(
                request_id=rid(),
                message=message.name,
                method=pb.SERVICE_METHOD_DIRECT,
                recipient="某公司",
                signed_by="法定代表人",
                served_time=served_time,
                note="受硚口区委托直接送达，法定代表人签收",
            )
        )
        .answer
    )
    restart_routing(site)  # down again while the receipt is on its way back

    mine = site.client("enforcement", HANDLING, "handler1")

    def served() -> list[pb.Entrustment]:
        got = mine.ListEntrustments(pb.ListEntrustmentsRequest(case=case)).entrustments
        return [e for e in got if e.state == pb.Entrustment.SERVED]

    done = eventually(served, "the receipt on the handling case")[0]
    assert done.service_date == answer.service_date
    assert len(inbox()) == 1  # the restarts delivered it once (the inbox is keyed by id)
    records = mine.ListServiceRecords(pb.ListServiceRecordsRequest(case=case)).records
    assert [r.method for r in records] == [pb.SERVICE_METHOD_ENTRUSTED]
    assert records[0].service_date == answer.service_date
    receipts = [  # the receipts answering this entrustment (the topic keeps other runs')
        m
        for m in site.client("routing", HANDLING, "handler1")
        .ListMessages(
            rpb.ListMessagesRequest(
                direction="inbox", type="entrusted_service_receipt", order_by="time desc"
            )
        )
        .messages
        if m.envelope.correlation_id == message_id
    ]
    assert [m.state for m in receipts] == [rpb.Message.APPLIED]
    cases = site.client("cases", HANDLING, "handler1")
    ledger = case_ledger(cases, case)
    assert [e.action for e in ledger].count("document.served") == 1
    assert cases.VerifyLedger(cpb.VerifyLedgerRequest(case=case)).ok
