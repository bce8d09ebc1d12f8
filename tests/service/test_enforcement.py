"""EnforcementService over real gRPC: serving documents with the 送达回执 (seed Art 37)
and the rectification period that service starts (Art 28)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.common.v1 import common_pb2
from liuhen.enforcement.v1 import enforcement_pb2 as pb
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.paging import case_ledger
from liuhen.platform.clock import SettableClock
from liuhen.platform.ports import ObjectNotFound
from tests.samples import sample_content
from tests.support import Site, rid, running_site

JA, JH = "jiangan", "jianghan"
CST = timezone(timedelta(hours=8))
SEPT_21 = datetime(2026, 9, 21, 10, 0, tzinfo=CST)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """Only the services a service of documents needs: intake, cases, enforcement."""
    with running_site(tmp_path / "liuhen", services=("intake", "cases", "enforcement")) as s:
        yield s


def ts(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


def error_info(exc: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(exc)
    info = error_details_pb2.ErrorInfo()
    assert status is not None and status.details[0].Unpack(info)
    return info


def open_case(site: Site, tenant: str = JA) -> str:
    """Register, file, open and assign a case; returns cases/{id}."""
    desk = site.client("intake", tenant, "intake1")
    intake = desk.RegisterComplaint(
        ipb.RegisterComplaintRequest(
            request_id=rid(),
            source=ipb.SOURCE_VISIT,
            kind=ipb.INTAKE_KIND_COMPLAINT,
            complainant=ipb.Person(name="李四", gender="男", contact="13800000000"),
            employer=ipb.Employer(name="某建筑公司", address="江岸区解放大道1号"),
            violation="拖欠工资三个月",
        )
    ).intake
    desk.DraftFilingApproval(
        ipb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="拖欠工资"
        )
    )
    site.client("intake", tenant, "head1").ApproveFiling(
        ipb.ApproveFilingRequest(request_id=rid(), intake=intake.name, comment="同意立案")
    )
    case = (
        site.client("cases", tenant, "intake1")
        .OpenCase(cpb.OpenCaseRequest(request_id=rid(), intake=intake.name))
        .case
    )
    site.client("cases", tenant, "head1").AssignHandler(
        cpb.AssignHandlerRequest(
            request_id=rid(),
            case=case.name,
            handler=site.user_id(tenant, "handler1"),
            handler_name="承办人甲",
            reviewer=site.user_id(tenant, "reviewer1"),
        )
    )
    return str(case.name)


UNSIGNED = [{"fact": "未与劳动者订立书面劳动合同", "basis": "《中华人民共和国劳动合同法》第十条"}]


def draft(
    site: Site,
    case: str,
    doc_type: str,
    content: dict[str, Any],
    *,
    by: str = "handler1",
    tenant: str = JA,
    submit: bool = True,
) -> cpb.Document:
    officer = site.client("cases", tenant, by)
    doc = officer.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type=doc_type,
            content_json=json.dumps(sample_content(doc_type, **content), ensure_ascii=False),
        )
    ).document
    if submit:
        doc = officer.SubmitDocument(
            cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name)
        ).document
    result: cpb.Document = doc
    return result


def rectification_order(
    site: Site,
    case: str,
    content: dict[str, Any] | None = None,
) -> cpb.Document:
    doc = draft(
        site,
        case,
        "rectification_order",
        content if content is not None else {"period_days": 10},
    )
    assert doc.state == cpb.Document.EFFECTIVE
    return doc


def through_chain(site: Site, doc: cpb.Document) -> cpb.Document:
    """Review and approve a submitted document along its catalogue chain."""
    while doc.state != cpb.Document.EFFECTIVE:
        role = doc.approval_chain[0]
        officer = site.client("cases", JA, f"{role}1")
        if role == "reviewer":
            doc = officer.ReviewDocument(
                cpb.ReviewDocumentRequest(request_id=rid(), document=doc.name, passed=True)
            ).document
        else:
            doc = officer.ApproveDocument(
                cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name, comment="同意")
            ).document
    return doc


def penalty_decision(site: Site, case: str, clock: SettableClock) -> cpb.Document:
    """The penalty path of Art 27 and 31–35 up to the 行政处罚决定书: final report,
    proposed penalty and prior notice (reviewer, head), the notice served, the party
    waives a statement once its period is over, the 处罚审批表 (head), then the decision."""
    penalty = {"penalty": "罚款5000元"}
    draft(site, case, "investigation_final_report", {"proposal": "拟处罚款"})
    for step in ("proposed_penalty_approval", "penalty_prior_notice"):
        notice = through_chain(site, draft(site, case, step, penalty))
    serve(site, notice.name, served_time=ts(clock.now()))
    clock.advance(timedelta(days=10))  # 5 working days of Art 32's statement period
    draft(site, case, "statement_waiver", {"waived_on": "2026-09-30"}, by="reviewer1")
    through_chain(site, draft(site, case, "penalty_approval", penalty, by="reviewer1"))
    decision = draft(site, case, "penalty_decision", penalty, by="reviewer1")
    assert decision.state == cpb.Document.EFFECTIVE
    return decision


def serve(
    site: Site,
    document: str,
    *,
    by: str = "handler1",
    tenant: str = JA,
    request_id: str = "",
    **fields: Any,
) -> pb.ServiceRecord:
    base: dict[str, Any] = {
        "method": pb.SERVICE_METHOD_DIRECT,
        "recipient": "某建筑公司",
        "signed_by": "王五（公司法定代表人）",
        "served_time": ts(SEPT_21),
    }
    request = pb.ServeDocumentRequest(
        request_id=request_id or rid(), document=document, **{**base, **fields}
    )
    record: pb.ServiceRecord = site.client("enforcement", tenant, by).ServeDocument(request).record
    return record


def refused(call: Any) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo]:
    with pytest.raises(grpc.RpcError) as exc:
        call()
    return exc.value.code(), error_info(exc.value)


def test_art37_direct_service_records_receipt_and_starts_art28_rectification_period(
    site: Site,
) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    record = serve(site, order.name)

    assert record.name.startswith(f"{case}/services/")
    assert (record.document, record.document_type) == (order.name, "rectification_order")
    assert record.method == pb.SERVICE_METHOD_DIRECT
    assert record.served_by == site.user_id(JA, "handler1")
    assert len(record.receipt_sha256) == 64
    # 2026-09-21 + 10 days = 2026-10-01, National Day: the period ends on 2026-10-08, the
    # first working day after the holiday, and the handler checks the correction then.
    by_rule = {d.rule: d for d in record.deadlines}
    period, check = by_rule["rectification_period"], by_rule["rectification_verified"]
    assert (period.started_on, period.amount, period.due_on) == ("2026-09-21", 10, "2026-10-08")
    assert (check.started_on, check.due_on) == ("2026-10-08", "2026-10-08")
    assert period.officer == check.officer == site.user_id(JA, "handler1")
    assert period.subject == order.name and period.source == "seed Art 28"

    enforcement = site.client("enforcement", JA, "reviewer1")
    got = enforcement.GetServiceRecord(pb.GetServiceRecordRequest(name=record.name)).record
    assert got == record
    listed = enforcement.ListServiceRecords(pb.ListServiceRecordsRequest(case=case)).records
    assert list(listed) == [record]

    cases = site.client("cases", JA, "handler1")
    served = [e for e in case_ledger(cases, case) if e.action == "document.served"]
    assert len(served) == 1
    assert list(served[0].refs) == [order.content_sha256, record.receipt_sha256]
    assert served[0].service == "enforcement"
    assert cases.VerifyLedger(cpb.VerifyLedgerRequest(case=case)).ok
    open_rules = {
        d.rule for d in cases.ListDeadlines(cpb.ListDeadlinesRequest(case=case)).deadlines
    }
    assert {"rectification_period", "rectification_verified"} <= open_rules


def test_art28_period_set_by_the_order_runs_from_service(site: Site) -> None:
    case = open_case(site)
    short = rectification_order(site, case, {"period_days": 5, "violations": UNSIGNED})
    plain = rectification_order(site, case, {"violations": UNSIGNED})
    # 5 days end on 2026-09-26, in the Mid-Autumn holiday: the next working day is the 28th.
    due = {d.rule: d.due_on for d in serve(site, short.name).deadlines}
    assert due["rectification_period"] == "2026-09-28"
    assert due["rectification_verified"] == "2026-09-28"
    later = serve(site, plain.name, served_time=ts(datetime(2026, 11, 2, 9, 0, tzinfo=CST)))
    assert {d.rule: d.due_on for d in later.deadlines}["rectification_period"] == str(
        date(2026, 11, 12)
    )


def test_art28_a_second_service_of_the_same_document_starts_no_new_period(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    first = serve(site, order.name)
    second = serve(
        site,
        order.name,
        method=pb.SERVICE_METHOD_MAIL,
        signed_by="",
        served_time=ts(SEPT_21 + timedelta(days=2)),
        by="reviewer1",
        details={"tracking_number": "EMS1", "receipt_signed_on": "2026-09-24"},
        evidence=[
            pb.Evidence(kind="postal_slip", content=b"slip"),
            pb.Evidence(kind="return_receipt", content=b"receipt"),
        ],
    )
    assert second.service_date == "2026-09-24"  # the day the return receipt was signed
    assert len(first.deadlines) == 2 and not second.deadlines
    listed = (
        site.client("enforcement", JA, "handler1")
        .ListServiceRecords(pb.ListServiceRecordsRequest(case=case))
        .records
    )
    assert [r.name for r in listed] == [first.name, second.name]
    rules = [
        d.rule
        for d in site.client("cases", JA, "handler1")
        .ListDeadlines(cpb.ListDeadlinesRequest(case=case))
        .deadlines
        if d.subject == order.name
    ]
    assert sorted(rules) == ["rectification_period", "rectification_verified"]
    ledger = case_ledger(site.client("cases", JA, "handler1"), case)
    assert [e.action for e in ledger].count("document.served") == 2


def test_art37_4_fax_or_email_refused_for_decision_documents(
    site: Site, clock: SettableClock
) -> None:
    case = open_case(site)
    decision = penalty_decision(site, case, clock)
    assert decision.decision_document
    for method in (pb.SERVICE_METHOD_FAX, pb.SERVICE_METHOD_EMAIL):
        code, info = refused(
            lambda m=method: serve(
                site, decision.name, by="reviewer1", method=m, fax_number="027-82800000"
            )
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert info.reason == "SERVICE_METHOD_NOT_ALLOWED"
        assert info.metadata["article"] == "seed Art 37(4)"
        assert info.metadata["field"] == "method"
    record = serve(site, decision.name, by="reviewer1", served_time=ts(clock.now()))
    assert record.method == pb.SERVICE_METHOD_DIRECT
    rules = [d.rule for d in record.deadlines]
    assert rules == ["fine_paid", "review_window", "suit_window", "court_application"]
    listed = site.client("cases", JA, "handler1").ListDeadlines(
        cpb.ListDeadlinesRequest(case=case, open_only=False)
    )
    served = next(d for d in listed.deadlines if d.rule == "decision_served")
    assert (served.state, served.late, served.unit) == (
        common_pb2.Deadline.MET,
        False,
        "working_days",
    )  # APL Art 61


def test_art37_4_fax_of_other_documents_notes_the_fax_number(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    code, info = refused(lambda: serve(site, order.name, method=pb.SERVICE_METHOD_FAX))
    assert (code, info.metadata["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "details.fax_number",
    )
    record = serve(
        site,
        order.name,
        method=pb.SERVICE_METHOD_FAX,
        fax_number="027-82800000",
        details={"received_time": "2026-09-22T09:00:00+08:00"},
        evidence=[pb.Evidence(kind="call_recording", content=b"RIFF...", content_type="audio/wav")],
    )
    assert record.method == pb.SERVICE_METHOD_FAX
    assert record.service_date == "2026-09-22"  # the day it reached the recipient
    assert record.evidence[0].sha256 == hashlib.sha256(b"RIFF...").hexdigest()


def test_art37_1_direct_service_needs_signature(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    code, info = refused(lambda: serve(site, order.name, signed_by=""))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert (info.metadata["field"], info.metadata["article"]) == (
        "signed_by or details.refusal",
        "seed Art 37(1)",
    )


def test_art37_2_6_left_at_premises_and_public_notice_record_the_circumstances(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    for method, article in (
        (pb.SERVICE_METHOD_LEFT_AT_PREMISES, "seed Art 37(2)"),
        (pb.SERVICE_METHOD_PUBLIC_NOTICE, "seed Art 37(6)"),
    ):
        code, info = refused(
            lambda m=method: serve(site, order.name, method=m, signed_by="", note="已公告")
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT
        assert info.metadata["article"] == article
        assert info.metadata["field"].startswith("details.")
    photo = pb.Evidence(kind="photo", content=b"\xff\xd8refused", content_type="image/jpeg")
    code, info = refused(
        lambda: serve(
            site, order.name, method=pb.SERVICE_METHOD_LEFT_AT_PREMISES, signed_by="",
            note="拒收", evidence=[photo],
        )
    )  # fmt: skip
    assert info.metadata["field"] == "details.witnesses"
    key = f"service-evidence/{case.split('/')[1]}/{hashlib.sha256(photo.content).hexdigest()}"
    with pytest.raises(ObjectNotFound):  # a refused service stores nothing
        site.running["enforcement"].platform.objects.head(JA, key)
    record = serve(
        site,
        order.name,
        method=pb.SERVICE_METHOD_LEFT_AT_PREMISES,
        signed_by="",
        note="法定代表人拒绝签收，邀请社区见证人到场，拍照后留置于公司前台",
        details={"witnesses": "社区干部王五"},
        evidence=[pb.Evidence(kind="photo", content=b"\xff\xd8photo", content_type="image/jpeg")],
    )
    assert record.note.startswith("法定代表人拒绝签收")
    assert record.details["witnesses"] == "社区干部王五"
    assert record.service_date == "2026-09-21"


def test_art37_method_and_recipient_are_required(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    code, info = refused(lambda: serve(site, order.name, method=pb.SERVICE_METHOD_UNSPECIFIED))
    assert (code, info.metadata["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "method")
    code, info = refused(lambda: serve(site, order.name, recipient=""))
    assert (code, info.metadata["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "recipient")


def test_art37_an_unserved_draft_is_not_served(site: Site) -> None:
    case = open_case(site)
    order = draft(site, case, "rectification_order", {"period_days": 10}, submit=False)
    code, info = refused(lambda: serve(site, order.name))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert info.reason == "DOCUMENT_NOT_EFFECTIVE"


def test_art37_documents_served_on_nobody_or_on_peers_are_refused(site: Site) -> None:
    case = open_case(site)
    report = draft(site, case, "investigation_final_report", {"findings": "拖欠工资属实"})
    code, info = refused(lambda: serve(site, report.name))
    assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "DOCUMENT_NOT_SERVED")
    request = draft(site, case, "assistance_request", {"subject": "协查某公司社保"})
    site.client("cases", JA, "head1").ApproveDocument(
        cpb.ApproveDocumentRequest(request_id=rid(), document=request.name, comment="同意")
    )
    code, info = refused(lambda: serve(site, request.name))
    assert (code, info.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SERVED_THROUGH_ROUTING")


def test_another_tenants_document_and_records_are_not_found(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    code, _ = refused(lambda: serve(site, order.name, tenant=JH))
    assert code == grpc.StatusCode.NOT_FOUND
    record = serve(site, order.name)
    other = site.client("enforcement", JH, "handler1")
    code, _ = refused(lambda: other.GetServiceRecord(pb.GetServiceRecordRequest(name=record.name)))
    assert code == grpc.StatusCode.NOT_FOUND
    assert not other.ListServiceRecords(pb.ListServiceRecordsRequest(case=case)).records


def test_only_handlers_and_reviewers_serve_documents(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    for officer in ("intake1", "head1"):
        code, info = refused(lambda o=officer: serve(site, order.name, by=o))
        assert (code, info.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    assert (
        not site.client("enforcement", JA, "handler1")
        .ListServiceRecords(pb.ListServiceRecordsRequest(case=case))
        .records
    )


def test_replayed_request_id_returns_the_first_result(site: Site) -> None:
    case = open_case(site)
    order = rectification_order(site, case)
    request_id = rid()
    first = serve(site, order.name, request_id=request_id)
    again = serve(site, order.name, request_id=request_id)
    assert again == first
    listed = (
        site.client("enforcement", JA, "handler1")
        .ListServiceRecords(pb.ListServiceRecordsRequest(case=case))
        .records
    )
    assert len(listed) == 1
    code, _ = refused(
        lambda: serve(
            site,
            order.name,
            request_id=request_id,
            signed_by="另一人",  # the same request id with another body
        )
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS


def test_malformed_names_are_invalid(site: Site) -> None:
    enforcement = site.client("enforcement", JA, "handler1")
    code, info = refused(lambda: serve(site, "documents/42"))
    assert (code, info.metadata["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "document")
    code, _ = refused(
        lambda: enforcement.GetServiceRecord(pb.GetServiceRecordRequest(name="cases/x/services/y"))
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_art11_the_desk_serves_the_non_acceptance_decision_on_the_complainant(site: Site) -> None:
    """Art 11: the desk draws up the 不予受理决定书 and serves it on the complainant; as an
    administrative decision it is never served by fax or e-mail (Art 37(4))."""
    from tests.service.test_intake_acceptance import approve, draft, register

    intake = register(site)
    doc = draft(site, intake.name, "non_acceptance_decision", {"grounds": "不属监察范围"})
    decision = approve(site, doc.document.name).document
    desk = site.client("enforcement", "jiangan", "intake1")
    by_fax = pb.ServeDocumentRequest(
        request_id=rid(),
        document=decision.name,
        method=pb.SERVICE_METHOD_FAX,
        recipient="张三",
        fax_number="027-1234567",
    )
    with pytest.raises(grpc.RpcError) as err:
        desk.ServeDocument(by_fax)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    record = desk.ServeDocument(
        pb.ServeDocumentRequest(
            request_id=rid(),
            document=decision.name,
            method=pb.SERVICE_METHOD_DIRECT,
            recipient="张三",
            signed_by="张三",
        )
    ).record
    assert record.name.startswith(f"{intake.name}/services/")
    assert record.document == decision.name and record.document_type == "non_acceptance_decision"
    assert desk.GetServiceRecord(pb.GetServiceRecordRequest(name=record.name)).record == record
    listed = desk.ListServiceRecords(pb.ListServiceRecordsRequest(case=intake.name)).records
    assert [r.name for r in listed] == [record.name]
