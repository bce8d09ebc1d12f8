"""The rules of service (seed Art 37) and the periods it starts (Art 28), without I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import document_type
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, LiuhenError
from services.enforcement.methods import Evidence, service_date
from services.enforcement.model import (
    DocumentToServe,
    Period,
    ServeDocument,
    check_method,
    check_serviceable,
    period_amount,
    periods,
    receipt,
    validate_command,
)

NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)


def doc(
    code: str = "rectification_order",
    *,
    state: str = "effective",
    content: dict[str, Any] | None = None,
) -> DocumentToServe:
    spec = document_type(code)
    return DocumentToServe(
        name="cases/c/documents/d",
        case_id="c",
        case_number="江岸区劳监立〔2026〕1号",
        party="某建筑公司",
        handler="u-handler",
        type=code,
        title_zh=spec.zh,
        state=state,
        content_sha256="ab" * 32,
        content=content if content is not None else {},
        served_to=spec.served_to,
        decision_document=spec.decision_document,
        deadline=spec.deadline,
        article=spec.article,
    )


def cmd(method: str = "direct", **kw: Any) -> ServeDocument:
    base: dict[str, Any] = {
        "document": "cases/c/documents/d",
        "method": method,
        "recipient": "某建筑公司",
        "signed_by": "张三",
        "served_at": NOW,
    }
    return ServeDocument(**{**base, **kw})


def refused(exc: pytest.ExceptionInfo[LiuhenError]) -> tuple[str, str, str]:
    return exc.value.reason, exc.value.article, exc.value.field


@pytest.mark.parametrize("code", ["penalty_decision", "handling_decision"])
@pytest.mark.parametrize("method", ["fax", "email"])
def test_art37_4_fax_or_email_refused_for_decision_documents(code: str, method: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd(method, fax_number="027-1234"), doc(code))
    assert refused(exc) == ("SERVICE_METHOD_NOT_ALLOWED", "seed Art 37(4)", "method")


def ev(kind: str) -> Evidence:
    return Evidence(kind=kind, sha256="cd" * 32, object_key=f"service-evidence/c/{kind}", size=3)


# What each method records when complete (seed Art 37(1)-(6)).
COMPLETE: dict[str, dict[str, Any]] = {
    "direct": {},
    "left_at_premises": {
        "note": "当事人拒收，张贴于公司大门",
        "details": {"witnesses": "社区干部王五"},
        "evidence": (ev("photo"),),
    },
    "mail": {
        "details": {"tracking_number": "EMS1234567890", "receipt_signed_on": "2026-09-23"},
        "evidence": (ev("postal_slip"), ev("return_receipt")),
    },
    "fax": {
        "fax_number": "027-1234",
        "details": {"received_time": "2026-09-21T10:05:00+08:00"},
        "evidence": (ev("call_recording"),),
    },
    "email": {
        "details": {"email_address": "hr@example.cn", "received_time": "2026-09-21"},
        "evidence": (ev("screenshot"),),
    },
    "entrusted": {"note": "委托街道办送达", "details": {"entrusted_body": "后湖街道办事处"}},
    "public_notice": {
        "note": "在公司原址张贴并在局网站公告",
        "details": {
            "reason": "下落不明",
            "notice_method": "张贴、网站",
            "notice_text": "某建筑公司：本局作出……",
        },
        "evidence": (ev("photo"),),
    },
}


@pytest.mark.parametrize("method", sorted(COMPLETE))
def test_art37_each_method_with_what_it_records_is_accepted(method: str) -> None:
    check_method(cmd(method, **COMPLETE[method]), doc())


@pytest.mark.parametrize(
    ("method", "drop", "field", "article"),
    [
        ("left_at_premises", "note", "details.note", "seed Art 37(2)"),
        ("left_at_premises", "witnesses", "details.witnesses", "seed Art 37(2)"),
        ("left_at_premises", "evidence", "evidence", "seed Art 37(2)"),
        ("mail", "tracking_number", "details.tracking_number", "seed Art 37(3)"),
        ("mail", "evidence", "evidence", "seed Art 37(3)"),
        (
            "mail",
            "receipt_signed_on",
            "details.receipt_signed_on or details.returned_reason",
            "seed Art 37(3)",
        ),
        ("fax", "fax_number", "details.fax_number", "seed Art 37(4)"),
        ("fax", "received_time", "details.received_time", "seed Art 37(4)"),
        ("email", "evidence", "evidence", "seed Art 37(4)"),
        ("entrusted", "entrusted_body", "details.entrusted_body", "seed Art 37(5)"),
        ("entrusted", "note", "details.note", "seed Art 37(5)"),
        ("public_notice", "reason", "details.reason", "seed Art 37(6)"),
        ("public_notice", "notice_text", "details.notice_text", "seed Art 37(6)"),
        ("public_notice", "evidence", "evidence", "seed Art 37(6)"),
    ],
)
def test_art37_a_method_missing_what_it_records_is_refused_naming_the_field(
    method: str, drop: str, field: str, article: str
) -> None:
    kw = dict(COMPLETE[method])
    if drop in kw:
        kw[drop] = () if drop == "evidence" else ""
    else:
        kw["details"] = {k: v for k, v in kw["details"].items() if k != drop}
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd(method, **kw), doc())
    assert refused(exc) == ("SERVICE_DETAIL_REQUIRED", article, field)


def test_art37_6_public_notice_on_the_word_alone_is_refused() -> None:
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd("public_notice", note="已公告"), doc())
    assert exc.value.article == "seed Art 37(6)"


def test_art37_1_direct_service_needs_signature_or_the_refusal() -> None:
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd("direct", signed_by=""), doc())
    assert refused(exc) == (
        "SERVICE_DETAIL_REQUIRED",
        "seed Art 37(1)",
        "signed_by or details.refusal",
    )
    check_method(cmd("direct", signed_by="", details={"refusal": "法定代表人拒绝签收"}), doc())


def test_art37_3_returned_mail_needs_the_returned_mail_and_starts_nothing() -> None:
    kw = {
        "details": {"tracking_number": "EMS1", "returned_reason": "查无此单位"},
        "evidence": (ev("postal_slip"),),
    }
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd("mail", **kw), doc())
    assert exc.value.field == "evidence"
    kw["evidence"] = (ev("postal_slip"), ev("returned_mail"))
    check_method(cmd("mail", **kw), doc())
    assert service_date("mail", NOW, kw["details"]).on is None


def test_art37_the_date_of_service_counts_per_method() -> None:
    assert service_date("direct", NOW, {}).on == date(2026, 9, 21)
    assert service_date("mail", NOW, {"receipt_signed_on": "2026-09-24"}).on == date(2026, 9, 24)
    late_fax = {"received_time": "2026-09-22T23:30:00+08:00"}
    assert service_date("fax", NOW, late_fax).on == date(2026, 9, 22)


def test_art37_6_public_notice_is_deemed_served_30_days_after_civil_procedure_law_art95() -> None:
    when = service_date("public_notice", NOW, {})
    assert (when.on, when.deemed) == (date(2026, 10, 21), True)
    assert when.source == "民事诉讼法 (2023) Art 95"


def test_art37_method_recipient_and_time_are_required() -> None:
    with pytest.raises(InvalidArgument) as exc:
        validate_command(cmd(""), NOW)
    assert exc.value.field == "method"
    with pytest.raises(InvalidArgument) as exc:
        validate_command(cmd(recipient=""), NOW)
    assert exc.value.field == "recipient"
    with pytest.raises(InvalidArgument) as exc:
        validate_command(cmd(served_at=NOW + timedelta(hours=1)), NOW)
    assert exc.value.field == "served_time"
    validate_command(cmd(), NOW)


def test_art37_only_effective_documents_are_served() -> None:
    with pytest.raises(FailedPrecondition) as exc:
        check_serviceable(doc(state="draft"))
    assert exc.value.reason == "DOCUMENT_NOT_EFFECTIVE"
    assert "ApproveDocument" in exc.value.message
    check_serviceable(doc())


def test_art37_documents_not_served_on_anyone_are_refused() -> None:
    with pytest.raises(FailedPrecondition) as exc:
        check_serviceable(doc("investigation_final_report"))
    assert exc.value.reason == "DOCUMENT_NOT_SERVED"


def test_art21_documents_for_peers_go_through_routing() -> None:
    with pytest.raises(FailedPrecondition) as exc:
        check_serviceable(doc("assistance_request"))
    assert exc.value.reason == "SERVED_THROUGH_ROUTING"


def test_art28_rectification_period_is_ten_days_unless_the_order_says_otherwise() -> None:
    assert period_amount(doc()) == 10
    assert period_amount(doc(content={"period_days": 5})) == 5
    for bad in (0, -3, "10", True, 2.5):
        with pytest.raises(FailedPrecondition) as exc:
            period_amount(doc(content={"period_days": bad}))
        assert exc.value.field == "content_json.period_days"


def test_art28_service_starts_the_period_and_its_check_once() -> None:
    assert periods(doc(), already_started=False) == [
        Period("rectification_period", 10),
        Period("rectification_verified", None, after="previous"),
    ]
    assert periods(doc(), already_started=True) == []
    assert periods(doc("interview_record"), already_started=False) == []


def test_art38_serving_a_decision_starts_payment_review_suit_and_the_court_window() -> None:
    assert periods(doc("penalty_decision"), already_started=False) == [
        Period("fine_paid", 15),
        Period("review_window", None),
        Period("suit_window", None),
        Period("court_application", None, after="last"),
    ]
    custom = doc(
        "handling_decision", content={"performance_period": {"amount": 30, "unit": "calendar_days"}}
    )
    assert periods(custom, already_started=False)[0] == Period("performance_period", 30)


def test_art28_not_adjustable_periods_ignore_the_content() -> None:
    fixed = replace(
        doc(content={"period_days": 3}),
        deadline={"rule": "rectification_period", "days": 10, "from": "served"},
    )
    assert period_amount(fixed) == 10


def test_art37_receipt_names_what_was_served_how_and_by_whom() -> None:
    body = receipt(cmd(), doc(), {"user_id": "u1", "name": "承办人甲"})
    assert body["form"] == "劳动保障监察送达回执"
    assert body["method_zh"] == "直接送达"
    assert body["signed_by"] == "张三"
    assert body["document_sha256"] == "ab" * 32
    assert body["served_by"]["name"] == "承办人甲"


def test_served_date_is_the_date_in_wuhan() -> None:
    assert local_date(datetime(2026, 9, 20, 17, 0, tzinfo=UTC)) == date(2026, 9, 21)


def test_art28_period_ending_on_national_day_ends_on_the_first_working_day_after() -> None:
    due = WorkingCalendar.load().add(date(2026, 9, 21), 10, "calendar_days")
    assert due.on == date(2026, 10, 8)
    assert not due.provisional


def test_art37_the_receipt_prints_the_particulars_the_evidence_and_the_deemed_date() -> None:
    from services.enforcement.receipts import rows

    body = receipt(
        cmd("public_notice", signed_by="", **COMPLETE["public_notice"]), doc(), {"name": "甲"}
    )
    printed = {r.name: r.text for r in rows(body, "", NOW)}
    assert printed["reason"] == "下落不明" and printed["notice_text"].startswith("某建筑公司")
    assert printed["service_date"] == "2026-10-21（公告期满视为送达，民事诉讼法 (2023) Art 95）"
    assert printed["evidence_0"] == "photo sha256:" + "cd" * 32
