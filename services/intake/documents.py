"""The intake's own documents (seed Art 11, 13–15; 若干规定 Art 15), one table-driven
workflow: who drafts each at a city or a district, who approves it, from which intake
states, what state the intake moves to, whom it is served on and which message it sends
once effective. No I/O here.

A document lives at `intakes/{intake}/documents/{document}`; an effective one is
immutable, so the enforcement service can serve it (Art 37) as it serves a case's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.platform import jsoncontent
from liuhen.platform.catalogue import document_type
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied

CITY = "wuhan"


@dataclass(frozen=True)
class DocumentSpec:
    """What the intake adds to the catalogue's entry for one of its documents: who
    drafts it at a city or a district, the intake states it moves between, and the
    message it sends. Title, approval chain and recipients are the catalogue's."""

    code: str
    article: str
    drafters: Mapping[str, tuple[str, ...]]  # site level -> roles that may draft
    from_states: tuple[str, ...]
    drafted_state: str  # the intake's state while the draft waits for approval
    effective_state: str  # the intake's state once the document is effective
    required: tuple[str, ...] = ("grounds",)
    message: str = ""  # the site-to-site message sent once effective
    recipient_levels: tuple[str, ...] = ()  # who may receive that message

    @property
    def zh(self) -> str:
        return document_type(self.code).zh

    @property
    def approval(self) -> tuple[str, ...]:
        """The chain after drafting ([] = effective once drafted)."""
        return document_type(self.code).approval

    @property
    def served_to(self) -> tuple[str, ...]:
        return document_type(self.code).served_to

    @property
    def decision_document(self) -> bool:
        return document_type(self.code).decision_document


SPECS: Mapping[str, DocumentSpec] = {
    s.code: s
    for s in (
        DocumentSpec(
            code="supplement_notice",
            article="关于实施《劳动保障监察条例》若干规定 Art 15",
            drafters={"city": ("intake",), "district": ("intake",)},
            from_states=("registered",),
            drafted_state="supplement_requested",
            effective_state="supplement_requested",
            required=("missing",),
        ),
        DocumentSpec(
            code="non_acceptance_decision",
            article="seed Art 11",
            drafters={"city": ("intake",), "district": ("intake",)},
            from_states=("registered", "supplement_requested"),
            drafted_state="non_acceptance_drafted",
            effective_state="not_accepted",
        ),
        DocumentSpec(
            code="jurisdiction_transfer_slip",
            article="seed Art 13, 15",
            drafters={"city": ("reviewer",), "district": ("intake", "reviewer")},
            from_states=("to_transfer",),
            drafted_state="transfer_drafted",
            effective_state="transferred",
            message="jurisdiction_transfer",
            recipient_levels=("city", "district", "province"),
        ),
        DocumentSpec(
            code="designation_slip",
            article="seed Art 14",
            drafters={"city": ("reviewer",)},
            from_states=("registered", "to_transfer", "dispute_pending"),
            drafted_state="designation_drafted",
            effective_state="designated",
            message="designation",
            recipient_levels=("district",),
        ),
        DocumentSpec(
            code="jurisdiction_dispute_request",
            article="seed Art 14",
            drafters={"district": ("intake", "reviewer")},
            from_states=("registered", "to_transfer"),
            drafted_state="dispute_drafted",
            effective_state="dispute_raised",
            message="jurisdiction_dispute",
            recipient_levels=("city",),
        ),
    )
}


def spec_of(code: str) -> DocumentSpec:
    try:
        return SPECS[code]
    except KeyError:
        raise InvalidArgument(
            "UNKNOWN_DOCUMENT_TYPE",
            f"an intake drafts {', '.join(SPECS)}, not {code!r}",
            f"受理阶段无此文书 {code!r}",
            article="seed Art 11, 13-15",
            field="type",
        ) from None


@dataclass
class IntakeDocument:
    id: str
    intake_id: str
    tenant_id: str
    type: str
    state: str  # "drafted" | "effective"
    content_json: str
    content_sha256: str
    drafted_by: str
    drafted_role: str
    drafted_at: datetime
    recipient: str = ""
    approved_by: str = ""
    effective_at: datetime | None = None
    message_id: str = ""  # the message sent when it took effect

    @property
    def name(self) -> str:
        return f"intakes/{self.intake_id}/documents/{self.id}"

    @property
    def spec(self) -> DocumentSpec:
        return spec_of(self.type)


def parse_content(spec: DocumentSpec, content_json: str) -> dict[str, Any]:
    content = jsoncontent.parse_object(content_json, "content_json")
    for key in spec.required:
        if not str(content.get(key, "")).strip():
            raise InvalidArgument(
                "MISSING_FIELD",
                f"content_json.{key} is required for a {spec.code}",
                f"缺少必填项 {key}",
                article=spec.article,
                field=f"content_json.{key}",
            )
    return content


def check_draft(spec: DocumentSpec, *, state: str, level: str, roles: frozenset[str]) -> str:
    """Refuse a draft out of order or by the wrong department; returns the drafting role."""
    allowed = spec.drafters.get(level, ())
    if not allowed:
        raise FailedPrecondition(
            "NOT_AT_THIS_LEVEL",
            f"a {spec.code} is not drafted at a {level} organisation",
            f"{level}级机构不制作{spec.zh}",
            article=spec.article,
        )
    role = next((r for r in allowed if r in roles), "")
    if not role:
        raise PermissionDenied(
            "ROLE_REQUIRED",
            f"at a {level}, a {spec.code} is drafted by {' or '.join(allowed)}",
            f"{spec.zh}由{'或'.join(allowed)}制作",
            article=spec.article,
        )
    if state not in spec.from_states:
        raise FailedPrecondition(
            "INTAKE_NOT_READY",
            f"a {spec.code} is drafted when the intake is {' or '.join(spec.from_states)}, "
            f"not {state}",
            f"当前受理状态（{state}）不能制作{spec.zh}",
            article=spec.article,
        )
    return role


def check_recipient(spec: DocumentSpec, recipient: str, *, tenant: str, level_of: Any) -> str:
    """The organisation a slip goes to. `level_of(party)` is its level ("" if unknown)."""
    if not spec.message:
        return ""
    if spec.recipient_levels == ("city",):
        return CITY
    level = level_of(recipient) if recipient and recipient != tenant else ""
    if level not in spec.recipient_levels:
        raise InvalidArgument(
            "BAD_RECIPIENT",
            f"a {spec.code} goes to a {' or '.join(spec.recipient_levels)} organisation "
            f"other than this one, not {recipient or 'nobody'}",
            f"{spec.zh}的接收机构无效",
            article=spec.article,
            field="recipient",
        )
    return recipient


def check_approval(
    doc: IntakeDocument, *, user: str, roles: frozenset[str], registered_by: str
) -> None:
    """The head approves; nobody approves what they drafted, nor the intake they
    registered (seed Art 6)."""
    spec = doc.spec
    if doc.state != "drafted" or not spec.approval:
        raise FailedPrecondition(
            "NOT_AWAITING_APPROVAL",
            f"the {spec.code} is {doc.state} and awaits no approval",
            f"{spec.zh}无需或已完成审批",
            article=spec.article,
        )
    if not roles.intersection(spec.approval):
        raise PermissionDenied(
            "ROLE_REQUIRED",
            f"a {spec.code} is approved by {' or '.join(spec.approval)}",
            f"{spec.zh}由{'或'.join(spec.approval)}审批",
            article=spec.article,
        )
    if user in (doc.drafted_by, registered_by):
        raise PermissionDenied(
            "SEPARATION_OF_DUTIES",
            "nobody approves what they drafted or registered",
            "不得审批本人制作或登记的文书",
            article="seed Art 6",
        )
