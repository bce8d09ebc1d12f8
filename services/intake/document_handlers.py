"""Intake documents and inbound jurisdiction messages: unit of work → domain → ledger
(and outbox). Handlers never commit; the idempotent transaction around them does."""

from __future__ import annotations

import uuid

from liuhen.platform import deadlines, ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import site
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import PermissionDenied, not_found
from services.intake import messages, orm
from services.intake.documents import (
    IntakeDocument,
    check_approval,
    check_draft,
    check_recipient,
    parse_content,
    spec_of,
)
from services.intake.handlers import load, open_filing_deadline, record
from services.intake.model import Intake


def _level_of(party: str) -> str:
    return outbox.kind_of(party)[0]


def find_document(
    uow: UnitOfWork, intake_id: str, document_id: str
) -> tuple[Intake, IntakeDocument]:
    intake = load(uow, intake_id)
    doc = next((d for d in intake.documents if d.id == document_id), None)
    if doc is None:
        raise not_found("document", f"intakes/{intake_id}/documents/{document_id}")
    return intake, doc


def draft_document(
    uow: UnitOfWork,
    principal: Principal,
    *,
    intake_id: str,
    type_code: str,
    content_json: str,
    recipient: str,
) -> IntakeDocument:
    """Draft a 不予受理决定书, 补正通知, 移送管辖单, 指定办理单 or 提请指定管辖 on an
    intake; one with no approval step takes effect at once."""
    spec = spec_of(type_code)
    intake = load(uow, intake_id)
    role = check_draft(
        spec, state=intake.state, level=site(uow.tenant).level, roles=principal.roles
    )
    content = parse_content(spec, content_json)
    if spec.code == "non_acceptance_decision" and intake.time_barred:
        content.setdefault("time_barred", True)
    to = check_recipient(spec, recipient, tenant=uow.tenant, level_of=_level_of)
    canonical = ledger.canonical(content)
    doc = IntakeDocument(
        id=str(uuid.uuid4()),
        intake_id=intake.id,
        tenant_id=uow.tenant,
        type=spec.code,
        state="drafted",
        content_json=canonical.decode(),
        content_sha256=ledger.sha256_hex(canonical),
        drafted_by=principal.user_id,
        drafted_role=role,
        drafted_at=utcnow(),
        recipient=to,
    )
    intake.documents.append(doc)
    intake.state = spec.drafted_state
    record(
        uow,
        intake,
        principal,
        f"{spec.code}.drafted",
        {"document": doc.id, "content": content, "recipient": to},
        (doc.content_sha256,),
        role=role,
    )
    if not spec.approval:
        _take_effect(uow, principal, intake, doc, role)
    return doc


def approve_document(
    uow: UnitOfWork, principal: Principal, *, intake_id: str, document_id: str, comment: str
) -> IntakeDocument:
    """The head's approval makes the document effective (seed Art 6, 11, 13-15)."""
    intake, doc = find_document(uow, intake_id, document_id)
    check_approval(
        doc, user=principal.user_id, roles=principal.roles, registered_by=intake.registered_by
    )
    doc.approved_by = principal.user_id
    _take_effect(uow, principal, intake, doc, "head", comment)
    return doc


def _take_effect(
    uow: UnitOfWork,
    principal: Principal,
    intake: Intake,
    doc: IntakeDocument,
    role: str,
    comment: str = "",
) -> None:
    spec = doc.spec
    doc.state, doc.effective_at = "effective", utcnow()
    intake.state = spec.effective_state
    # The intake was acted on in time: the 5 working days of Art 11 are met.
    deadlines.meet(uow, subject=f"intakes/{intake.id}", rule="filing_approval_submitted")
    refs = [doc.content_sha256]
    for recipient in messages.recipients(intake, doc) if spec.message else []:
        envelope = outbox.enqueue(
            uow,
            type=spec.message,
            recipient=recipient,
            case_ref=f"intakes/{intake.id}",
            case_number=intake.case_number,
            correlation_id=intake.inbound_message_id,
            payload_json=messages.outbound_payload(intake, doc),
            document_hashes=(doc.content_sha256,),
        )
        doc.message_id = doc.message_id or envelope.message_id
        refs.append(f"messages/{envelope.message_id}")
    record(
        uow,
        intake,
        principal,
        f"{spec.code}.effective",
        {"document": doc.id, "comment": comment, "message_id": doc.message_id},
        tuple(refs),
        role=role,
    )


def _settle_dispute(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    settled: dict[str, str],
    message_id: str,
    from_site: str,
) -> Intake:
    """The city designated in answer to this district's dispute (Art 14): no second
    intake; the one that raised the dispute is registered again or closed."""
    original = load(uow, str(settled.get("intake", "")).removeprefix("intakes/"))
    messages.settle_dispute(
        original, settled=settled, tenant=uow.tenant, message_id=message_id, from_site=from_site
    )
    if original.state == "registered":
        open_filing_deadline(uow, calendar, original, principal.user_id, local_date(utcnow()))
    record(
        uow,
        original,
        principal,
        "jurisdiction_dispute.settled",
        {"message_id": message_id, "from_site": from_site, **settled},
        (f"messages/{message_id}",),
        role="service",
    )
    return original


def record_inbound(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    message_id: str,
    message_type: str,
    from_site: str,
    sender_intake: str,
    payload_json: str,
) -> Intake:
    """A transfer, a designation or a dispute that routing received makes an intake here
    (seed Art 12, 14): the desk's registration form from the slip's contents, with the
    sender's materials list; a redelivery returns the intake it made."""
    if not principal.is_service:
        raise PermissionDenied(
            "SERVICE_ONLY",
            "only the routing service records intakes received from another organisation",
            "仅限路由服务调用",
            article="DESIGN §7",
        )
    existing = orm.by_message(uow, message_id)
    if existing is not None:
        return existing
    outbox.check_route(message_type, from_site, uow.tenant)
    now = utcnow()
    body = messages.read_payload(message_type, payload_json)
    settled = body.get("settles") or {}
    if message_type == "designation" and settled.get("site") == uow.tenant:
        return _settle_dispute(uow, principal, calendar, settled, message_id, from_site)
    intake = messages.intake_of(
        body,
        message_type=message_type,
        message_id=message_id,
        from_site=from_site,
        sender_intake=sender_intake,
        tenant=uow.tenant,
        registered_by=principal.user_id,
        received_at=now,
    )
    if intake.state == "registered":  # the 5 working days of Art 12 run from receipt
        open_filing_deadline(uow, calendar, intake, principal.user_id, local_date(now))
    uow.add(intake)
    record(
        uow,
        intake,
        principal,
        f"intake.received_{message_type}",
        {"message_id": message_id, "from_site": from_site, "sender_intake": sender_intake},
        (f"messages/{message_id}",),
        role="service",
    )
    return intake
