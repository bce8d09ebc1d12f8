"""Cases commands on the case itself: open, assign, mark (Art 23, 34), archive (Art 42).
Unit of work → domain → ledger; never commit here (documents.py, desks.py: the rest)."""

from __future__ import annotations

from collections.abc import Sequence

from liuhen.intake.v1 import intake_pb2
from liuhen.platform import deadlines, ledger
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import AlreadyExists, FailedPrecondition, PermissionDenied, not_found
from services.cases import lifecycle, orm
from services.cases.casefile import FileItem, index_sha256
from services.cases.model import Case, Document

SERVICE = "cases"


def record(
    uow: UnitOfWork,
    case_id: str,
    principal: Principal,
    role: str,
    action: str,
    payload: object,
    refs: tuple[str, ...] = (),
) -> None:
    ledger.append(
        uow,
        case_id=case_id,
        service=SERVICE,
        action=action,
        actor=ledger.actor_of(principal, role),
        payload=payload,
        refs=refs,
    )


def load_case(uow: UnitOfWork, case_id: str, *, changing: bool = False) -> Case:
    """The case of this tenant (another tenant's is NOT_FOUND); `changing` refuses an
    archived case, closed to changes (Art 42)."""
    case = orm.get_case(uow, case_id)
    if case is None:
        raise not_found("case", f"cases/{case_id}")
    if changing:
        lifecycle.check_archived(case.state)
    return case


def load_document(
    uow: UnitOfWork, case_id: str, doc_id: str, *, changing: bool = False
) -> tuple[Case, Document]:
    case = load_case(uow, case_id, changing=changing)
    doc = orm.get_document(uow, case_id, doc_id)
    if doc is None:
        raise not_found("document", f"cases/{case_id}/documents/{doc_id}")
    return case, doc


def open_case(
    uow: UnitOfWork, principal: Principal, intake: intake_pb2.Intake, calendar: WorkingCalendar
) -> Case:
    """Open the case the head approved for filing (Art 13, 15)."""
    principal.require_role("intake", "head", action="opening a filed case")
    case_id = intake.name.removeprefix("intakes/")
    if intake.state != intake_pb2.Intake.FILED:
        raise FailedPrecondition(
            "NOT_FILED",
            "the head must approve filing (ApproveFiling) before the case is opened",
            "立案须经负责人审批",
            article="seed Art 11, 15",
        )
    if orm.get_case(uow, case_id) is not None:
        raise AlreadyExists("CASE_EXISTS", f"cases/{case_id} is already open", "案件已立案")
    now = utcnow()
    case = Case(
        id=case_id,
        tenant_id=uow.tenant,
        case_number=intake.case_number,
        party=intake.employer.name,
        party_address=intake.employer.address,
        complainant="匿名" if intake.complainant.anonymous else intake.complainant.name,
        registered_by=intake.registered_by,
        filing_drafted_by=intake.filing_drafted_by,
        filing_approved_by=intake.filing_approved_by,
        filed_at=now,
    )
    uow.add(case)
    deadlines.open_deadline(
        uow,
        calendar,
        rule="investigation_completed",
        case_id=case_id,
        subject=f"cases/{case_id}",
        start=local_date(now),
    )
    record(
        uow,
        case_id,
        principal,
        principal.acting_role(("intake", "head")),
        "case.opened",
        {"case_number": case.case_number, "party": case.party},
    )
    return case


def assign_handler(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    handler: str,
    handler_name: str,
    reviewer: str,
) -> Case:
    principal.require_role("head", action="assigning a handler")
    case = load_case(uow, case_id, changing=True)
    case.assign(handler=handler, handler_name=handler_name, reviewer=reviewer)
    for row in deadlines.query(uow, case_id=case_id):
        if row.rule == "investigation_completed":
            row.officer = handler
    record(
        uow,
        case_id,
        principal,
        "head",
        "case.handler_assigned",
        {"handler": handler, "handler_name": handler_name, "reviewer": reviewer},
    )
    return case


def mark_case(
    uow: UnitOfWork, principal: Principal, *, case_id: str, av_reasons: Sequence[str], major: bool
) -> Case:
    """Record why audio/video is mandatory for the case (Art 23) and whether it is a major
    case that needs legal review and collective discussion (Art 34)."""
    principal.require_role("handler", "head", action="marking a case")
    case = load_case(uow, case_id, changing=True)
    role = principal.acting_role(("head", "handler"))
    if role == "handler":
        case.require_handler(principal.user_id, "marking the case")
    case.mark(av_reasons=av_reasons, major=major)
    record(
        uow,
        case_id,
        principal,
        role,
        "case.marked",
        {"av_reasons": case.av_reasons, "major": case.major},
    )
    return case


def check_archiving(principal: Principal, case: Case) -> None:
    """The case's own reviewer archives a file that is ready for it (Art 6, 42)."""
    principal.require_role("reviewer", action="archiving a case file")
    lifecycle.check_archivable(case.state)
    if (
        principal.user_id == case.handler
        or principal.user_id in case.intake_side
        or (case.reviewer and principal.user_id != case.reviewer)
    ):
        raise PermissionDenied(
            "NOT_THE_REVIEWER",
            "only the case's reviewer archives its file",
            "仅本案审理人员可立卷归档",
            article="seed Art 6, 42",
        )


def archive_case(
    uow: UnitOfWork, principal: Principal, *, case_id: str, items: Sequence[FileItem]
) -> Case:
    """The review department catalogues the file in order and archives it (立卷归档, Art
    29, 36, 42); the index and every item's hash go into the ledger, and the case is closed
    to changes from now on."""
    case = load_case(uow, case_id)
    check_archiving(principal, case)
    before, case.state = case.state, lifecycle.ARCHIVED
    record(
        uow,
        case_id,
        principal,
        "reviewer",
        "case.archived",
        {"from": before, "items": len(items), "index_sha256": index_sha256(items)},
        tuple(i.sha256 for i in items if i.sha256),
    )
    return case
