"""Document commands: the one workflow every catalogue document follows (draft → submit →
review → approve → effective), and what an effective document does to its case (the
state machine of lifecycle.py, its deadlines). Each step is a ledger entry."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from liuhen.platform import deadlines, fields, ledger
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import deadline_rules, document_type, site
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.documents import RETURNED, drafting_role
from liuhen.platform.errors import InvalidArgument, require
from liuhen.platform.stamps import stamps_for
from services.cases import lifecycle, orm, prints, procedure, timeline
from services.cases.handlers import load_case, load_document, record
from services.cases.model import (
    Case,
    Document,
    Officer,
    check_approver,
    check_drafter,
    check_reviewer,
    interview_content,
)

# Documents with their own command, which checks what the generic draft cannot.
OWN_COMMAND = {"interview_record": "RecordInterview"}


def new_document(
    uow: UnitOfWork,
    case: Case,
    *,
    type_code: str,
    content_json: str,
    drafted_by: str,
    role: str,
    state: str = "draft",
    from_site: str = "",
    version: int = 1,
    supersedes: str = "",
) -> Document:
    doc_type = document_type(type_code)
    content = ledger.canonical(fields.parse(content_json)).decode()
    now = utcnow()
    doc = Document(
        id=str(uuid.uuid4()),
        case_id=case.id,
        tenant_id=uow.tenant,
        type=type_code,
        version=version,
        state=state,
        content_json=content,
        content_sha256=ledger.sha256_hex(content.encode()),
        drafted_by=drafted_by,
        drafted_role=role,
        chain=",".join(doc_type.approval),
        approvals="",
        from_site=from_site,
        drafted_at=now,
        effective_at=now if state == "effective" else None,
        supersedes=supersedes,
    )
    uow.add(doc)
    return doc


def _may_draft(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    case_id: str,
    type_code: str,
    supersedes: str,
) -> tuple[Case, str, Document | None]:
    """The case, the role the caller drafts in and the document corrected, if any: who may
    draft it (the catalogue's drafters at this level, Art 6), and that the case is ready
    for it — or, for a correction, that it corrects an effective or returned document of
    the same type (a returned one still has to bring the case forward)."""
    doc_type = document_type(type_code)
    if type_code in OWN_COMMAND:
        raise InvalidArgument(
            "USE_OWN_COMMAND",
            f"{type_code} is made with {OWN_COMMAND[type_code]}, which checks its fields",
            f"{doc_type.zh}须通过专用接口制作",
            field="type",
        )
    role = drafting_role(doc_type, level=site(uow.tenant).level, roles=principal.roles)
    case = load_case(uow, case_id, changing=True)
    check_drafter(case, role, principal.user_id, doc_type)
    old = None
    if supersedes:
        _, old = load_document(uow, case.id, supersedes)
        old.correction_version(type_code)
        if old.state != RETURNED:
            return case, role, old
    lifecycle.check_state(type_code, case.state)
    lifecycle.check_requires(type_code, orm.effective_types(uow, case_id), major=case.major)
    procedure.check(type_code, lifecycle.step(type_code), timeline.facts(uow, calendar, case))
    return case, role, old


def draft_document(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    case_id: str,
    type_code: str,
    content_json: str,
    supersedes: str = "",
) -> Document:
    """Draft a catalogue document in the role the catalogue names, with the fields its
    form has (fields.py); the case must be in a state that allows it and its
    prerequisites must be effective. A correction (`supersedes`) is a new version: of an
    effective document it moves the case no further; of a returned one it replaces it."""
    case, role, old = _may_draft(uow, principal, calendar, case_id, type_code, supersedes)
    content = fields.validate(document_type(type_code), fields.parse(content_json))
    doc = new_document(
        uow,
        case,
        type_code=type_code,
        content_json=ledger.canonical(content).decode(),
        drafted_by=principal.user_id,
        role=role,
        version=old.version + 1 if old else 1,
        supersedes=supersedes,
    )
    payload: dict[str, object] = {"document": doc.id, "type": type_code}
    payload["content_sha256"] = doc.content_sha256
    if old:
        payload |= {"version": doc.version, "supersedes": supersedes}
        old.supersede()
    record(uow, case_id, principal, role, "document.drafted", payload, (doc.content_sha256,))
    return doc


def record_interview(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    officers: list[Officer],
    form: dict[str, object],
) -> Document:
    """The 调查询问笔录 (Art 16): a record, effective as written."""
    principal.require_role("handler", action="recording an interview")
    case = load_case(uow, case_id, changing=True)
    case.require_handler(principal.user_id, "recording an interview")
    lifecycle.check_state("interview_record", case.state)
    content = interview_content(
        officers,
        form,
        start=_time(form["start_time"]),
        end=_time(form["end_time"]),
    )
    fields.validate(document_type("interview_record"), fields.parse(content))
    doc = new_document(
        uow,
        case,
        type_code="interview_record",
        content_json=content,
        drafted_by=principal.user_id,
        role="handler",
        state="effective",
    )
    prints.on_effective(uow, principal, case, doc)
    record(
        uow,
        case_id,
        principal,
        "handler",
        "interview.recorded",
        {"document": doc.id, "content_sha256": doc.content_sha256},
        (doc.content_sha256,),
    )
    return doc


def record_material(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    submitted_by: str,
    description: str,
    is_copy: bool,
    checked: bool,
    pages: int,
) -> Document:
    """Materials the party or the complainant hand in during the investigation, kept in
    the file with the stamps of Art 18 ("年月日被监察单位提交资料", copy checked)."""
    principal.require_role("handler", action="receiving materials in an investigation")
    require(description, "description", "what was handed in", article="seed Art 18")
    case = load_case(uow, case_id, changing=True)
    case.require_handler(principal.user_id, "receiving materials")
    lifecycle.check_state("submitted_material", case.state)
    stamps = stamps_for(
        submitted_by=submitted_by, day=local_date(utcnow()), is_copy=is_copy, checked=checked
    )
    content = {
        "submitted_by": submitted_by,
        "description": description,
        "is_copy": is_copy,
        "checked_against_original": checked,
        "pages": pages,
        "stamps": stamps,
    }
    fields.validate(document_type("submitted_material"), content)
    doc = new_document(
        uow,
        case,
        type_code="submitted_material",
        content_json=json.dumps(content, ensure_ascii=False),
        drafted_by=principal.user_id,
        role="handler",
        state="effective",
    )
    prints.on_effective(uow, principal, case, doc)
    record(
        uow,
        case_id,
        principal,
        "handler",
        "material.received",
        {"document": doc.id, "stamps": stamps},
        (doc.content_sha256,),
    )
    return doc


def _time(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def submit_document(
    uow: UnitOfWork, principal: Principal, calendar: WorkingCalendar, *, case_id: str, doc_id: str
) -> Document:
    case, doc = load_document(uow, case_id, doc_id, changing=True)
    doc.submit(user=principal.user_id, now=utcnow())
    record(
        uow,
        case.id,
        principal,
        doc.drafted_role,
        "document.submitted",
        {"document": doc.id, "state": doc.state},
        (doc.content_sha256,),
    )
    settle(uow, principal, calendar, case, doc)
    return doc


def review_document(
    uow: UnitOfWork, principal: Principal, *, case_id: str, doc_id: str, passed: bool, comment: str
) -> Document:
    """The case's reviewer passes the draft on or returns it with the reasons (Art 29, 31)."""
    principal.require_role("reviewer", action="reviewing a document")
    case, doc = load_document(uow, case_id, doc_id, changing=True)
    doc.check_review()
    check_reviewer(case, doc, principal.user_id)
    if passed:
        doc.pass_review(user=principal.user_id, roles=principal.roles, now=utcnow())
    else:
        doc.return_for_changes(user=principal.user_id, roles=principal.roles, reasons=comment)
    record(
        uow,
        case.id,
        principal,
        "reviewer",
        "document.reviewed" if passed else "document.returned",
        {"document": doc.id, "comment": comment},
        (doc.content_sha256,),
    )
    return doc


def approve_document(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    case_id: str,
    doc_id: str,
    comment: str,
) -> Document:
    case, doc = load_document(uow, case_id, doc_id, changing=True)
    doc.next_role("approve")
    check_approver(case, principal.user_id)
    role = doc.approve(user=principal.user_id, roles=principal.roles, now=utcnow())
    record(
        uow,
        case.id,
        principal,
        role,
        "document.approved",
        {"document": doc.id, "comment": comment, "state": doc.state},
        (doc.content_sha256,),
    )
    settle(uow, principal, calendar, case, doc)
    return doc


def settle(
    uow: UnitOfWork, principal: Principal, calendar: WorkingCalendar, case: Case, doc: Document
) -> None:
    """Once a document is effective it is printed (prints.py) and moves its case (a
    correction of an effective one does not, one of a returned draft does; a document
    that leaves the tenant moves it when sent, desks.py)."""
    prints.on_effective(uow, principal, case, doc)
    if doc.state != "effective" or lifecycle.step(doc.type).sent_through:
        return
    corrected = orm.get_document(uow, case.id, doc.supersedes) if doc.supersedes else None
    if corrected is not None and corrected.state == "effective":
        return
    advance(uow, principal, calendar, case, doc)


def advance(
    uow: UnitOfWork, principal: Principal, calendar: WorkingCalendar, case: Case, doc: Document
) -> None:
    """Apply the document's step: the deadlines it meets, starts or lengthens, and the
    state it leads the case to (a ledger entry of its own)."""
    s = lifecycle.step(doc.type)
    content = json.loads(doc.content_json)
    today = local_date(utcnow())
    subject = f"cases/{case.id}/documents/{doc.id}"
    for rule in s.meets:
        deadlines.meet(uow, case_id=case.id, rule=rule)
    deadlines.close_replaced(uow, case_id=case.id, document_type=doc.type)
    opens = [s.opens] if s.opens else []
    if s.opens_if_false and s.branch_value(content) is False:
        opens.append(s.opens_if_false)
    for rule in opens:
        deadlines.open_deadline(
            uow, calendar, rule=rule, case_id=case.id, subject=subject, start=today,
            officer=case.handler,
        )  # fmt: skip
    if s.extends:
        extend(uow, calendar, case.id, s.extends)
    state = s.next_state(content)
    if state and state != case.state:
        before, case.state = case.state, state
        record(
            uow,
            case.id,
            principal,
            doc.drafted_role,
            "case.advanced",
            {"from": before, "to": state, "document": doc.id, "type": doc.type},
            (doc.content_sha256,),
        )


def extend(uow: UnitOfWork, calendar: WorkingCalendar, case_id: str, rule: str) -> None:
    """An approved extension (延期, Art 22) lengthens the open time limit to the rule's
    extended amount (investigation: 60 → 90 working days), counted from the same start."""
    spec = deadline_rules()[rule]
    for row in deadlines.query(uow, case_id=case_id):
        if row.rule == rule and row.met_at is None and spec.extended_amount:
            due = calendar.add(row.started_on, spec.extended_amount, spec.unit)
            row.amount, row.due_on, row.provisional = spec.extended_amount, due.on, due.provisional
