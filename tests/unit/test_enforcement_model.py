"""The rules of service (seed Art 37) and the periods it starts (Art 28), without I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import document_type
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, LiuhenError
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


def test_art37_4_fax_allowed_for_other_documents_but_needs_the_fax_number() -> None:
    check_method(cmd("fax", fax_number="027-1234"), doc())
    check_method(cmd("email"), doc())
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd("fax"), doc())
    assert refused(exc) == ("MISSING_FIELD", "seed Art 37(4)", "fax_number")


def test_art37_1_direct_service_needs_signature() -> None:
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd("direct", signed_by=""), doc())
    assert refused(exc) == ("MISSING_FIELD", "seed Art 37(1)", "signed_by")


@pytest.mark.parametrize(
    ("method", "article"),
    [
        ("left_at_premises", "seed Art 37(2)"),
        ("entrusted", "seed Art 37(5)"),
        ("public_notice", "seed Art 37(6)"),
    ],
)
def test_art37_circumstances_are_noted_for_indirect_service(method: str, article: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        check_method(cmd(method), doc())
    assert refused(exc) == ("MISSING_FIELD", article, "note")
    check_method(cmd(method, note="当事人拒收，张贴于公司大门"), doc())


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
        Period("rectification_verified", None),
    ]
    assert periods(doc(), already_started=True) == []
    assert periods(doc("penalty_decision"), already_started=False) == []


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
