"""The procedure in time (seed Art 31–32, 38–40) and the deadline rules' units and sources,
without I/O: services/cases/procedure.py, deadlines.yaml, the deadline engine's lateness."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from liuhen.platform import deadlines
from liuhen.platform.calendar import WorkingCalendar
from liuhen.platform.catalogue import deadline_rules, documents
from liuhen.platform.errors import FailedPrecondition
from services.cases import lifecycle, procedure
from services.cases.procedure import Facts, Period, Remedy

TODAY = date(2026, 11, 2)


def period(rule: str, subject: str, due: date, *, met: bool = False) -> Period:
    return Period(rule, subject, date(2026, 9, 21), due, met)


def windows(due: date) -> tuple[Period, ...]:
    return (
        period("review_window", "penalty_decision", due),
        period("suit_window", "penalty_decision", due),
    )


def refused(code: str, facts: Facts) -> FailedPrecondition:
    with pytest.raises(FailedPrecondition) as exc:
        procedure.check(code, lifecycle.step(code), facts)
    return exc.value


@pytest.mark.parametrize(
    "code", ["statement_application", "statement_waiver", "hearing_notice", "penalty_decision"]
)
def test_art32_steps_after_the_prior_notice_need_it_served(code: str) -> None:
    exc = refused(code, Facts(today=TODAY))
    assert exc.reason == "NOT_SERVED" and exc.article.startswith("seed Art 32")


def test_art32_a_waiver_counts_only_after_the_statement_period() -> None:
    served = period("statement_period", "penalty_prior_notice", date(2026, 11, 5))
    exc = refused("statement_waiver", Facts(today=TODAY, periods=(served,)))
    assert exc.reason == "PERIOD_NOT_OVER" and "2026-11-05" in exc.message
    later = Facts(today=date(2026, 11, 6), periods=(served,))
    procedure.check("statement_waiver", lifecycle.step("statement_waiver"), later)


def test_art39_no_reminder_once_the_party_performed() -> None:
    paid = period("fine_paid", "penalty_decision", date(2026, 10, 8), met=True)
    assert refused("performance_reminder", Facts(TODAY, (paid,))).reason == "ALREADY_PERFORMED"


def test_art38_a_decision_is_final_when_the_windows_pass_unchallenged() -> None:
    assert procedure.finality(Facts(TODAY, windows(date(2026, 11, 1))))[0]
    final, why = procedure.finality(Facts(TODAY, windows(date(2026, 11, 2))))
    assert not final and "until 2026-11-02" in why
    assert procedure.finality(Facts(TODAY)) == (False, "the decision has not been served")


@pytest.mark.parametrize(
    ("outcome", "final"),
    [("pending", False), ("upheld", True), ("changed", True), ("revoked", False)],
)
def test_art38_a_review_or_suit_decides_finality_by_its_outcome(outcome: str, final: bool) -> None:
    facts = Facts(TODAY, windows(date(2026, 11, 1)), (Remedy("review", outcome),))
    assert procedure.finality(facts)[0] is final


def test_art38_a_revoked_decision_gets_no_reminder() -> None:
    paid = period("fine_paid", "penalty_decision", date(2026, 10, 8))
    facts = Facts(TODAY, (paid,), (Remedy("suit", "revoked"),))
    assert refused("performance_reminder", facts).reason == "DECISION_REVOKED"


def test_coercion_law_art53_the_court_window_refuses_a_late_application() -> None:
    step = lifecycle.step("enforcement_application")
    late = Facts(TODAY, (period("court_application", "penalty_decision", date(2026, 11, 1)),))
    with pytest.raises(FailedPrecondition) as exc:
        procedure.check_within("enforcement_application", step, late)
    assert exc.value.reason == "OUT_OF_TIME" and exc.value.article.startswith("行政强制法 Art 53")
    in_time = Facts(TODAY, late.periods, window_due={"court_application": date(2027, 1, 1)})
    procedure.check_within("enforcement_application", step, in_time)


# Periods of ten days or less under these laws are working days (行政处罚法 Art 85,
# 行政强制法 Art 69).
WORKING_DAY_LAWS = ("行政处罚法", "行政强制法")


def test_art85_art69_short_periods_of_the_penalty_and_coercion_laws_are_working_days() -> None:
    short = [
        r
        for r in deadline_rules().values()
        if r.unit != "months" and r.amount <= 10 and r.source.startswith(WORKING_DAY_LAWS)
    ]
    assert {r.rule for r in short} >= {"reminder_period", "hearing_requested", "decision_served"}
    assert all(r.unit == "working_days" for r in short)
    assert all("Art 85" in r.source or "Art 69" in r.source for r in short)


def test_every_period_has_a_source_and_every_document_names_known_periods() -> None:
    rules = deadline_rules()
    assert all(r.source for r in rules.values())
    for d in documents().values():
        s = lifecycle.step(d.code)
        named = [*s.requires_over, *([s.within] if s.within else []), *s.meets]
        named += procedure.service_rules(d.code)
        assert set(named) <= set(rules), d.code


def test_national_periods_with_their_sources() -> None:
    rules = deadline_rules()
    assert (rules["review_window"].amount, rules["review_window"].unit) == (60, "calendar_days")
    assert rules["review_window"].source == "行政复议法 (2023) Art 20"
    assert (rules["suit_window"].amount, rules["suit_window"].unit) == (6, "months")
    assert rules["suit_window"].source == "行政诉讼法 Art 46"
    assert (rules["court_application"].amount, rules["court_application"].late_allowed) == (
        3,
        False,
    )
    assert (rules["fine_paid"].amount, rules["evidence_preservation_decided"].amount) == (15, 7)
    assert rules["reconsideration_answered"].amount == 3
    assert rules["reconsideration_requested"].replaced_by == ("filing_supervision_suggestion",)


def test_a_period_in_months_ends_on_the_same_day_or_the_months_last() -> None:
    cal = WorkingCalendar.load()
    assert cal.add(date(2026, 9, 21), 6, "months").on == date(2027, 3, 22)  # 21st is a Sunday
    assert cal.add(date(2026, 8, 31), 6, "months").on == date(2027, 3, 1)  # Feb 28 is a Sunday


def row(due: date, met: datetime | None) -> deadlines.DeadlineRow:
    return deadlines.DeadlineRow(rule="reconsideration_requested", due_on=due, met_at=met)


def test_a_deadline_met_late_stays_late() -> None:
    late = row(date(2026, 9, 24), datetime(2026, 9, 25, 2, 0, tzinfo=UTC))
    assert deadlines.met_on(late) == date(2026, 9, 25) and deadlines.is_late(late)
    on_time = row(date(2026, 9, 24), datetime(2026, 9, 24, 15, 0, tzinfo=UTC))  # 23:00 in Wuhan
    assert not deadlines.is_late(on_time)
    assert not deadlines.is_late(row(date(2026, 9, 24), None))
