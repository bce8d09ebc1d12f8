"""Intake commands: unit of work → domain → ledger. Handlers never commit; the
idempotent transaction around them does."""

from __future__ import annotations

import uuid
from datetime import date

from liuhen.platform import deadlines, fields, ledger
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import document_type, site
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import not_found
from liuhen.platform.stamps import stamps_for
from services.intake import orm, prints
from services.intake.model import (
    Intake,
    Material,
    RegisterComplaint,
    case_number,
    check_referral,
    validate_registration,
)

SERVICE = "intake"


def record(
    uow: UnitOfWork,
    intake: Intake,
    principal: Principal,
    action: str,
    payload: object,
    refs: tuple[str, ...] = (),
    role: str = "",
) -> None:
    ledger.append(
        uow,
        case_id=intake.id,
        service=SERVICE,
        action=action,
        actor=ledger.actor_of(principal, role or principal.acting_role(("intake", "head"))),
        payload=payload,
        refs=refs,
    )


def load(uow: UnitOfWork, intake_id: str) -> Intake:
    intake = orm.get(uow, intake_id)
    if intake is None:
        raise not_found("intake", f"intakes/{intake_id}")
    return intake


def register_complaint(
    cmd: RegisterComplaint, uow: UnitOfWork, principal: Principal, calendar: WorkingCalendar
) -> Intake:
    principal.require_role("intake", action="registering a complaint or report")
    validate_registration(cmd)
    check_referral(cmd)
    intake = Intake(
        id=str(uuid.uuid4()), tenant_id=uow.tenant, registered_by=principal.user_id, **cmd.__dict__
    )
    open_filing_deadline(uow, calendar, intake, principal.user_id, local_date(cmd.received_at))
    uow.add(intake)
    record(
        uow,
        intake,
        principal,
        "intake.registered",
        {**cmd.__dict__, "time_barred": intake.time_barred},
    )
    return intake


def open_filing_deadline(
    uow: UnitOfWork, calendar: WorkingCalendar, intake: Intake, officer: str, start: date
) -> None:
    due = deadlines.open_deadline(
        uow,
        calendar,
        rule="filing_approval_submitted",
        case_id=intake.id,
        subject=f"intakes/{intake.id}",
        start=start,
        officer=officer,
    )
    intake.filing_due_on, intake.filing_due_provisional = due.due_on, due.provisional


def record_material(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    intake_id: str,
    submitted_by: str,
    description: str,
    is_copy: bool,
    checked: bool,
    pages: int,
) -> Material:
    principal.require_role("intake", action="receiving materials")
    intake = load(uow, intake_id)
    now = utcnow()
    stamps = stamps_for(
        submitted_by=submitted_by, day=local_date(now), is_copy=is_copy, checked=checked
    )
    material = Material(
        id=str(uuid.uuid4()),
        intake_id=intake.id,
        tenant_id=uow.tenant,
        submitted_by=submitted_by,
        description=description,
        is_copy=is_copy,
        checked_against_original=checked,
        pages=pages,
        stamps="\n".join(stamps),
        received_at=now,
    )
    intake.materials.append(material)
    if intake.receive_supplement():
        # The complaint is complete now (告知补正 answered): the 5 working days run again.
        open_filing_deadline(uow, calendar, intake, principal.user_id, local_date(now))
    record(
        uow,
        intake,
        principal,
        "intake.material_received",
        {"material": material.id, "description": description, "stamps": stamps},
    )
    return material


def draft_filing(
    uow: UnitOfWork,
    principal: Principal,
    *,
    intake_id: str,
    within_jurisdiction: bool,
    summary: str,
) -> Intake:
    principal.require_role("intake", action="drafting the filing approval form")
    intake = load(uow, intake_id)
    intake.draft_filing(
        user=principal.user_id, within_jurisdiction=within_jurisdiction, summary=summary
    )
    content = prints.filing_content(intake)
    fields.validate(document_type(prints.FILING_APPROVAL), fields.parse(content.decode()))
    deadlines.meet(uow, subject=f"intakes/{intake.id}", rule="filing_approval_submitted")
    record(
        uow,
        intake,
        principal,
        "filing_approval.drafted",
        {"within_jurisdiction": within_jurisdiction, "summary": summary},
        (ledger.sha256_hex(content),),
        role="intake",
    )
    return intake


def approve_filing(
    uow: UnitOfWork, principal: Principal, *, intake_id: str, comment: str
) -> Intake:
    principal.require_role("head", action="approving filing")
    intake = load(uow, intake_id)
    year = utcnow().year
    number = (
        case_number(site(uow.tenant).zh, year, orm.next_case_seq(uow, year))
        if intake.state == "filing_drafted" and intake.within_jurisdiction
        else ""
    )
    intake.approve_filing(user=principal.user_id, case_number=number)
    form = prints.filing_approval(intake, utcnow())
    record(
        uow,
        intake,
        principal,
        "filing_approval.approved",
        {"case_number": intake.case_number, "comment": comment},
        (form.content_sha256,),
        role="head",
    )
    # Approved, the form is effective (Art 11): printed at the one effective point.
    prints.on_effective(uow, principal, intake, form, prints.filing_name(intake))
    return intake
