"""CasesService over real gRPC: the generic document workflow (return with comments,
correction as a new version, separation per step), deadlines (Art 22) and mandatory
recording (Art 23). Also the helpers the path tests (test_cases_paths.py) use."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.cases.v1 import cases_internal_pb2 as cipb
from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.common.v1 import common_pb2
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.paging import case_ledger
from liuhen.platform.bootstrap import embedded_issuer
from liuhen.platform.db import utcnow
from tests.samples import sample_content
from tests.support import Client, Site, file_case, rid, status_of

JA = "jiangan"
# who acts for each role of an approval chain (documents.yaml)
ACTORS = {"reviewer": "reviewer1", "head": "head1", "bureau_head": "bureau_head1"}


def cases(site: Site, who: str = "handler1") -> Client:
    return site.client("cases", JA, who)


def draft(
    site: Site, case: str, type_code: str, content: dict[str, Any] | None = None, *,
    by: str = "handler1", supersedes: str = "",
) -> cpb.Document:  # fmt: skip
    request = cpb.DraftDocumentRequest(
        request_id=rid(),
        case=case,
        type=type_code,
        content_json=json.dumps(sample_content(type_code, **(content or {})), ensure_ascii=False),
        supersedes=supersedes,
    )
    document: cpb.Document = cases(site, by).DraftDocument(request).document
    return document


def submit(site: Site, doc: cpb.Document, by: str = "handler1") -> cpb.Document:
    request = cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name)
    document: cpb.Document = cases(site, by).SubmitDocument(request).document
    return document


def through_chain(site: Site, doc: cpb.Document) -> cpb.Document:
    """Each role of the chain acts in turn: the reviewer passes, the heads approve."""
    while doc.state != cpb.Document.EFFECTIVE:
        role = doc.approval_chain[0]
        if role == "reviewer":
            request = cpb.ReviewDocumentRequest(request_id=rid(), document=doc.name, passed=True)
            doc = cases(site, "reviewer1").ReviewDocument(request).document
        else:
            request = cpb.ApproveDocumentRequest(
                request_id=rid(), document=doc.name, comment="同意"
            )
            doc = cases(site, ACTORS[role]).ApproveDocument(request).document
    return doc


def effective(
    site: Site, case: str, type_code: str, content: dict[str, Any] | None = None, *,
    by: str = "handler1", supersedes: str = "",
) -> cpb.Document:  # fmt: skip
    doc = draft(site, case, type_code, content, by=by, supersedes=supersedes)
    return through_chain(site, submit(site, doc, by))


def state_of(site: Site, case: str) -> cpb.Case.State:
    return cases(site).GetCase(cpb.GetCaseRequest(name=case)).case.state


def fails(call: Any, request: Any) -> tuple[grpc.StatusCode, str, dict[str, str], str]:
    with pytest.raises(grpc.RpcError) as exc:
        call(request)
    code, reason, meta = status_of(exc.value)
    return code, reason, meta, exc.value.details() or ""


def routing_desk(site: Site) -> Client:
    """The routing service's own identity, as it records what the desks send back."""
    token = embedded_issuer(site.settings).service_token(JA, "routing")
    return site.raw_client("cases_internal", token)


def inbound(
    site: Site, case: str, type_code: str, content: dict[str, Any], from_site: str = "jiangan.psb"
) -> cpb.Document:
    request = cipb.RecordInboundDocumentRequest(
        request_id=rid(),
        case=case,
        type=type_code,
        content_json=json.dumps(content, ensure_ascii=False),
        from_site=from_site,
        correlation_id=rid(),
    )
    document: cpb.Document = routing_desk(site).RecordInboundDocument(request).document
    return document


def deadlines(site: Site, case: str, *, open_only: bool = True) -> dict[str, common_pb2.Deadline]:
    request = cpb.ListDeadlinesRequest(case=case, open_only=open_only)
    return {d.rule: d for d in cases(site).ListDeadlines(request).deadlines}


def ts(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


def serve(site: Site, document: str, by: str = "handler1") -> epb.ServiceRecord:
    request = epb.ServeDocumentRequest(
        request_id=rid(),
        document=document,
        method=epb.SERVICE_METHOD_DIRECT,
        recipient="某公司",
        signed_by="王五（法定代表人）",
        served_time=ts(utcnow() - timedelta(minutes=5)),
    )
    record: epb.ServiceRecord = site.client("enforcement", JA, by).ServeDocument(request).record
    return record


def interview(site: Site, case: str) -> cpb.Document:
    now = utcnow()
    request = cpb.RecordInterviewRequest(
        request_id=rid(),
        case=case,
        officers=[
            cpb.Officer(name="承办人甲", unit="江岸区劳动保障监察大队", certificate_no="JA-0201"),
            cpb.Officer(name="承办人乙", unit="江岸区劳动保障监察大队", certificate_no="JA-0202"),
        ],
        certificates_shown=True,
        start_time=ts(now - timedelta(hours=1)),
        end_time=ts(now - timedelta(minutes=10)),
        place="某公司会议室",
        interviewee="王五（法定代表人）",
        content="询问工资支付情况",
    )
    document: cpb.Document = cases(site).RecordInterview(request).document
    return document


def record_footage(site: Site, case: str, related: str) -> mpb.Recording:
    end = datetime.now(UTC) - timedelta(minutes=5)
    meta = mpb.RecordingMetadata(
        request_id=rid(), case=case, kind="video", device="执法记录仪 JA-07", place="某公司",
        start_time=ts(end - timedelta(minutes=30)), end_time=ts(end), content_type="video/mp4",
        confidentiality="normal", description="询问全程录像", related_document=related,
    )  # fmt: skip
    chunks = [mpb.UploadRecordingRequest(metadata=meta)] + [
        mpb.UploadRecordingRequest(chunk=bytes([i]) * 4096) for i in range(4)
    ]
    media = site.client("media", JA, "handler1")
    recording: mpb.Recording = media.UploadRecording(iter(chunks)).recording
    return recording


# --- the generic workflow --------------------------------------------------------------


def test_art29_reviewer_returns_with_comments_and_the_handler_resubmits(site: Site) -> None:
    case = file_case(site)
    doc = submit(site, draft(site, case, "revocation_approval", {"reason": "不属于劳动保障监察"}))
    assert list(doc.approval_chain) == ["reviewer", "head"]
    back = (
        cases(site, "reviewer1")
        .ReviewDocument(
            cpb.ReviewDocumentRequest(
                request_id=rid(),
                document=doc.name,
                passed=False,
                comment="补充最后一次监察行为时间",
            )
        )
        .document
    )
    assert back.state == cpb.Document.RETURNED
    code, reason, _, _ = fails(
        cases(site, "head1").ApproveDocument,
        cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name),
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_SUBMITTED")
    done = through_chain(site, submit(site, back))
    assert done.state == cpb.Document.EFFECTIVE and state_of(site, case) == cpb.Case.REVOKED
    ledger = case_ledger(cases(site), case)
    returned = [e for e in ledger if e.action == "document.returned"]
    assert len(returned) == 1 and returned[0].actor.role == "reviewer"


def test_art29_a_returned_document_is_corrected_as_a_new_version_that_moves_the_case(
    site: Site,
) -> None:
    case = file_case(site)
    doc = submit(site, draft(site, case, "suspension_approval", {"reason": "下落不明"}))
    review = cases(site, "reviewer1").ReviewDocument
    code, reason, meta, _ = fails(
        review, cpb.ReviewDocumentRequest(request_id=rid(), document=doc.name, passed=False)
    )
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "REASONS_REQUIRED", "comment",
    )  # fmt: skip
    back = review(
        cpb.ReviewDocumentRequest(
            request_id=rid(), document=doc.name, passed=False, comment="写明查找经过"
        )
    ).document
    fixed = effective(
        site, case, "suspension_approval",
        {"reason": "法定代表人下落不明，经三次上门及电话联系均未找到"}, supersedes=back.name,
    )  # fmt: skip
    assert (fixed.version, fixed.supersedes) == (2, back.name)
    assert state_of(site, case) == cpb.Case.SUSPENDED
    old = cases(site).GetDocument(cpb.GetDocumentRequest(name=back.name)).document
    assert old.state == cpb.Document.SUPERSEDED
    code, reason, _, _ = fails(
        cases(site).SubmitDocument, cpb.SubmitDocumentRequest(request_id=rid(), document=old.name)
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_A_DRAFT")


def test_art6_every_step_keeps_intake_handling_and_review_apart(site: Site) -> None:
    case = file_case(site)
    doc = submit(site, draft(site, case, "revocation_approval", {}))
    roles = ("handler", "reviewer")
    handler_as_reviewer = site.client("cases", JA, "handler1", roles)
    code, reason, meta, _ = fails(
        handler_as_reviewer.ReviewDocument,
        cpb.ReviewDocumentRequest(request_id=rid(), document=doc.name, passed=True),
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED, "SEPARATION_OF_DUTIES", "seed Art 6",
    )  # fmt: skip
    code, reason, _, _ = fails(
        cases(site, "intake1").DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="inspection_record"),
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    other_reviewer = site.client("cases", JA, "reviewer2", ("reviewer",))
    code, reason, _, _ = fails(
        other_reviewer.DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="statement_waiver"),
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_THE_REVIEWER")


def test_correction_is_a_new_version_linked_to_the_effective_one(site: Site) -> None:
    case = file_case(site)
    first = effective(site, case, "rectification_order", {"period_days": 10})
    second = effective(
        site, case, "rectification_order", {"period_days": 15},
        supersedes=first.name,
    )  # fmt: skip
    assert (second.version, second.supersedes) == (2, first.name)
    again = cases(site).GetDocument(cpb.GetDocumentRequest(name=first.name)).document
    assert again == first  # the effective version stays as it was
    code, reason, meta, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(
            request_id=rid(), case=case, type="inspection_record", supersedes=first.name
        ),
    )
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.FAILED_PRECONDITION, "NOT_CORRECTABLE", "supersedes",
    )  # fmt: skip


def test_art16_interview_record_only_through_record_interview(site: Site) -> None:
    case = file_case(site)
    code, reason, _, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="interview_record"),
    )
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "USE_OWN_COMMAND")
    assert interview(site, case).state == cpb.Document.EFFECTIVE


def test_art16_refusal_to_cooperate_is_signed_by_officers_and_witnesses(site: Site) -> None:
    case = file_case(site)
    code, _, meta, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(
            request_id=rid(), case=case, type="refusal_record",
            content_json=json.dumps({"officers": ["甲", "乙"], "circumstances": "拒绝提供工资表"}),
        ),
    )  # fmt: skip
    assert (code, meta["field"], meta["article"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "content_json.witnesses", "seed Art 16",
    )  # fmt: skip
    record = effective(site, case, "refusal_record", {
        "officers": ["承办人甲", "承办人乙"], "witnesses": ["社区网格员赵六"],
        "circumstances": "法定代表人拒绝提供工资表并拒绝签字",
    })  # fmt: skip
    assert record.state == cpb.Document.EFFECTIVE and record.article == 16


def test_art22_approved_extension_moves_the_investigation_limit_from_60_to_90_working_days(
    site: Site,
) -> None:
    case = file_case(site)
    before = deadlines(site, case)["investigation_completed"]
    assert before.amount == 60
    effective(site, case, "extension_approval", {"reason": "案情复杂，需延期"})
    after = deadlines(site, case)["investigation_completed"]
    assert (after.amount, after.started_on) == (90, before.started_on)
    assert after.due_on > before.due_on
    assert after.officer == site.user_id(JA, "handler1")
    effective(site, case, "suspension_approval", {"reason": "法定代表人下落不明"})
    assert "investigation_completed" not in deadlines(site, case)
    assert (
        deadlines(site, case, open_only=False)["investigation_completed"].state
        == common_pb2.Deadline.MET
    )


def test_art23_mandatory_recording_flags_records_without_one(site: Site) -> None:
    case = file_case(site)
    marked = (
        cases(site)
        .MarkCase(cpb.MarkCaseRequest(request_id=rid(), case=case, av_reasons=["obstruction"]))
        .case
    )
    assert marked.av_required and list(marked.av_reasons) == ["obstruction"]
    record = interview(site, case)
    got = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case))
    assert list(got.missing_recordings) == [record.name]
    footage = record_footage(site, case, record.name)
    got = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case))
    assert not got.missing_recordings
    kinds = [(i.kind, i.name) for i in got.items]
    assert ("recording", footage.name) in kinds and ("document", record.name) in kinds
    code, reason, meta, _ = fails(
        cases(site).MarkCase,
        cpb.MarkCaseRequest(request_id=rid(), case=case, av_reasons=["inconvenient"]),
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_AV_GROUND", "seed Art 23",
    )  # fmt: skip


def test_a_step_out_of_order_is_failed_precondition_naming_the_step(site: Site) -> None:
    case = file_case(site)
    code, reason, _, details = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="rectification_verification"),
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "STEP_OUT_OF_ORDER")
    assert "rectification_order" in details
    unassigned = file_case(site, assign=False)
    _, reason, _, details = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=unassigned, type="inspection_record"),
    )
    assert reason in ("STEP_OUT_OF_ORDER", "NO_HANDLER")


def test_art19_evidence_preservation_needs_the_bureau_heads_approval_before_the_notice(
    site: Site,
) -> None:
    case = file_case(site)
    code, _, meta, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(
            request_id=rid(), case=case, type="evidence_preservation_approval",
            content_json=json.dumps({"reason": "工资表可能被销毁", "items": ["2026年工资表"]}),
        ),
    )  # fmt: skip
    assert (code, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "content_json.form_of_preservation",
    )  # fmt: skip
    code, reason, _, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(
            request_id=rid(), case=case, type="evidence_preservation_notice", content_json="{}"
        ),
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PREREQUISITE_NOT_EFFECTIVE")
    approval = submit(site, draft(site, case, "evidence_preservation_approval", {
        "reason": "工资表可能被销毁", "items": ["2026年工资表"], "form_of_preservation": "就地封存",
    }))  # fmt: skip
    code, reason, _, _ = fails(
        cases(site, "head1").ApproveDocument,
        cpb.ApproveDocumentRequest(request_id=rid(), document=approval.name),
    )
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "APPROVER_ROLE_REQUIRED")
    assert through_chain(site, approval).approvals[0].startswith("bureau_head:")
    notice = effective(site, case, "evidence_preservation_notice", {"items": ["2026年工资表"]})
    assert list(notice.served_to) == ["party"]


def test_art20_audit_approval_then_engagement_and_notice(site: Site) -> None:
    case = file_case(site)
    for code_ in ("audit_engagement", "audit_notice"):
        _, reason, _, _ = fails(
            cases(site).DraftDocument,
            cpb.DraftDocumentRequest(request_id=rid(), case=case, type=code_),
        )
        assert reason == "PREREQUISITE_NOT_EFFECTIVE"
    effective(site, case, "audit_approval", {"scope": "2026年工资支付与社保缴纳"})
    assert effective(site, case, "audit_engagement", {"auditor": "某会计师事务所"}).article == 20
    assert (
        effective(site, case, "audit_notice", {"audit_period": "2026年"}).state
        == cpb.Document.EFFECTIVE
    )


def test_deadlines_are_listed_per_officer_and_per_tenant(site: Site) -> None:
    mine, other = file_case(site), file_case(site)
    handler = site.user_id(JA, "handler1")
    listed = cases(site).ListDeadlines(cpb.ListDeadlinesRequest(officer=handler, open_only=True))
    assert {d.case_id for d in listed.deadlines} >= {mine.split("/")[1], other.split("/")[1]}
    assert all(d.officer == handler for d in listed.deadlines)
    elsewhere = site.client("cases", "hongshan", "handler1")
    assert not elsewhere.ListDeadlines(cpb.ListDeadlinesRequest(case=mine)).deadlines


def test_art28_the_rectification_period_is_a_positive_number_of_days(site: Site) -> None:
    case = file_case(site)
    for bad in (0, -3, "十日", True):
        code, reason, meta, _ = fails(
            cases(site).DraftDocument,
            cpb.DraftDocumentRequest(
                request_id=rid(), case=case, type="rectification_order",
                content_json=json.dumps(sample_content("rectification_order", period_days=bad)),
            ),
        )  # fmt: skip
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "BAD_PERIOD")
        assert (meta["field"], meta["article"]) == ("content_json.period_days", "seed Art 28")
    assert (
        effective(site, case, "rectification_order", {"period_days": 5}).state
        == cpb.Document.EFFECTIVE
    )


def test_another_tenants_case_file_is_not_found(site: Site) -> None:
    case = file_case(site)
    elsewhere = site.client("cases", "hongshan", "reviewer1")
    code, _, _, _ = fails(elsewhere.GetCaseFile, cpb.GetCaseFileRequest(case=case))
    assert code == grpc.StatusCode.NOT_FOUND
    code, _, _, _ = fails(
        elsewhere.ArchiveCase, cpb.ArchiveCaseRequest(request_id=rid(), case=case)
    )
    assert code == grpc.StatusCode.NOT_FOUND


def test_art28_a_period_past_its_due_date_is_listed_overdue(site: Site) -> None:
    case = file_case(site)
    order = effective(site, case, "rectification_order", {"period_days": 10})
    long_ago = ts(datetime.now(UTC) - timedelta(days=40))
    request = epb.ServeDocumentRequest(
        request_id=rid(), document=order.name, method=epb.SERVICE_METHOD_DIRECT,
        recipient="某公司", signed_by="王五", served_time=long_ago,
    )  # fmt: skip
    site.client("enforcement", JA, "handler1").ServeDocument(request)
    overdue = cases(site).ListDeadlines(cpb.ListDeadlinesRequest(case=case, overdue_only=True))
    assert {d.rule for d in overdue.deadlines} == {"rectification_period", "rectification_verified"}
    assert "investigation_completed" in deadlines(site, case)  # open, not yet due


def test_art18_materials_handed_in_during_the_investigation_are_stamped(site: Site) -> None:
    case = file_case(site)
    handler = cases(site, "handler1")
    doc = handler.RecordMaterial(
        cpb.RecordMaterialRequest(
            request_id=rid(), case=case, submitted_by="employer", description="工资表（复印件）",
            is_copy=True, checked_against_original=True, pages=12,
        )
    ).document  # fmt: skip
    stamps = json.loads(doc.content_json)["stamps"]
    assert stamps[0].endswith("被监察单位提交资料") and stamps[1] == "经核对，原件与复印件一致"
    assert doc.type == "submitted_material" and doc.state == cpb.Document.EFFECTIVE
    code, reason, meta, _ = fails(
        handler.RecordMaterial,
        cpb.RecordMaterialRequest(
            request_id=rid(), case=case, submitted_by="employer", description="考勤表复印件",
            is_copy=True, checked_against_original=False,
        ),
    )  # fmt: skip
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "COPY_NOT_CHECKED", "seed Art 9, 18",
    )  # fmt: skip
    # The refused copy entered nothing: the material's receipt, then its print (made after
    # the receipt's commit), end the ledger.
    ledger = case_ledger(handler, case)
    assert [e.action for e in ledger][-2:] == ["material.received", "document.printed"]
