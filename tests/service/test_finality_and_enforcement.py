"""The procedure in time (seed Art 31–32, 37–40): what must be served first, which periods
must run out, when a decision is final, the court round trip through routing, and late
steps that stay late. Time moves by the test's clock; nothing sleeps through a period."""

from __future__ import annotations

import json
from datetime import timedelta

import grpc

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.common.v1 import common_pb2
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.paging import case_documents
from liuhen.platform.clock import SettableClock
from liuhen.platform.db import utcnow
from liuhen.platform.polling import wait_for
from liuhen.routing.v1 import routing_pb2 as rpb
from tests.service.test_cases_paths import refer
from tests.service.test_cases_steps import (
    cases,
    deadlines,
    effective,
    fails,
    inbound,
    serve,
    state_of,
    ts,
)
from tests.service.test_routing import inbox
from tests.service.test_routing_desk_referral import answer, applied, on_desk
from tests.support import Site, file_case, rid

ORDER = {"order": "支付拖欠工资"}


def noticed(site: Site, *, served: bool = True) -> tuple[str, cpb.Document]:
    """A case up to its effective 事先告知书 (Art 31), served if asked."""
    case = file_case(site)
    effective(site, case, "investigation_final_report", {"proposal": "拟作行政处理"})
    effective(site, case, "proposed_penalty_approval", {"handling": "责令支付拖欠工资"})
    notice = effective(site, case, "penalty_prior_notice", {"handling": "责令支付拖欠工资"})
    if served:
        serve(site, notice.name)
    return case, notice


def decided(site: Site, clock: SettableClock) -> tuple[str, cpb.Document]:
    """A handling decision served on the party (Art 35, 37)."""
    case, _ = noticed(site)
    clock.advance(timedelta(days=10))  # the statement period (5 working days) is over
    effective(site, case, "statement_waiver", {"note": "当事人放弃陈述申辩"}, by="reviewer1")
    effective(site, case, "penalty_approval", {"handling": "责令支付拖欠工资"}, by="reviewer1")
    decision = effective(site, case, "handling_decision", ORDER, by="reviewer1")
    serve(site, decision.name, by="reviewer1")
    return case, decision


def reminded(site: Site, clock: SettableClock) -> str:
    """The performance period over, unperformed; the 催告书 served (Art 39)."""
    case, _ = decided(site, clock)
    clock.advance(timedelta(days=20))
    reminder = effective(site, case, "performance_reminder", ORDER, by="reviewer1")
    serve(site, reminder.name, by="reviewer1")
    return case


def refused_draft(site: Site, case: str, type_code: str, by: str) -> tuple[str, str, str]:
    code, reason, meta, details = fails(
        cases(site, by).DraftDocument,
        cpb.DraftDocumentRequest(request_id=rid(), case=case, type=type_code),
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    return reason, meta["article"], details


def test_art32_a_statement_or_waiver_needs_the_prior_notice_served(site: Site) -> None:
    case, notice = noticed(site, served=False)
    for type_code in ("statement_application", "statement_waiver"):
        reason, article, _ = refused_draft(site, case, type_code, "reviewer1")
        assert (reason, article) == ("NOT_SERVED", "seed Art 32; 行政处罚法 Art 44, 62")
    serve(site, notice.name)
    effective(site, case, "statement_application", {"applicant": "王五"}, by="reviewer1")
    assert "statement_period" not in deadlines(site, case)


def test_art32_a_waiver_counts_only_after_the_statement_period(
    site: Site, clock: SettableClock
) -> None:
    case, _ = noticed(site)
    reason, article, details = refused_draft(site, case, "statement_waiver", "reviewer1")
    assert reason == "PERIOD_NOT_OVER" and article.startswith("seed Art 32")
    assert "statement_period" in details
    clock.advance(timedelta(days=10))
    effective(site, case, "statement_waiver", {"note": "当事人放弃陈述申辩"}, by="reviewer1")
    assert state_of(site, case) == cpb.Case.PENALTY_PROCEDURE


def test_art37_6_public_notice_is_deemed_served_after_civil_procedure_law_art95(
    site: Site, clock: SettableClock
) -> None:
    case, notice = noticed(site, served=False)
    record = serve_by_public_notice(site, notice.name)
    assert (record.service_date, record.deemed) == ("2026-10-21", True)
    assert record.service_date_source == "民事诉讼法 (2023) Art 95"
    periods = deadlines(site, case)
    assert periods["statement_period"].started_on == "2026-10-21"
    clock.advance(timedelta(days=14))  # 14 days after posting: not yet served
    reason, _, _ = refused_draft(site, case, "statement_waiver", "reviewer1")
    assert reason == "PERIOD_NOT_OVER"


def serve_by_public_notice(site: Site, document: str) -> epb.ServiceRecord:
    request = epb.ServeDocumentRequest(
        request_id=rid(),
        document=document,
        method=epb.SERVICE_METHOD_PUBLIC_NOTICE,
        recipient="某公司",
        served_time=ts(utcnow() - timedelta(minutes=5)),
        note="在公司原址张贴，并在局网站公告",
        details={"reason": "下落不明", "notice_method": "张贴、网站", "notice_text": "某公司：……"},
        evidence=[epb.Evidence(kind="photo", content=b"posted", content_type="image/jpeg")],
    )
    record: epb.ServiceRecord = (
        site.client("enforcement", "jiangan", "handler1").ServeDocument(request).record
    )
    return record


def test_art39_the_reminder_comes_after_the_performance_period(
    site: Site, clock: SettableClock
) -> None:
    case, _ = decided(site, clock)
    periods = deadlines(site, case)
    assert periods["review_window"].source == "行政复议法 (2023) Art 20"
    assert (periods["suit_window"].amount, periods["suit_window"].unit) == (6, "months")
    reason, _, details = refused_draft(site, case, "performance_reminder", "reviewer1")
    assert reason == "PERIOD_NOT_OVER" and "performance_period" in details
    clock.advance(timedelta(days=20))
    effective(site, case, "performance_reminder", ORDER, by="reviewer1")


def test_art40_enforcement_two_days_after_the_reminder_is_refused_coercion_law_art54(
    site: Site, clock: SettableClock
) -> None:
    case = reminded(site, clock)
    clock.advance(timedelta(days=2))
    reason, article, _ = refused_draft(site, case, "enforcement_application_approval", "reviewer1")
    assert (reason, article) == ("PERIOD_NOT_OVER", "行政强制法 Art 54, Art 69")


def test_art38_enforcement_waits_until_the_party_can_no_longer_sue(
    site: Site, clock: SettableClock
) -> None:
    case = reminded(site, clock)
    clock.advance(timedelta(days=30))  # the reminder's 10 working days are over
    reason, article, details = refused_draft(
        site, case, "enforcement_application_approval", "reviewer1"
    )
    assert reason == "DECISION_NOT_FINAL" and article == "seed Art 38; 行政强制法 Art 53"
    assert "until" in details


def test_art53_applying_to_the_court_after_three_months_is_refused(
    site: Site, clock: SettableClock
) -> None:
    case = reminded(site, clock)
    clock.advance(timedelta(days=6 * 31 + 3 * 31 + 5))  # windows and the 3 months are over
    reason, article, _ = refused_draft(site, case, "enforcement_application_approval", "reviewer1")
    assert reason == "OUT_OF_TIME" and article.startswith("行政强制法 Art 53")


def test_art38_40_a_review_upholding_the_decision_opens_the_court_round_trip(
    site: Site, clock: SettableClock
) -> None:
    court_round_trip(site, clock)


def court_round_trip(site: Site, clock: SettableClock) -> None:
    """A review upholds the decision; the bureau head approves the application, the 案卷
    is made, the application goes to the court desk through routing, the court's
    acceptance and ruling come back onto the case (Art 38, 40; 行政强制法 Art 53–58)."""
    case = reminded(site, clock)
    clock.advance(timedelta(days=30))
    review = {"kind": "review", "body": "武汉市人民政府", "lodged_on": "2026-10-20"}
    effective(site, case, "remedy_record", {**review, "outcome": "pending"}, by="reviewer1")
    reason, _, _ = refused_draft(site, case, "enforcement_application_approval", "reviewer1")
    assert reason == "DECISION_NOT_FINAL"
    upheld = {**review, "outcome": "upheld", "decided_on": utcnow().date().isoformat()}
    effective(site, case, "remedy_record", upheld, by="reviewer1")
    approval = effective(
        site, case, "enforcement_application_approval", {"reason": "逾期不履行"}, by="reviewer1"
    )
    assert approval.approvals[0].startswith("bureau_head:")
    effective(site, case, "enforcement_case_file", {"court": "江岸区人民法院"}, by="reviewer1")
    application = effective(
        site, case, "enforcement_application", {"court": "江岸区人民法院"}, by="reviewer1"
    )
    sent = cases(site, "reviewer1").SendDeskDocument(
        cpb.SendDeskDocumentRequest(request_id=rid(), document=application.name)
    )
    assert [(m.type, m.recipient) for m in sent.messages] == [
        ("enforcement_application", "jiangan.court")
    ]
    assert sent.case.state == cpb.Case.ENFORCEMENT_APPLIED
    [letter] = on_desk(site, "jiangan.court", "enforcement_application")
    accepted = answer(site, "court_acceptance", letter, accepted=True, court="江岸区人民法院")
    assert wait_for(lambda: applied(site, accepted), "the acceptance").state == rpb.Message.APPLIED
    ruling = answer(site, "court_ruling", letter, ruling="准予强制执行", enforce=True)
    assert wait_for(lambda: applied(site, ruling), "the ruling").state == rpb.Message.APPLIED
    got = case_documents(cases(site), "jiangan", case)
    landed = {d.type for d in got if d.from_site == "jiangan.court"}
    assert landed == {"court_acceptance", "court_ruling"}
    met = deadlines(site, case, open_only=False)["court_application"]
    assert (met.state, met.late) == (common_pb2.Deadline.MET, False)


def test_art30_a_reconsideration_request_after_its_3_days_stays_late(
    site: Site, clock: SettableClock
) -> None:
    case = file_case(site)
    refer(site, case)
    inbound(site, case, "police_filing_decision", {"filed": False, "reason": "证据不足"})
    clock.advance(timedelta(days=4))
    request = effective(site, case, "non_filing_reconsideration_request", {"grounds": "证据充分"})
    cases(site).SendDeskDocument(
        cpb.SendDeskDocumentRequest(request_id=rid(), document=request.name)
    )
    met = deadlines(site, case, open_only=False)["reconsideration_requested"]
    assert (met.state, met.late) == (common_pb2.Deadline.MET, True)
    assert met.met_on > met.due_on
    answer = deadlines(site, case)["reconsideration_answered"]  # the police's 3 days
    assert (answer.amount, answer.source) == (3, "行政执法机关移送涉嫌犯罪案件的规定 Art 9")
    clock.advance(timedelta(days=1))
    inbound(site, case, "reconsideration_decision", {"filed": True, "reason": "同意立案"})
    assert deadlines(site, case, open_only=False)["reconsideration_answered"].late is False


def test_art30_a_supervision_suggestion_closes_the_reconsideration_it_replaces(
    site: Site,
) -> None:
    case = file_case(site)
    refer(site, case)
    inbound(site, case, "police_filing_decision", {"filed": False, "reason": "不构成犯罪"})
    suggestion = effective(site, case, "filing_supervision_suggestion", {"grounds": "应当立案"})
    cases(site).SendDeskDocument(
        cpb.SendDeskDocumentRequest(request_id=rid(), document=suggestion.name)
    )
    closed = deadlines(site, case, open_only=False)["reconsideration_requested"]
    assert (closed.state, closed.late) == (common_pb2.Deadline.MET, False)


def assistance_request(site: Site, tenant: str) -> tuple[str, cpb.Document]:
    case = file_case(site, tenant)
    officer = site.client("cases", tenant, "handler1")
    request = cpb.DraftDocumentRequest(
        request_id=rid(),
        case=case,
        type="assistance_request",
        content_json='{"matters": "核实该公司在外省的用工情况"}',
    )
    doc = officer.DraftDocument(request).document
    doc = officer.SubmitDocument(
        cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name)
    ).document
    doc = (
        site.client("cases", tenant, "head1")
        .ApproveDocument(cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name))
        .document
    )
    assert doc.state == cpb.Document.EFFECTIVE
    return case, doc


def send_to_province(site: Site, tenant: str, by: str, doc: cpb.Document) -> str:
    request = cpb.SendAssistanceRequestRequest(
        request_id=rid(), document=doc.name, recipient="hubei"
    )
    return str(site.client("cases", tenant, by).SendAssistanceRequest(request).message_id)


def test_art21_2_a_district_sending_straight_to_the_province_is_refused(site: Site) -> None:
    _, doc = assistance_request(site, "jiangan")
    code, reason, meta, _ = fails(
        lambda r: send_to_province(site, "jiangan", "handler1", doc), None
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ASSISTANCE_THROUGH_THE_CITY")
    assert (meta["article"], meta["field"]) == ("seed Art 21(2)", "recipient")


def test_art21_1_the_citys_review_department_sends_to_the_province_desk(site: Site) -> None:
    case, doc = assistance_request(site, "wuhan")
    send_to_province(site, "wuhan", "reviewer1", doc)
    [letter] = on_desk(site, "hubei", "assistance_request")
    assert (letter.sender, letter.case_ref) == ("wuhan", case)


def test_art21_2_a_districts_cross_province_request_travels_through_the_city_and_back(
    site: Site,
) -> None:
    case, doc = assistance_request(site, "jiangan")
    handler = site.client("cases", "jiangan", "handler1")
    direct = cpb.SendAssistanceRequestRequest(
        request_id=rid(), document=doc.name, recipient="hongshan", across_province=True
    )
    code, reason, meta, _ = fails(handler.SendAssistanceRequest, direct)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert (reason, meta["article"]) == ("ASSISTANCE_THROUGH_THE_CITY", "seed Art 21(2)")
    sent = handler.SendAssistanceRequest(
        cpb.SendAssistanceRequestRequest(
            request_id=rid(), document=doc.name, recipient="wuhan", across_province=True
        )
    )
    wait_for(
        lambda: [m for m in inbox(site, "wuhan") if m.envelope.message_id == sent.message_id],
        "the request in the city's inbox",
    )
    site.client("routing", "wuhan", "reviewer1").ForwardAssistanceRequest(
        rpb.ForwardAssistanceRequestRequest(request_id=rid(), message=f"messages/{sent.message_id}")
    )
    [letter] = on_desk(site, "hubei", "assistance_request")
    assert (letter.sender, letter.case_ref, letter.correlation_id) == (
        "wuhan",
        case,
        sent.message_id,
    )
    copies = json.loads(letter.payload_json)["case_file"]
    assert "assistance_request" in {c["type"] for c in copies}  # copies of the case file
    answer(site, "assistance_reply", letter, findings="该公司在外省无用工记录", handler_name="省局")

    def landed() -> list[cpb.Document]:
        got = case_documents(handler, "jiangan", case)
        return [d for d in got if d.type == "assistance_reply"]

    [reply] = wait_for(landed, "the province's reply on the district's case")
    assert reply.from_site == "wuhan"
    assert json.loads(reply.content_json)["findings"] == "该公司在外省无用工记录"
