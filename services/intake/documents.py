"""What the intake's own documents (seed Art 11, 13–15; 若干规定 Art 15) do to their
intake: from which intake states each is drafted, the state the intake waits in while
the document goes through the workflow, the state it reaches once the document is
effective, and the message it then sends. Who drafts at a city or a district, the
fields, the approval chain and the recipients are the catalogue's; the workflow is the
platform's (liuhen/platform/documents.py). No I/O here.

A document lives at `intakes/{intake}/documents/{document}`; an effective one is
immutable, so the enforcement service can serve it (Art 37) as it serves a case's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.platform.documents import Workflow, separation
from liuhen.platform.errors import FailedPrecondition, InvalidArgument

CITY = "wuhan"


@dataclass(frozen=True)
class Effect:
    """What one intake document changes: the intake states it is drafted from, the state
    the intake waits in meanwhile, the state once it is effective, and the message it
    sends then (to an organisation of `recipient_levels`)."""

    code: str
    article: str
    from_states: tuple[str, ...]
    pending_state: str
    effective_state: str
    message: str = ""
    recipient_levels: tuple[str, ...] = ()


EFFECTS: Mapping[str, Effect] = {
    e.code: e
    for e in (
        Effect(
            code="supplement_notice",
            article="关于实施《劳动保障监察条例》若干规定 Art 15",
            from_states=("registered",),
            pending_state="supplement_requested",
            effective_state="supplement_requested",
        ),
        Effect(
            code="non_acceptance_decision",
            article="seed Art 11",
            from_states=("registered", "supplement_requested"),
            pending_state="non_acceptance_drafted",
            effective_state="not_accepted",
        ),
        Effect(
            code="jurisdiction_transfer_slip",
            article="seed Art 13, 15",
            from_states=("to_transfer",),
            pending_state="transfer_drafted",
            effective_state="transferred",
            message="jurisdiction_transfer",
            recipient_levels=("city", "district", "province"),
        ),
        Effect(
            code="designation_slip",
            article="seed Art 14",
            from_states=("registered", "to_transfer", "dispute_pending"),
            pending_state="designation_drafted",
            effective_state="designated",
            message="designation",
            recipient_levels=("district",),
        ),
        Effect(
            code="jurisdiction_dispute_request",
            article="seed Art 14",
            from_states=("registered", "to_transfer"),
            pending_state="dispute_drafted",
            effective_state="dispute_raised",
            message="jurisdiction_dispute",
            recipient_levels=("city",),
        ),
    )
}


def effect_of(code: str) -> Effect:
    try:
        return EFFECTS[code]
    except KeyError:
        raise InvalidArgument(
            "UNKNOWN_DOCUMENT_TYPE",
            f"an intake drafts {', '.join(EFFECTS)}, not {code!r}",
            f"受理阶段无此文书 {code!r}",
            article="seed Art 11, 13-15",
            field="type",
        ) from None


@dataclass
class IntakeDocument(Workflow):
    id: str
    intake_id: str
    tenant_id: str
    type: str
    state: str  # the workflow's: draft | submitted | returned | superseded | effective
    content_json: str
    content_sha256: str
    drafted_by: str
    drafted_role: str
    drafted_at: datetime
    recipient: str = ""
    approved_by: str = ""  # the last approver, who made it effective
    effective_at: datetime | None = None
    message_id: str = ""  # the message sent when it took effect
    version: int = 1
    chain: str = ""  # roles still to act, comma-separated, in order
    approvals: str = ""  # "role:user" given, newline-separated
    supersedes: str = ""  # id of the version this one corrects

    @property
    def name(self) -> str:
        return f"intakes/{self.intake_id}/documents/{self.id}"

    @property
    def effect(self) -> Effect:
        return effect_of(self.type)


def check_state(effect: Effect, state: str) -> None:
    """Refuse a draft the intake is not ready for."""
    if state not in effect.from_states:
        raise FailedPrecondition(
            "INTAKE_NOT_READY",
            f"a {effect.code} is drafted when the intake is {' or '.join(effect.from_states)}, "
            f"not {state}",
            f"当前受理状态（{state}）不能制作该文书",
            article=effect.article,
        )


def check_recipient(effect: Effect, recipient: str, *, tenant: str, level_of: Any) -> str:
    """The organisation a slip goes to. `level_of(party)` is its level ("" if unknown)."""
    if not effect.message:
        return ""
    if effect.recipient_levels == ("city",):
        return CITY
    level = level_of(recipient) if recipient and recipient != tenant else ""
    if level not in effect.recipient_levels:
        raise InvalidArgument(
            "BAD_RECIPIENT",
            f"a {effect.code} goes to a {' or '.join(effect.recipient_levels)} organisation "
            f"other than this one, not {recipient or 'nobody'}",
            "文书的接收机构无效",
            article=effect.article,
            field="recipient",
        )
    return recipient


def check_acting(*, user: str, registered_by: str) -> None:
    """Nobody reviews, returns or approves a document on an intake they registered (seed
    Art 6); the drafter is the workflow's rule."""
    if user == registered_by:
        raise separation(
            "nobody approves what they drafted or registered", "不得审批本人制作或登记的文书"
        )
