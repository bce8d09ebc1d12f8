"""The case state machine (seed Art 16–36), driven by the document catalogue.

A case moves when a document becomes effective (or, for the documents that leave the
tenant, when it is sent): documents.yaml says in which states each document may be
drafted (`from_states`), what must be effective first (`requires_effective`,
`requires_all`, `requires_if_major`) and the state it leads to (`leads_to`). A step out
of order is FAILED_PRECONDITION naming the step the case needs first. No I/O here
beyond reading the catalogue once.

    open ─AssignHandler→ investigating ─rectification_order→ rectifying
      ─rectification_verification→ rectified ─closing_approval→ closed ─ArchiveCase→ archived
    investigating ─revocation_approval→ revoked / ─suspension_approval→ suspended → archived
    … ─criminal_referral_letter (sent)→ referred ─police_filing_decision→ police_filed |
      police_declined ─non_filing_reconsideration_request→ reconsideration_requested
      ─reconsideration_decision→ police_filed | police_declined
      ─filing_supervision_suggestion→ supervision_suggested
    … ─proposed_penalty_approval→ penalty_proposed ─penalty_prior_notice→ penalty_noticed
      ─statement_application→ statement ─statement_deliberation→ penalty_procedure | no_penalty
      (─statement_waiver→ penalty_procedure; ─hearing_notice→ hearing ─hearing_result→
      penalty_procedure) ─penalty_approval→ penalty_approved ─penalty_decision→ decided
      ─performance_record→ performed ─closing_approval→ closed
    decided ─performance_reminder (served, 10 working days)→ enforcement_application_approval
      ─enforcement_application (sent to the court desk)→ enforcement_applied
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from liuhen.platform.catalogue import HERE, document_type
from liuhen.platform.errors import FailedPrecondition

OPEN, INVESTIGATING, ARCHIVED = "open", "investigating", "archived"
# States from which the reviewer archives the file (Art 29, 36, 42).
ARCHIVABLE = ("revoked", "suspended", "closed")
STATES = (
    OPEN,
    INVESTIGATING,
    "rectifying",
    "rectified",
    "referred",
    "police_filed",
    "police_declined",
    "reconsideration_requested",
    "supervision_suggested",
    "penalty_proposed",
    "penalty_noticed",
    "statement",
    "hearing",
    "penalty_procedure",
    "no_penalty",
    "penalty_approved",
    "decided",
    "performed",
    "enforcement_applied",
    *ARCHIVABLE,
    ARCHIVED,
)
# Steps that are not documents: how a case reaches these states.
COMMAND_STEPS = {INVESTIGATING: "AssignHandler", ARCHIVED: "ArchiveCase"}
# Documents that move the case when sent, and the command that sends them.
SENDING = {"criminal_referral_letter": "SendCriminalReferral"}


@dataclass(frozen=True)
class Step:
    """What a document type does to its case (documents.yaml, case workflow keys)."""

    code: str
    from_states: tuple[str, ...] = ()
    leads_to: str = ""
    branch_field: str = ""
    branches: Mapping[bool, str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    requires_if_major: tuple[str, ...] = ()
    meets: tuple[str, ...] = ()
    opens: str = ""
    opens_if_false: str = ""
    extends: str = ""
    inbound: bool = False
    sent_through: Mapping[str, Any] = field(default_factory=dict)
    av_record: bool = False
    requires_served: tuple[str, ...] = ()
    requires_over: tuple[str, ...] = ()
    requires_final: bool = False
    within: str = ""

    def next_state(self, content: Mapping[str, Any]) -> str:
        """The state the case reaches; '' when the document does not move the case."""
        if self.branch_field:
            return self.branches[bool(content.get(self.branch_field))]
        return self.leads_to

    def branch_value(self, content: Mapping[str, Any]) -> bool | None:
        return bool(content.get(self.branch_field)) if self.branch_field else None


def _tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _step(d: Mapping[str, Any]) -> Step:
    leads = d.get("leads_to", "")
    branch_field, branches = "", {}
    if isinstance(leads, Mapping):
        branch_field = str(leads["field"])
        branches = {True: str(leads["true"]), False: str(leads["false"])}
        leads = ""
    return Step(
        code=d["code"],
        from_states=_tuple(d.get("from_states")),
        leads_to=str(leads),
        branch_field=branch_field,
        branches=branches,
        requires=_tuple(d.get("requires_effective")) + _tuple(d.get("requires_all")),
        requires_if_major=_tuple(d.get("requires_if_major")),
        meets=_tuple(d.get("meets")),
        opens=str(d.get("opens", "")),
        opens_if_false=str(d.get("opens_if_false", "")),
        extends=str(d.get("extends", "")),
        inbound=bool(d.get("inbound", False)),
        sent_through=d.get("sent_through") or {},
        av_record=bool(d.get("av_record", False)),
        requires_served=_tuple(d.get("requires_served")),
        requires_over=_tuple(d.get("requires_over")),
        requires_final=bool(d.get("requires_final", False)),
        within=str(d.get("within", "")),
    )


@cache
def steps() -> Mapping[str, Step]:
    raw = yaml.safe_load((HERE / "documents.yaml").read_text(encoding="utf-8"))
    return {d["code"]: _step(d) for d in raw["documents"]}


def step(code: str) -> Step:
    document_type(code)  # an unknown code is INVALID_ARGUMENT naming the field
    return steps()[code]


def steps_into(state: str) -> list[str]:
    """The steps that bring a case into `state`, to name in an out-of-order refusal."""
    if state in COMMAND_STEPS:
        return [COMMAND_STEPS[state]]
    return [
        f"{s.code} (sent: {SENDING.get(s.code, 'SendDeskDocument')})" if s.sent_through else s.code
        for s in steps().values()
        if state in (s.leads_to, *s.branches.values())
    ]


def out_of_order(code: str, state: str, allowed: Iterable[str]) -> FailedPrecondition:
    allowed = list(allowed)
    needed = sorted({n for s in allowed for n in steps_into(s)})
    return FailedPrecondition(
        "STEP_OUT_OF_ORDER",
        f"{code} needs the case in {' or '.join(allowed)}, but it is {state}: "
        f"first {' or '.join(needed) or 'nothing can lead there'}",
        f"案件处于 {state} 阶段，须先办理 {'或'.join(needed)}",
        article=f"seed Art {document_type(code).article}",
    )


def check_archived(state: str) -> None:
    if state == ARCHIVED:
        raise FailedPrecondition(
            "CASE_ARCHIVED",
            "the case file is archived and closed to changes",
            "案件已立卷归档，不得变更",
            article="seed Art 42",
        )


def check_state(code: str, state: str) -> None:
    """May a document of type `code` be drafted (or received) in this state?"""
    check_archived(state)
    s = step(code)
    if s.from_states:
        if state not in s.from_states:
            raise out_of_order(code, state, s.from_states)
    elif state == OPEN and not s.inbound:
        raise out_of_order(code, state, [INVESTIGATING])


def check_requires(code: str, effective: set[str], *, major: bool) -> None:
    """The documents that must be effective first (the catalogue's prerequisites, and for a
    major case the legal review and collective discussion of Art 34)."""
    s = step(code)
    needed = [r for r in s.requires if r not in effective]
    if major:
        needed += [r for r in s.requires_if_major if r not in effective]
    if needed:
        zh = "、".join(document_type(n).zh for n in needed)
        raise FailedPrecondition(
            "PREREQUISITE_NOT_EFFECTIVE",
            f"{code} needs an effective {' and '.join(needed)} first",
            f"须先经批准{zh}",
            article=f"seed Art {document_type(needed[0]).article}",
        )


def check_archivable(state: str) -> None:
    check_archived(state)
    if state not in ARCHIVABLE:
        raise out_of_order_archive(state)


def out_of_order_archive(state: str) -> FailedPrecondition:
    needed = sorted({n for s in ARCHIVABLE for n in steps_into(s)})
    return FailedPrecondition(
        "STEP_OUT_OF_ORDER",
        f"the file is archived after revocation, suspension or closing; the case is {state}: "
        f"first {' or '.join(needed)}",
        f"须先经批准{'或'.join(needed)}方可立卷归档",
        article="seed Art 29, 36, 42",
    )
