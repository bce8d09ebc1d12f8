"""Cases commands: unit of work → domain → ledger (and outbox). Never commit here."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from liuhen.intake.v1 import intake_pb2
from liuhen.platform import deadlines, ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import document_type, site
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import AlreadyExists, FailedPrecondition, PermissionDenied, not_found
from liuhen.platform.ledger import sha256_hex
from services.cases import orm
from services.cases.model import (
    Case,
    Document,
    Officer,
    canonical_content,
    check_drafter,
    check_prerequisite,
    drafting_role,
    validate_interview,
)

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


def load_case(uow: UnitOfWork, case_id: str) -> Case:
    case = orm.get_case(uow, case_id)
    if case is None:
        raise not_found("case", f"cases/{case_id}")
    return case


def load_document(uow: UnitOfWork, case_id: str, doc_id: str) -> tuple[Case, Document]:
    case = load_case(uow, case_id)
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
    if intake.state != "filed":
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
    case = load_case(uow, case_id)
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


def _new_document(
    uow: UnitOfWork,
    case: Case,
    *,
    type_code: str,
    content_json: str,
    drafted_by: str,
    role: str,
    state: str = "draft",
    from_site: str = "",
) -> Document:
    doc_type = document_type(type_code)
    content = canonical_content(content_json)
    now = utcnow()
    doc = Document(
        id=str(uuid.uuid4()),
        case_id=case.id,
        tenant_id=uow.tenant,
        type=type_code,
        version=1,
        state=state,
        content_json=content,
        content_sha256=sha256_hex(content.encode()),
        drafted_by=drafted_by,
        drafted_role=role,
        chain=",".join(doc_type.approval),
        approvals="",
        from_site=from_site,
        drafted_at=now,
        effective_at=now if state == "effective" else None,
    )
    uow.add(doc)
    return doc


def draft_document(
    uow: UnitOfWork, principal: Principal, *, case_id: str, type_code: str, content_json: str
) -> Document:
    doc_type = document_type(type_code)
    role = drafting_role(doc_type, principal.roles)
    case = load_case(uow, case_id)
    check_drafter(case, role, principal.user_id, doc_type)
    effective = {d.type for d in orm.case_documents(uow, case_id) if d.state == "effective"}
    if doc_type.requires_effective:
        check_prerequisite(doc_type, effective, document_type(doc_type.requires_effective).zh)
    doc = _new_document(
        uow,
        case,
        type_code=type_code,
        content_json=content_json,
        drafted_by=principal.user_id,
        role=role,
    )
    record(
        uow,
        case_id,
        principal,
        role,
        "document.drafted",
        {"document": doc.id, "type": type_code, "content_sha256": doc.content_sha256},
        (doc.content_sha256,),
    )
    return doc


def record_interview(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    officers: list[Officer],
    fields: dict[str, object],
) -> Document:
    """The 调查询问笔录 (Art 16): a record, effective as written."""
    principal.require_role("handler", action="recording an interview")
    case = load_case(uow, case_id)
    case.require_handler(principal.user_id, "recording an interview")
    validate_interview(
        officers,
        bool(fields["certificates_shown"]),
        fields["start_time"],
        fields["end_time"],  # type: ignore[arg-type]
        str(fields["place"]),
        str(fields["interviewee"]),
    )
    content = {
        **{k: str(v) for k, v in fields.items()},
        "officers": [o.__dict__ for o in officers],
        "certificates_shown": True,
    }
    doc = _new_document(
        uow,
        case,
        type_code="interview_record",
        content_json=json.dumps(content, ensure_ascii=False),
        drafted_by=principal.user_id,
        role="handler",
        state="effective",
    )
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


def submit_document(
    uow: UnitOfWork, principal: Principal, *, case_id: str, doc_id: str
) -> Document:
    case, doc = load_document(uow, case_id, doc_id)
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
    return doc


def review_document(
    uow: UnitOfWork, principal: Principal, *, case_id: str, doc_id: str, passed: bool, comment: str
) -> Document:
    principal.require_role("reviewer", action="reviewing a document")
    case, doc = load_document(uow, case_id, doc_id)
    doc.review(case, user=principal.user_id, passed=passed, now=utcnow())
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
    uow: UnitOfWork, principal: Principal, *, case_id: str, doc_id: str, comment: str
) -> Document:
    case, doc = load_document(uow, case_id, doc_id)
    role = doc.next_role("approve")
    doc.approve(case, user=principal.user_id, roles=principal.roles, now=utcnow())
    record(
        uow,
        case.id,
        principal,
        role,
        "document.approved",
        {"document": doc.id, "comment": comment, "state": doc.state},
        (doc.content_sha256,),
    )
    return doc


@dataclass(frozen=True)
class Sent:
    message_id: str
    topic: str


def send_assistance_request(
    uow: UnitOfWork, principal: Principal, *, case_id: str, doc_id: str, recipient: str
) -> Sent:
    """Send an approved 委托协查函 with the file's particulars to another organisation of
    the city (Art 21(2)); the message leaves through the outbox in this transaction."""
    principal.require_role("handler", action="sending an assistance request")
    case, doc = load_document(uow, case_id, doc_id)
    case.require_handler(principal.user_id, "sending an assistance request")
    if doc.type != "assistance_request" or doc.state != "effective":
        raise FailedPrecondition(
            "ASSISTANCE_REQUEST_NOT_APPROVED",
            "only an assistance request the head has approved can be sent",
            "委托协查函须经负责人同意",
            article="seed Art 21(2)",
        )
    site(recipient)
    payload = {
        "request": json.loads(doc.content_json),
        "case_number": case.case_number,
        "party": case.party,
        "document": f"cases/{case.id}/documents/{doc.id}",
    }
    envelope = outbox.enqueue(
        uow,
        type="assistance_request",
        recipient=recipient,
        case_ref=f"cases/{case.id}",
        case_number=case.case_number,
        payload_json=json.dumps(payload, ensure_ascii=False),
        document_hashes=(doc.content_sha256,),
    )
    record(
        uow,
        case.id,
        principal,
        "handler",
        "assistance_request.sent",
        {"message_id": envelope.message_id, "recipient": recipient, "document": doc.id},
        (doc.content_sha256,),
    )
    return Sent(envelope.message_id, outbox.topic_for_site(recipient))


def record_inbound_document(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    type_code: str,
    content_json: str,
    from_site: str,
    correlation_id: str,
) -> Document:
    """A peer's document arriving through routing (e.g. the 协查回函, Art 21(3))."""
    if not principal.is_service:
        raise PermissionDenied(
            "SERVICE_ONLY",
            "only the routing service records documents received from another organisation",
            "仅限路由服务调用",
            article="DESIGN §7",
        )
    if type_code != "assistance_reply":
        raise FailedPrecondition(
            "UNEXPECTED_INBOUND",
            f"{type_code} is not received from peers",
            "该文书不由外单位送达",
            article="sites.yaml routes",
        )
    case = load_case(uow, case_id)
    doc = _new_document(
        uow,
        case,
        type_code=type_code,
        content_json=content_json,
        drafted_by=f"site:{from_site}",
        role="peer",
        state="effective",
        from_site=from_site,
    )
    record(
        uow,
        case.id,
        principal,
        "service",
        "assistance_reply.received",
        {"document": doc.id, "from_site": from_site, "correlation_id": correlation_id},
        (doc.content_sha256,),
    )
    return doc
