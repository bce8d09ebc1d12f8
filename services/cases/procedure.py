"""The procedure's order in time (seed Art 31–32, 38–40): what must have been served, which
periods must have run out, whether the decision is final, and the window a step must be
taken in. Pure: the handler gathers the case's periods and remedies into `Facts`.

A document counts as served once its service started the periods the catalogue gives it
(documents.yaml `deadline`); those periods start on the date of service of Art 37 (for
a public notice the deemed date), so "served" and "when" come from the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from liuhen.platform.catalogue import deadline_rules, document_type
from liuhen.platform.errors import FailedPrecondition
from services.cases.lifecycle import Step

# Why a document must have been served first, by the document required.
SERVED_SOURCES = {
    "penalty_prior_notice": "seed Art 32; 行政处罚法 Art 44, 62",
    "penalty_decision": "seed Art 38, 39",
    "handling_decision": "seed Art 38, 39",
    "performance_reminder": "seed Art 40; 行政强制法 Art 54",
}
FINALITY_SOURCE = "seed Art 38; 行政强制法 Art 53"
REMEDY_WINDOWS = ("review_window", "suit_window")


@dataclass(frozen=True)
class Period:
    """A deadline of the case as the rules read it."""

    rule: str
    subject_type: str  # the type of the document whose service (or step) started it
    started_on: date
    due_on: date
    met: bool


@dataclass(frozen=True)
class Remedy:
    """An administrative review or suit against the decision (remedy_record)."""

    kind: str  # review | suit
    outcome: str  # pending | upheld | changed | revoked
    decided_on: date | None = None


@dataclass(frozen=True)
class Facts:
    today: date
    periods: tuple[Period, ...] = ()
    remedies: tuple[Remedy, ...] = ()
    # a window counted from elsewhere than its row (3 months from an upholding outcome)
    window_due: dict[str, date] = field(default_factory=dict)


def service_rules(type_code: str) -> tuple[str, ...]:
    """The periods the service of a document starts (documents.yaml `deadline`)."""
    spec = document_type(type_code).deadline
    if spec.get("from") != "served":
        return ()
    return (str(spec["rule"]), *spec.get("also", ()), *([spec["then"]] if "then" in spec else []))


def served(facts: Facts, type_code: str) -> Period | None:
    rules = service_rules(type_code)
    return next((p for p in facts.periods if p.subject_type == type_code and p.rule in rules), None)


def _periods(facts: Facts, rules: Iterable[str]) -> list[Period]:
    wanted = set(rules)
    return [p for p in facts.periods if p.rule in wanted]


def check_served(code: str, step: Step, facts: Facts) -> None:
    if not step.requires_served or any(served(facts, t) for t in step.requires_served):
        return
    zh = "或".join(document_type(t).zh for t in step.requires_served)
    raise FailedPrecondition(
        "NOT_SERVED",
        f"{code} needs the {' or '.join(step.requires_served)} served first "
        "(ServeDocument): its periods run from the date of service",
        f"须先送达{zh}",
        article=SERVED_SOURCES.get(step.requires_served[0], "seed Art 37"),
    )


def check_over(code: str, step: Step, facts: Facts) -> None:
    """The periods that must have run out, unperformed (Art 32 陈述（申辩）期满后; Art 39
    履行期满; Art 40 催告期满)."""
    if not step.requires_over:
        return
    periods = _periods(facts, step.requires_over)
    rules = deadline_rules()
    for p in periods:
        if p.met and p.rule != "statement_period":
            raise FailedPrecondition(
                "ALREADY_PERFORMED",
                f"the {p.rule} was met: the party performed, {code} is not needed",
                "当事人已履行",
                article=rules[p.rule].source,
            )
    if periods and all(p.due_on < facts.today for p in periods):
        return
    last = max((p.due_on for p in periods), default=None)
    rule = rules[step.requires_over[0]]
    raise FailedPrecondition(
        "PERIOD_NOT_OVER",
        f"{code} comes only after the {' or '.join(step.requires_over)} has run out"
        + (f": it runs until {last.isoformat()}" if last else ": it has not started"),
        f"{rule.what}期限尚未届满" + (f"（至{last.isoformat()}）" if last else ""),
        article=rule.source,
    )


def finality(facts: Facts) -> tuple[bool, str]:
    """Final when the review and suit windows passed unchallenged, or the review or suit
    upheld (or changed) the decision (seed Art 38)."""
    if facts.remedies:
        last = facts.remedies[-1]
        if last.outcome in ("upheld", "changed"):
            return True, ""
        if last.outcome == "revoked":
            return False, f"the {last.kind} revoked the decision"
        return False, f"a {last.kind} against the decision is pending"
    windows = _periods(facts, REMEDY_WINDOWS)
    if not windows:
        return False, "the decision has not been served"
    still = max(p.due_on for p in windows)
    if still >= facts.today:
        return False, f"the party may apply for review or sue until {still.isoformat()}"
    return True, ""


def check_final(code: str, step: Step, facts: Facts) -> None:
    if not step.requires_final:
        return
    final, why = finality(facts)
    if not final:
        raise FailedPrecondition(
            "DECISION_NOT_FINAL",
            f"{code} needs a final decision: {why}",
            "处理处罚决定尚未发生法律效力（复议、诉讼期限未届满或者复议、诉讼未决）",
            article=FINALITY_SOURCE,
        )


def check_not_revoked(code: str, facts: Facts) -> None:
    if facts.remedies and facts.remedies[-1].outcome == "revoked":
        raise FailedPrecondition(
            "DECISION_REVOKED",
            f"{code}: the decision was revoked on {facts.remedies[-1].kind}",
            "处理处罚决定已被撤销",
            article="seed Art 38",
        )


def check_within(code: str, step: Step, facts: Facts) -> None:
    """A step outside its period is refused where the law does not allow it late (行政强制法
    Art 53: the court application within 3 months of the windows' end)."""
    if not step.within:
        return
    rule = deadline_rules()[step.within]
    due = facts.window_due.get(step.within) or max(
        (p.due_on for p in _periods(facts, [step.within])), default=None
    )
    if due is None or rule.late_allowed or facts.today <= due:
        return
    raise FailedPrecondition(
        "OUT_OF_TIME",
        f"{code} is out of time: the {step.within} period ended on {due.isoformat()}",
        f"已超过{rule.what}期限（{due.isoformat()}届满）",
        article=rule.source,
    )


def check(code: str, step: Step, facts: Facts) -> None:
    """Every time rule of the step, in the order a person would meet them."""
    check_served(code, step, facts)
    if code != "remedy_record" and set(step.requires_served) & set(SERVED_SOURCES) - {
        "penalty_prior_notice"
    }:
        check_not_revoked(code, facts)
    check_over(code, step, facts)
    check_final(code, step, facts)
    check_within(code, step, facts)
