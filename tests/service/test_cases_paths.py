"""Every path of the case state machine, end to end over real gRPC (seed Art 16–36, 42):
rectify and close; revoke; suspend; criminal referral with a decline and
reconsideration (or a supervision suggestion); penalty with statement and hearing,
decision and closing; a major case (Art 34). Each ends archived and the ledger verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc

from liuhen.cases.v1 import cases_internal_pb2 as cipb
from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.paging import case_documents, case_ledger
from liuhen.platform.clock import SettableClock
from tests.service.test_cases_steps import (
    JA,
    cases,
    deadlines,
    draft,
    effective,
    fails,
    inbound,
    interview,
    routing_desk,
    serve,
    state_of,
)
from tests.support import Site, file_case, rid


def archive(site: Site, case: str) -> cpb.ArchiveCaseResponse:
    response: cpb.ArchiveCaseResponse = cases(site, "reviewer1").ArchiveCase(
        cpb.ArchiveCaseRequest(request_id=rid(), case=case)
    )
    return response


def assert_closed_to_changes(site: Site, case: str) -> None:
    """Art 42: an archived file takes no further document, mark or step."""
    code, reason, meta, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="inspection_record"),
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION, "CASE_ARCHIVED", "seed Art 42",
    )  # fmt: skip
    code, reason, _, _ = fails(
        cases(site).MarkCase, cpb.MarkCaseRequest(request_id=rid(), case=case, major=True)
    )
    assert reason == "CASE_ARCHIVED"
    assert cases(site).VerifyLedger(cpb.VerifyLedgerRequest(case=case)).ok


def transitions(site: Site, case: str) -> list[str]:
    ledger = case_ledger(cases(site), case)
    return [e.action for e in ledger if e.action in ("case.advanced", "case.archived")]


def test_art16_17_27_28_29_42_accept_investigate_rectify_close_and_archive(site: Site) -> None:
    case = file_case(site)
    record = interview(site, case)
    effective(site, case, "inspection_record", {"findings": "工资表显示欠薪三个月"})
    effective(site, case, "investigation_final_report", {"proposal": "责令限期改正"})
    order = effective(site, case, "rectification_order", {"period_days": 10})
    assert state_of(site, case) == cpb.Case.RECTIFYING
    served = serve(site, order.name)
    assert {d.rule for d in served.deadlines} == {"rectification_period", "rectification_verified"}
    code, reason, _, details = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="closing_approval"),
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "STEP_OUT_OF_ORDER")
    assert "rectification_verification" in details
    effective(site, case, "rectification_verification", {"result": "已足额补发工资"})
    assert state_of(site, case) == cpb.Case.RECTIFIED
    assert not {"rectification_period", "rectification_verified"} & set(deadlines(site, case))
    effective(site, case, "closing_approval", {"reason": "已改正，不予处罚"})
    assert state_of(site, case) == cpb.Case.CLOSED
    assert not deadlines(site, case)  # the investigation limit is met on closing
    code, reason, _, _ = fails(
        cases(site).ArchiveCase, cpb.ArchiveCaseRequest(request_id=rid(), case=case)
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED  # the handler does not archive
    archived = archive(site, case)
    assert archived.case.state == cpb.Case.ARCHIVED and archived.items >= 5
    file = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case))
    names = [i.name for i in file.items]
    assert names.index(record.name) < names.index(order.name)
    assert [i.seq for i in file.items] == list(range(1, len(file.items) + 1))
    assert file.index_sha256 == archived.index_sha256
    assert transitions(site, case) == ["case.advanced"] * 3 + ["case.archived"]
    assert_closed_to_changes(site, case)
    # Nor may the services that hold footage and service records add to the file.
    code, reason, _, _ = fails(lambda _: serve(site, order.name), None)
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CASE_ARCHIVED")
    code, reason, _, _ = fails(
        site.client("media", "jiangan", "handler1").UploadRecording, iter(recording(case))
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "CASE_ARCHIVED")


def recording(case: str) -> list[mpb.UploadRecordingRequest]:
    meta = mpb.RecordingMetadata(
        request_id=rid(),
        case=case,
        kind="video",
        device="执法记录仪",
        place="现场",
        content_type="video/mp4",
    )
    meta.start_time.FromDatetime(datetime.now(UTC) - timedelta(hours=1))
    meta.end_time.FromDatetime(datetime.now(UTC) - timedelta(minutes=30))
    return [
        mpb.UploadRecordingRequest(metadata=meta),
        mpb.UploadRecordingRequest(chunk=b"x" * 1024),
    ]


def test_art29_revocation_approved_by_reviewer_and_head_then_archived(site: Site) -> None:
    case = file_case(site)
    doc = effective(site, case, "revocation_approval", {"reason": "不属于劳动保障监察事项"})
    assert [a.split(":")[0] for a in doc.approvals] == ["reviewer", "head"]
    assert state_of(site, case) == cpb.Case.REVOKED
    assert "investigation_completed" not in deadlines(site, case)
    assert archive(site, case).case.state == cpb.Case.ARCHIVED
    assert_closed_to_changes(site, case)


def test_art29_suspension_approved_by_reviewer_and_head_then_archived(site: Site) -> None:
    case = file_case(site)
    code, reason, _, _ = fails(
        cases(site, "reviewer1").ArchiveCase, cpb.ArchiveCaseRequest(request_id=rid(), case=case)
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "STEP_OUT_OF_ORDER")
    effective(site, case, "suspension_approval", {"reason": "用人单位法定代表人下落不明"})
    assert state_of(site, case) == cpb.Case.SUSPENDED
    assert archive(site, case).case.state == cpb.Case.ARCHIVED
    assert_closed_to_changes(site, case)


def refer(site: Site, case: str) -> cpb.SendDeskDocumentResponse:
    """Report, materials list, approval by the bureau head, letter; then send it."""
    effective(site, case, "investigation_final_report", {"proposal": "涉嫌拒不支付劳动报酬罪"})
    code, reason, _, _ = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="criminal_referral_letter"),
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PREREQUISITE_NOT_EFFECTIVE")
    effective(site, case, "criminal_referral_report", {"facts": "欠薪50万元，经责令仍不支付"})
    effective(site, case, "referral_materials_list", {"items": ["询问笔录", "工资表"]})
    approval = effective(site, case, "criminal_referral_approval", {"opinion": "同意移送"})
    assert approval.approvals[0].startswith("bureau_head:")
    letter = effective(site, case, "criminal_referral_letter", {"to": "江岸区公安分局"})
    sent: cpb.SendDeskDocumentResponse = cases(site).SendCriminalReferral(
        cpb.SendDeskDocumentRequest(request_id=rid(), document=letter.name)
    )
    return sent


def test_art30_criminal_referral_declined_then_reconsidered_and_filed(site: Site) -> None:
    case = file_case(site)
    code, reason, _, details = fails(
        routing_desk(site).RecordInboundDocument,
        cipb.RecordInboundDocumentRequest(
            request_id=rid(), case=case, type="police_filing_decision",
            content_json='{"filed": true}', from_site="jiangan.psb",
        ),
    )  # fmt: skip
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "STEP_OUT_OF_ORDER")
    assert "criminal_referral_letter" in details
    sent = refer(site, case)
    documents = case_documents(cases(site), JA, case)
    letter = next(d for d in documents if d.type == "criminal_referral_letter")
    replay = cpb.SendDeskDocumentRequest(request_id=rid(), document=letter.name)
    code, reason, _, details = fails(cases(site).SendCriminalReferral, replay)
    assert reason == "STEP_OUT_OF_ORDER" and "referred" in details  # sent once only
    assert [(m.type, m.recipient) for m in sent.messages] == [
        ("criminal_referral", "jiangan.psb"),
        ("criminal_referral_copy", "jiangan.procuratorate"),
    ]
    assert sent.case.state == cpb.Case.REFERRED
    inbound(site, case, "criminal_referral_receipt", {"received_by": "江岸区公安分局法制室"})
    assert deadlines(site, case)["police_filing_decision"].amount == 3
    inbound(site, case, "police_filing_decision", {"filed": False, "reason": "证据不足"})
    assert state_of(site, case) == cpb.Case.POLICE_DECLINED
    open_now = deadlines(site, case)
    assert "police_filing_decision" not in open_now
    assert open_now["reconsideration_requested"].source.startswith(
        "行政执法机关移送涉嫌犯罪案件的规定"
    )
    request = effective(site, case, "non_filing_reconsideration_request", {"grounds": "证据充分"})
    again = cases(site).SendDeskDocument(
        cpb.SendDeskDocumentRequest(request_id=rid(), document=request.name)
    )
    assert [(m.type, m.recipient) for m in again.messages] == [
        ("reconsideration_request", "jiangan.psb")
    ]
    assert again.case.state == cpb.Case.RECONSIDERATION_REQUESTED
    assert "reconsideration_requested" not in deadlines(site, case)
    inbound(site, case, "reconsideration_decision", {"filed": True, "reason": "同意立案"})
    assert state_of(site, case) == cpb.Case.POLICE_FILED
    effective(site, case, "closing_approval", {"reason": "已移送公安机关立案侦查"})
    assert archive(site, case).case.state == cpb.Case.ARCHIVED
    assert_closed_to_changes(site, case)


def test_art30_decline_leads_to_a_filing_supervision_suggestion(site: Site) -> None:
    case = file_case(site)
    refer(site, case)
    inbound(site, case, "police_filing_decision", {"filed": False, "reason": "不构成犯罪"})
    suggestion = effective(site, case, "filing_supervision_suggestion", {"grounds": "应当立案"})
    sent = cases(site).SendDeskDocument(
        cpb.SendDeskDocumentRequest(request_id=rid(), document=suggestion.name)
    )
    assert [(m.type, m.recipient) for m in sent.messages] == [
        ("filing_supervision_suggestion", "jiangan.procuratorate")
    ]
    assert sent.case.state == cpb.Case.SUPERVISION_SUGGESTED


def test_art30_only_the_routing_service_records_what_the_desks_send(site: Site) -> None:
    case = file_case(site)
    refer(site, case)
    code, reason, _, _ = fails(
        site.client("cases_internal", "jiangan", "handler1").RecordInboundDocument,
        cipb.RecordInboundDocumentRequest(
            request_id=rid(), case=case, type="criminal_referral_receipt", content_json="{}",
            from_site="jiangan.psb",
        ),
    )  # fmt: skip
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_ONLY")
    code, reason, _, _ = fails(
        routing_desk(site).RecordInboundDocument,
        cipb.RecordInboundDocumentRequest(
            request_id=rid(), case=case, type="criminal_referral_receipt", content_json="{}",
            from_site="hongshan.psb",
        ),
    )  # fmt: skip
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "WRONG_SENDER")


def test_art31_35_36_penalty_with_statement_and_hearing_then_decision_and_closing(
    site: Site, clock: SettableClock
) -> None:
    case = file_case(site)
    effective(site, case, "investigation_final_report", {"proposal": "拟处罚款"})
    _, reason, _, details = fails(
        cases(site).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="penalty_prior_notice"),
    )
    assert reason == "STEP_OUT_OF_ORDER" and "proposed_penalty_approval" in details
    effective(site, case, "proposed_penalty_approval", {"penalty": "罚款5000元"})
    notice = effective(site, case, "penalty_prior_notice", {"penalty": "罚款5000元"})
    assert state_of(site, case) == cpb.Case.PENALTY_NOTICED
    served = serve(site, notice.name)
    assert [(d.rule, d.amount, d.unit) for d in served.deadlines] == [
        ("hearing_requested", 5, "working_days"),
        ("statement_period", 5, "working_days"),
    ]
    effective(site, case, "statement_application", {"applicant": "王五"}, by="reviewer1")
    effective(site, case, "statement_record", {"statement": "已补发部分工资"}, by="reviewer1")
    effective(site, case, "statement_deliberation", {"proceed": True}, by="reviewer1")
    assert state_of(site, case) == cpb.Case.PENALTY_PROCEDURE
    effective(site, case, "hearing_notice", {"time": "2026-12-01T09:00:00+08:00"}, by="legal1")
    assert state_of(site, case) == cpb.Case.HEARING
    assert "hearing_requested" not in deadlines(site, case)
    effective(site, case, "hearing_result", {"conclusion": "维持拟处罚"}, by="legal1")
    effective(site, case, "penalty_approval", {"penalty": "罚款5000元"}, by="reviewer1")
    decision = effective(site, case, "penalty_decision", {"penalty": "罚款5000元"}, by="reviewer1")
    assert decision.decision_document and state_of(site, case) == cpb.Case.DECIDED
    serve(site, decision.name, by="reviewer1")
    effective(site, case, "performance_record", {"paid_on": "2026-12-10"})
    closing = effective(site, case, "closing_approval", {"reason": "已履行处罚决定"})
    assert [a.split(":")[0] for a in closing.approvals] == ["reviewer", "head"]
    assert archive(site, case).case.state == cpb.Case.ARCHIVED
    assert transitions(site, case)[-1] == "case.archived"
    assert_closed_to_changes(site, case)


def test_art32_statement_deliberation_may_decide_on_no_penalty(site: Site) -> None:
    case = file_case(site)
    effective(site, case, "investigation_final_report", {"proposal": "拟处罚款"})
    effective(site, case, "proposed_penalty_approval", {"penalty": "罚款2000元"})
    serve(site, effective(site, case, "penalty_prior_notice", {"penalty": "罚款2000元"}).name)
    _, reason, _, details = fails(
        cases(site, "reviewer1").DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="statement_record"),
    )
    assert reason == "STEP_OUT_OF_ORDER" and "statement_application" in details
    effective(site, case, "statement_application", {"applicant": "王五"}, by="reviewer1")
    effective(site, case, "statement_record", {"statement": "已全部改正"}, by="reviewer1")
    effective(site, case, "statement_deliberation", {"proceed": False}, by="reviewer1")
    assert state_of(site, case) == cpb.Case.NO_PENALTY
    effective(site, case, "closing_approval", {"reason": "不予处罚"})
    assert state_of(site, case) == cpb.Case.CLOSED


def test_art34_major_case_needs_legal_review_and_collective_discussion(
    site: Site, clock: SettableClock
) -> None:
    case = file_case(site)
    cases(site, "head1").MarkCase(
        cpb.MarkCaseRequest(
            request_id=rid(), case=case, major=True, av_reasons=["major_or_complex"]
        )
    )
    effective(site, case, "investigation_final_report", {"proposal": "拟处较重罚款"})
    effective(site, case, "proposed_penalty_approval", {"penalty": "罚款50000元"})
    serve(site, effective(site, case, "penalty_prior_notice", {"penalty": "罚款50000元"}).name)
    clock.advance(timedelta(days=10))  # the statement period of Art 32 is over
    effective(site, case, "statement_waiver", {"note": "当事人书面放弃陈述申辩"}, by="reviewer1")
    code, reason, _, details = fails(
        cases(site, "reviewer1").DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type="penalty_approval"),
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert reason == "PREREQUISITE_NOT_EFFECTIVE" and "legal_review" in details
    effective(site, case, "legal_review", {"opinion": "事实清楚，适用法律正确"}, by="legal1")
    discussion = effective(site, case, "collective_discussion", {"decision": "同意"}, by="legal1")
    assert discussion.approvals[0].startswith("bureau_head:")
    approval = draft(site, case, "penalty_approval", {"penalty": "罚款50000元"}, by="reviewer1")
    assert approval.state == cpb.Document.DRAFT and list(approval.approval_chain) == ["head"]


def test_art39_the_reminder_period_runs_from_service_until_performance(
    site: Site, clock: SettableClock
) -> None:
    case = file_case(site)
    effective(site, case, "investigation_final_report", {"proposal": "拟作行政处理"})
    effective(site, case, "proposed_penalty_approval", {"handling": "责令支付拖欠工资"})
    serve(
        site, effective(site, case, "penalty_prior_notice", {"handling": "责令支付拖欠工资"}).name
    )
    clock.advance(timedelta(days=10))
    effective(site, case, "statement_waiver", {"note": "当事人放弃陈述申辩"}, by="reviewer1")
    effective(site, case, "penalty_approval", {"handling": "责令支付拖欠工资"}, by="reviewer1")
    decision = effective(site, case, "handling_decision", {"order": "支付工资"}, by="reviewer1")
    serve(site, decision.name, by="reviewer1")
    clock.advance(timedelta(days=20))  # the 15 days to perform are over, unperformed
    reminder = effective(site, case, "performance_reminder", {"order": "支付工资"}, by="reviewer1")
    served = serve(site, reminder.name, by="reviewer1")
    assert [(d.rule, d.amount) for d in served.deadlines] == [("reminder_period", 10)]
    effective(site, case, "performance_record", {"paid_on": "2026-12-20"})
    assert "reminder_period" not in deadlines(site, case)
    assert state_of(site, case) == cpb.Case.PERFORMED
