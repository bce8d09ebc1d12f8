"""Entrusted service between sites over real servers and the embedded log (委托送达, seed
Art 37(5)): the handling bureau's approved 委托送达函 travels with the effective document
to the entrusted site's inbox; that site serves it by an Art 37 method with its evidence
and its 送达回执 comes back onto the handling bureau's case, whose periods run from the
entrusted site's date; a refusal comes back too, and nothing is applied twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.common.v1 import common_pb2
from liuhen.enforcement.v1 import enforcement_pb2 as pb
from liuhen.paging import case_ledger
from liuhen.platform import ledger
from liuhen.platform.clock import SettableClock
from liuhen.platform.polling import wait_for
from liuhen.routing.v1 import routing_pb2 as rpb
from tests.service.test_enforcement import (
    CST,
    draft,
    error_info,
    open_case,
    penalty_decision,
    rectification_order,
    ts,
)
from tests.service.test_routing import consumer, inbox, publish
from tests.support import Site, rid

JA, HS, WH = "jiangan", "hongshan", "wuhan"
SERVED_AT = datetime(2026, 9, 23, 10, 0, tzinfo=CST)


def letter(site: Site, tenant: str, document: str, entrusted: str, **fields: Any) -> cpb.Document:
    """The handler drafts the 委托送达函; the head approves it (catalogue: [head])."""
    case = document.rsplit("/documents/", 1)[0]
    content = {
        "document": document,
        "entrusted_site": entrusted,
        "recipient": "某建筑公司",
        "address": "洪山区珞喻路1号",
        **fields,
    }
    doc = draft(site, case, "service_entrustment", content, tenant=tenant)
    assert list(doc.approval_chain) == ["head"]
    approved: cpb.Document = (
        site.client("cases", tenant, "head1")
        .ApproveDocument(cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name))
        .document
    )
    assert approved.state == cpb.Document.EFFECTIVE
    return approved


def entrust(site: Site, tenant: str, letter_name: str, request_id: str = "") -> pb.Entrustment:
    got: pb.Entrustment = (
        site.client("enforcement", tenant, "handler1")
        .EntrustService(
            pb.EntrustServiceRequest(request_id=request_id or rid(), letter=letter_name)
        )
        .entrustment
    )
    return got


def received(site: Site, tenant: str, e: pb.Entrustment) -> rpb.Message:
    message_id = e.message.removeprefix("messages/")
    return wait_for(
        lambda: next(
            (m for m in inbox(site, tenant, "service_entrustment")
             if m.envelope.message_id == message_id),
            None,
        ),
        f"the entrustment in {tenant}'s inbox",
    )  # fmt: skip


def serve_there(
    site: Site, tenant: str, message: str, request_id: str = "", **fields: Any
) -> pb.EntrustmentAnswer:
    base: dict[str, Any] = {
        "method": pb.SERVICE_METHOD_DIRECT,
        "recipient": "某建筑公司",
        "signed_by": "王五（法定代表人）",
        "served_time": ts(SERVED_AT),
        "place": "洪山区珞喻路1号",
        "note": "受江岸区委托，于该公司办公室直接送达，法定代表人签收",
    }
    answer: pb.EntrustmentAnswer = (
        site.client("enforcement", tenant, "handler1")
        .ServeEntrustedDocument(
            pb.ServeEntrustedDocumentRequest(
                request_id=request_id or rid(), message=message, **{**base, **fields}
            )
        )
        .answer
    )
    return answer


def entrustments(site: Site, tenant: str, case: str) -> list[pb.Entrustment]:
    return list(
        site.client("enforcement", tenant, "handler1")
        .ListEntrustments(pb.ListEntrustmentsRequest(case=case))
        .entrustments
    )


def answered(site: Site, tenant: str, case: str, state: pb.Entrustment.State) -> pb.Entrustment:
    return wait_for(
        lambda: next((e for e in entrustments(site, tenant, case) if e.state == state), None),
        f"the entrustment {pb.Entrustment.State.Name(state)} on {tenant}'s case",
    )


def refused(call: Any) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    info = error_info(exc.value)
    return exc.value.code(), info.reason, info.metadata.get("article", "")


def round_trip(
    site: Site, clock: SettableClock, handling: str, entrusted: str
) -> tuple[str, cpb.Document]:
    """The handling bureau's rectification order, served by `entrusted` on its behalf."""
    case = open_case(site, handling)
    order = draft(site, case, "rectification_order", {"period_days": 10}, tenant=handling)
    assert order.state == cpb.Document.EFFECTIVE
    e = entrust(site, handling, letter(site, handling, order.name, entrusted).name)
    assert (e.state, e.entrusted_site, e.document) == (
        pb.Entrustment.PENDING,
        entrusted,
        order.name,
    )
    # Until the receipt returns: entrusted, pending, with the catalogue's deadline.
    assert e.deadline.rule == "entrusted_service_returned"
    assert (e.deadline.amount, e.deadline.state) == (10, common_pb2.Deadline.OPEN)
    assert e.deadline.subject == e.name

    message = received(site, entrusted, e)
    assert message.state == rpb.Message.RECEIVED and message.envelope.sender == handling
    body = json.loads(message.envelope.payload_json)
    assert body["document"]["name"] == order.name
    assert body["document"]["content_sha256"] == order.content_sha256
    assert body["letter"]["recipient"] == "某建筑公司"

    clock.advance(timedelta(days=2))  # served two days after it was sent
    answer = serve_there(site, entrusted, message.name)
    assert answer.type == "entrusted_service_receipt"
    assert answer.service_date == "2026-09-23"
    done = answered(site, handling, case, pb.Entrustment.SERVED)
    assert done.service_date == "2026-09-23"
    assert done.deadline.state == common_pb2.Deadline.MET
    return case, order


def service_record(site: Site, tenant: str, case: str) -> pb.ServiceRecord:
    records = (
        site.client("enforcement", tenant, "handler1")
        .ListServiceRecords(pb.ListServiceRecordsRequest(case=case))
        .records
    )
    assert len(records) == 1
    only: pb.ServiceRecord = records[0]
    return only


def ledger_actions(site: Site, tenant: str, case: str) -> list[str]:
    return [e.action for e in case_ledger(site.client("cases", tenant, "handler1"), case)]


def test_art37_5_entrusted_service_between_two_districts_lands_on_the_handling_case(
    site: Site, clock: SettableClock
) -> None:
    case, order = round_trip(site, clock, JA, HS)
    record = service_record(site, JA, case)
    assert record.method == pb.SERVICE_METHOD_ENTRUSTED
    assert record.served_by == f"site:{HS}"
    assert record.details["entrusted_method"] == "direct"
    assert record.details["entrusted_body"].endswith(f"（{HS}）")
    assert "法定代表人签收" in record.note
    # The periods run from the entrusted site's date of service (Art 28, 37(5)).
    assert record.service_date == "2026-09-23"
    period = {d.rule: d for d in record.deadlines}["rectification_period"]
    assert (period.started_on, period.subject) == ("2026-09-23", order.name)
    actions = ledger_actions(site, JA, case)
    assert actions.index("service.entrusted") < actions.index("document.served")
    assert site.client("cases", JA, "handler1").VerifyLedger(cpb.VerifyLedgerRequest(case=case)).ok
    # The entrusted site's own record: received, then served.
    message = inbox(site, HS, "service_entrustment")[0]
    assert message.state == rpb.Message.ANSWERED
    with site.running["routing"].platform.db.unit_of_work(HS) as uow:
        entries = ledger.entries(uow, f"entrust-{message.envelope.message_id}")
        assert [e.action for e in entries] == [
            "service_entrustment.received",
            "entrusted_document.served",
        ]


def test_art37_5_the_city_entrusts_a_district(site: Site, clock: SettableClock) -> None:
    case, _ = round_trip(site, clock, WH, HS)
    assert service_record(site, WH, case).service_date == "2026-09-23"
    assert "service.entrusted" in ledger_actions(site, WH, case)


def test_art37_5_a_refusal_returns_and_the_handling_bureau_serves_otherwise(
    site: Site, clock: SettableClock
) -> None:
    case = open_case(site, JA)
    order = rectification_order(site, case)
    e = entrust(site, JA, letter(site, JA, order.name, HS).name)
    message = received(site, HS, e)
    code, reason, _ = refused(
        lambda: site.client("enforcement", HS, "handler1").RefuseEntrustment(
            pb.RefuseEntrustmentRequest(request_id=rid(), message=message.name, note="")
        )
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "REFUSAL_REASON_REQUIRED")
    site.client("enforcement", HS, "handler1").RefuseEntrustment(
        pb.RefuseEntrustmentRequest(
            request_id=rid(),
            message=message.name,
            reason=pb.REFUSAL_REASON_RECIPIENT_UNKNOWN,
            note="该地址无此单位，物业称已于上月搬离",
        )
    )
    got = answered(site, JA, case, pb.Entrustment.REFUSED)
    clock.advance(timedelta(days=2))
    assert got.refusal_reason == "recipient_unknown" and "搬离" in got.note
    assert got.deadline.state == common_pb2.Deadline.MET and not got.service_record
    assert "service.entrustment_refused" in ledger_actions(site, JA, case)
    # It is answered: it cannot be served afterwards.
    code, reason, _ = refused(lambda: serve_there(site, HS, message.name))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ENTRUSTMENT_NOT_OPEN")
    # The handling bureau serves otherwise, and may entrust again.
    site.client("enforcement", JA, "handler1").ServeDocument(
        pb.ServeDocumentRequest(
            request_id=rid(),
            document=order.name,
            method=pb.SERVICE_METHOD_DIRECT,
            recipient="某建筑公司",
            signed_by="王五",
            served_time=ts(SERVED_AT),
        )
    )
    assert service_record(site, JA, case).method == pb.SERVICE_METHOD_DIRECT


def test_art37_5_only_an_effective_document_is_entrusted(site: Site) -> None:
    case = open_case(site, JA)
    pending = draft(site, case, "rectification_order", {}, submit=False)
    code, reason, article = refused(
        lambda: entrust(site, JA, letter(site, JA, pending.name, HS).name)
    )
    assert (code, reason, article) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "DOCUMENT_NOT_EFFECTIVE",
        "seed Art 37",
    )
    unapproved = draft(
        site,
        case,
        "service_entrustment",
        {"document": pending.name, "entrusted_site": HS, "recipient": "某公司", "address": "某路"},
    )
    code, reason, _ = refused(lambda: entrust(site, JA, unapproved.name))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ENTRUSTMENT_NOT_APPROVED")


def test_art37_4_a_decision_document_is_never_entrusted_for_fax_or_email(
    site: Site, clock: SettableClock
) -> None:
    case = open_case(site, JA)
    decision = penalty_decision(site, case, clock)
    code, reason, article = refused(
        lambda: entrust(site, JA, letter(site, JA, decision.name, HS, method="fax").name)
    )
    assert (code, reason, article) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "SERVICE_METHOD_NOT_ALLOWED",
        "seed Art 37(4)",
    )
    # By mail it goes; and the entrusted site cannot fax it either.
    e = entrust(site, JA, letter(site, JA, decision.name, HS, method="mail").name)
    message = received(site, HS, e)
    clock.advance(timedelta(days=2))
    code, reason, _ = refused(
        lambda: serve_there(
            site, HS, message.name, method=pb.SERVICE_METHOD_FAX, fax_number="027-1"
        )
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "SERVICE_METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("entrusted", [f"{JA}.psb", f"{JA}.court", "hubei", JA, "shanghai"])
def test_art37_5_nobody_entrusts_an_outside_desk_or_itself(site: Site, entrusted: str) -> None:
    case = open_case(site, JA)
    order = rectification_order(site, case)
    code, reason, _ = refused(
        lambda: entrust(site, JA, letter(site, JA, order.name, entrusted).name)
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ENTRUSTED_SITE_NOT_ALLOWED")


def test_art37_5_the_entrusted_site_records_the_methods_evidence_and_the_circumstances(
    site: Site, clock: SettableClock
) -> None:
    case = open_case(site, JA)
    order = rectification_order(site, case)
    e = entrust(site, JA, letter(site, JA, order.name, HS).name)
    message = received(site, HS, e)
    clock.advance(timedelta(days=2))
    code, reason, article = refused(lambda: serve_there(site, HS, message.name, note=""))
    assert (code, reason, article) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_FIELD",
        "seed Art 37(5)",
    )
    # Left at the premises: the witnesses and a photo (Art 37(2)).
    code, reason, article = refused(
        lambda: serve_there(site, HS, message.name, method=pb.SERVICE_METHOD_LEFT_AT_PREMISES)
    )
    assert (code, article) == (grpc.StatusCode.INVALID_ARGUMENT, "seed Art 37(2)")
    code, reason, _ = refused(
        lambda: serve_there(site, HS, message.name, method=pb.SERVICE_METHOD_ENTRUSTED)
    )
    assert reason == "SERVICE_METHOD_NOT_ALLOWED"
    photo = pb.Evidence(
        kind="photo", content=b"\x89PNG photo of the door", content_type="image/png"
    )
    answer = serve_there(
        site,
        HS,
        message.name,
        method=pb.SERVICE_METHOD_LEFT_AT_PREMISES,
        signed_by="",
        details={"witnesses": "物业管理员赵六"},
        evidence=[photo],
    )
    assert answer.service_date == "2026-09-23"
    answered(site, JA, case, pb.Entrustment.SERVED)
    record = service_record(site, JA, case)
    assert record.details["entrusted_method"] == "left_at_premises"
    assert record.details["entrusted_witnesses"] == "物业管理员赵六"
    assert [ev.kind for ev in record.evidence] == ["photo"]
    assert record.evidence[0].object_key.startswith(f"{HS}:service-evidence/")


def test_art37_5_answers_are_applied_once_and_strays_are_dead_letters(
    site: Site, clock: SettableClock
) -> None:
    case = open_case(site, JA)
    order = rectification_order(site, case)
    e = entrust(site, JA, letter(site, JA, order.name, HS).name)
    # Entrusting a document whose entrustment is pending is refused.
    code, reason, _ = refused(lambda: entrust(site, JA, letter(site, JA, order.name, HS).name))
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ENTRUSTMENT_PENDING")
    message = received(site, HS, e)
    clock.advance(timedelta(days=2))
    # A message never received: NOT_FOUND.
    code, _, _ = refused(
        lambda: serve_there(site, HS, "messages/00000000-0000-4000-8000-000000000000")
    )
    assert code == grpc.StatusCode.NOT_FOUND
    again = rid()
    first = serve_there(site, HS, message.name, request_id=again)
    assert serve_there(site, HS, message.name, request_id=again) == first  # same request
    answered(site, JA, case, pb.Entrustment.SERVED)

    # The receipt delivered again (a replay of the same record): a duplicate, once applied.
    sent = (
        site.client("routing", HS, "handler1")
        .GetMessage(rpb.GetMessageRequest(name=first.message))
        .message
    )
    publish(site, JA, sent.envelope.SerializeToString(), key=sent.envelope.message_id)
    # A second receipt for the same entrustment, and one for an entrustment never sent.
    second = rpb.Envelope()
    second.CopyFrom(sent.envelope)
    second.message_id = rid()
    stray = rpb.Envelope()
    stray.CopyFrom(sent.envelope)
    stray.message_id, stray.correlation_id = rid(), rid()
    for env in (second, stray):
        publish(site, JA, env.SerializeToString(), key=env.message_id)
    dead = wait_for(
        lambda: (
            d
            if len(
                d := {
                    m.envelope.message_id: m
                    for m in inbox(site, JA, "entrusted_service_receipt")
                    if m.state == rpb.Message.DEAD
                }
            )
            == 2
            else None
        ),
        "both strays dead",
    )
    assert "FAILED_PRECONDITION" in dead[second.message_id].detail
    assert "is served, not waiting for an answer" in dead[second.message_id].detail
    assert "not a service entrustment jiangan sent to hongshan" in dead[stray.message_id].detail
    consumer(site).run_once()
    assert len(service_record(site, JA, case).deadlines) == 2  # the period and its check
    receipts = [
        m for m in inbox(site, JA, "entrusted_service_receipt") if m.state == rpb.Message.APPLIED
    ]
    assert [m.envelope.message_id for m in receipts] == [sent.envelope.message_id]
    assert ledger_actions(site, JA, case).count("document.served") == 1


def test_art37_5_the_return_deadline_comes_from_the_catalogue_or_the_letter(
    site: Site, clock: SettableClock
) -> None:
    case = open_case(site, JA)
    order = rectification_order(site, case)
    e = entrust(site, JA, letter(site, JA, order.name, HS, return_days=5).name)
    assert (e.deadline.amount, e.deadline.started_on) == (5, "2026-09-21")
    assert e.deadline.source.endswith("Art 134")
    # 2026-09-26 is a Saturday: the period ends on the next working day (Monday the 28th).
    assert e.deadline.due_on == "2026-09-28"
    clock.advance(timedelta(days=8))
    late = entrustments(site, JA, case)[0]
    assert (
        late.state == pb.Entrustment.PENDING and late.deadline.state == common_pb2.Deadline.OVERDUE
    )
