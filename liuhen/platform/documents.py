"""The one document workflow (DESIGN §4): every document of the catalogue, whether an
intake's or a case's, goes draft → submit → review (or return with reasons) → approve,
role by role along the catalogue's chain → effective. A returned document is submitted
again or corrected; an effective one is immutable, and a correction is a new version
that supersedes it. Who drafts is catalogue data per level (city or district).

The services supply only the subject (an intake or a case), its own separation rules
(who registered or handles it) and what a document changes when it takes effect. Pure
rules, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from liuhen.platform.catalogue import DocumentType, document_type
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied

DRAFT, SUBMITTED, RETURNED, EFFECTIVE = "draft", "submitted", "returned", "effective"
SUPERSEDED = "superseded"  # a returned draft replaced by its correction
STATES = (DRAFT, SUBMITTED, RETURNED, SUPERSEDED, EFFECTIVE)  # the protos' Document.State
OFFICE_ROLES = ("intake", "handler", "reviewer", "head", "bureau_head", "legal")
ART6 = "seed Art 6"


def separation(message: str, message_zh: str) -> PermissionDenied:
    return PermissionDenied("SEPARATION_OF_DUTIES", message, message_zh, article=ART6)


def drafting_role(doc_type: DocumentType, *, level: str, roles: Iterable[str]) -> str:
    """The role the caller drafts in at a `level` organisation, as the catalogue allows
    (documents.yaml `drafted_by`, `recorded_by` for a form an outsider fills in)."""
    if not [r for r in doc_type.drafted_by + doc_type.recorded_by if r in OFFICE_ROLES]:
        raise InvalidArgument(
            "NOT_DRAFTED_HERE",
            f"{doc_type.code} ({doc_type.zh}) is drafted by "
            f"{', '.join(doc_type.drafted_by)}, not by the office",
            f"{doc_type.zh}不由本机构制作",
            field="type",
        )
    allowed = [r for r in doc_type.drafters_at(level) if r in OFFICE_ROLES]
    if not allowed:
        raise FailedPrecondition(
            "NOT_AT_THIS_LEVEL",
            f"a {doc_type.code} is not drafted at a {level} organisation",
            f"{'市级' if level == 'city' else '区级'}机构不制作{doc_type.zh}",
            article=f"seed Art {doc_type.article}",
        )
    held = set(roles)
    for role in allowed:
        if role in held:
            return role
    raise PermissionDenied(
        "ROLE_REQUIRED",
        f"at a {level}, a {doc_type.code} ({doc_type.zh}) is drafted by {' or '.join(allowed)}",
        f"{doc_type.zh}由 {'或'.join(allowed)} 制作",
        article="roles.yaml",
    )


class Workflow:
    """The workflow's state on a document; a service's document class inherits it and
    declares these as its (mapped) fields."""

    type: str
    version: int
    state: str
    chain: str  # roles still to act, comma-separated, in order
    approvals: str  # "role:user" given, newline-separated
    drafted_by: str
    effective_at: datetime | None

    @property
    def doc_type(self) -> DocumentType:
        return document_type(self.type)

    @property
    def pending(self) -> list[str]:
        return [r for r in self.chain.split(",") if r]

    @property
    def given(self) -> list[str]:
        return [a for a in self.approvals.split("\n") if a]

    def submit(self, *, user: str, now: datetime) -> None:
        """The drafter hands the draft (or the returned document) on; one with no
        approval chain is effective at once."""
        if user != self.drafted_by:
            raise PermissionDenied(
                "NOT_THE_DRAFTER", "only the drafter submits a draft", "仅制作人可提交"
            )
        if self.state not in (DRAFT, RETURNED):
            raise FailedPrecondition(
                "NOT_A_DRAFT", f"the document is {self.state}, not a draft", "文书不是草稿状态"
            )
        self.state = SUBMITTED
        if not self.pending:
            self.state, self.effective_at = EFFECTIVE, now

    def next_role(self, action: str) -> str:
        """The role whose turn it is; refused unless the document is submitted."""
        if self.state != SUBMITTED or not self.pending:
            raise FailedPrecondition(
                "NOT_SUBMITTED",
                f"{action}: the document is {self.state}; submit it first",
                "须先提交文书",
            )
        return self.pending[0]

    def _check_actor(self, role: str, *, user: str, roles: Iterable[str]) -> None:
        if role not in set(roles):
            raise PermissionDenied(
                "APPROVER_ROLE_REQUIRED",
                f"this document awaits {role}",
                f"文书须由 {role} 办理",
                article="roles.yaml",
            )
        if user == self.drafted_by:
            raise separation(
                "nobody reviews or approves a document they drafted", "不得审核、审批本人制作的文书"
            )

    def _advance(self, role: str, user: str, now: datetime) -> None:
        self.chain = ",".join(self.pending[1:])
        self.approvals = "\n".join((*self.given, f"{role}:{user}"))
        if not self.pending:
            self.state, self.effective_at = EFFECTIVE, now

    def check_review(self) -> None:
        """Refuse a review of a document that awaits someone else."""
        role = self.next_role("review")
        if role != "reviewer":
            raise FailedPrecondition(
                "NOT_AWAITING_REVIEW",
                f"the document awaits {role}, not review",
                f"文书待{role}处理",
            )

    def pass_review(self, *, user: str, roles: Iterable[str], now: datetime) -> None:
        """The review department (案件审理部门) passes the draft on (Art 29, 31)."""
        self.check_review()
        self._check_actor("reviewer", user=user, roles=roles)
        self._advance("reviewer", user, now)

    def approve(self, *, user: str, roles: Iterable[str], now: datetime) -> str:
        """The next approver of the chain approves; returns the role it acted in."""
        role = self.next_role("approve")
        self._check_actor(role, user=user, roles=roles)
        self._advance(role, user, now)
        return role

    def return_for_changes(
        self, *, user: str, roles: Iterable[str], reasons: str, field: str = "comment"
    ) -> str:
        """Whoever's turn it is sends it back to the drafter with the reasons; the whole
        chain acts again on what comes back. Returns the role it acted in."""
        role = self.next_role("return")
        self._check_actor(role, user=user, roles=roles)
        if not reasons.strip():
            raise InvalidArgument(
                "REASONS_REQUIRED",
                "a document is returned with the reasons",
                "退回文书须写明理由",
                field=field,
            )
        self.state, self.approvals = RETURNED, ""
        self.chain = ",".join(self.doc_type.approval)
        return role

    def correction_version(self, type_code: str) -> int:
        """A correction is a new version of an effective or returned document of the same
        type: the effective one stays as it is (immutable), a returned one is superseded."""
        if self.type != type_code or self.state not in (EFFECTIVE, RETURNED):
            raise FailedPrecondition(
                "NOT_CORRECTABLE",
                f"only an effective or returned {type_code} can be corrected by a new "
                f"{type_code}; this is a {self.state} {self.type}",
                "仅可更正同类已生效或被退回的文书",
                field="supersedes",
            )
        return self.version + 1

    def supersede(self) -> None:
        """Its correction replaces a returned document, which can no longer be submitted."""
        if self.state == RETURNED:
            self.state = SUPERSEDED
