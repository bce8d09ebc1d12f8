"""Intake documents and inbound jurisdiction messages: unit of work → domain → ledger
(and outbox). Handlers never commit; the idempotent transaction around them does."""

from __future__ import annotations

import uuid

from liuhen.platform import deadlines, fields, ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.catalogue import document_type, site
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.documents import DRAFT, RETURNED, drafting_role
from liuhen.platform.errors import not_found
from services.intake import messages, orm, prints
from services.intake.documents import (
    IntakeDocument,
    check_acting,
    check_recipient,
    check_state,
    effect_of,
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


def _corrected(intake: Intake, type_code: str, supersedes: str) -> IntakeDocument | None:
    """The returned or effective document a correction replaces; else the intake must be
    ready for a first draft."""
    effect = effect_of(type_code)
    if not supersedes:
        check_state(effect, intake.state)
        return None
    old = next((d for d in intake.documents if d.id == supersedes), None)
    if old is None:
        raise not_found("document", f"intakes/{intake.id}/documents/{supersedes}")
    old.correction_version(type_code)
    if old.state == RETURNED and intake.state != effect.pending_state:
        check_state(effect, intake.state)
    return old


def draft_document(
    uow: UnitOfWork,
    principal: Principal,
    *,
    intake_id: str,
    type_code: str,
    content_json: str,
    recipient: str,
    supersedes: str = "",
) -> IntakeDocument:
    """Draft a 不予受理决定书, 补正通知, 移送管辖单, 指定办理单 or 提请指定管辖 on an
    intake, or correct a returned or effective one with a new version (`supersedes`)."""
    effect = effect_of(type_code)
    doc_type = document_type(type_code)
    intake = load(uow, intake_id)
    role = drafting_role(doc_type, level=site(uow.tenant).level, roles=principal.roles)
    old = _corrected(intake, type_code, supersedes)
    content = fields.validate(doc_type, fields.parse(content_json))
    if type_code == "non_acceptance_decision" and intake.time_barred:
        content.setdefault("time_barred", True)
    to = check_recipient(effect, recipient, tenant=uow.tenant, level_of=_level_of)
    canonical = ledger.canonical(content)
    doc = IntakeDocument(
        id=str(uuid.uuid4()),
        intake_id=intake.id,
        tenant_id=uow.tenant,
        type=type_code,
        state=DRAFT,
        content_json=canonical.decode(),
        content_sha256=ledger.sha256_hex(canonical),
        drafted_by=principal.user_id,
        drafted_role=role,
        drafted_at=utcnow(),
        recipient=to,
        version=old.version + 1 if old else 1,
        chain=",".join(doc_type.approval),
        supersedes=old.id if old else "",
    )
    intake.documents.append(doc)
    payload: dict[str, object] = {"document": doc.id, "content": content, "recipient": to}
    if old:
        old.supersede()
        payload |= {"version": doc.version, "supersedes": old.id}
    else:
        intake.state = effect.pending_state
    record(
        uow, intake, principal, f"{type_code}.drafted", payload, (doc.content_sha256,), role=role
    )
    return doc


def submit_document(
    uow: UnitOfWork, principal: Principal, *, intake_id: str, document_id: str
) -> IntakeDocument:
    """The drafter submits; one with no approval chain is effective at once."""
    intake, doc = find_document(uow, intake_id, document_id)
    doc.submit(user=principal.user_id, now=utcnow())
    record(
        uow,
        intake,
        principal,
        f"{doc.type}.submitted",
        {"document": doc.id, "state": doc.state},
        (doc.content_sha256,),
        role=doc.drafted_role,
    )
    _settle(uow, principal, intake, doc, doc.drafted_role)
    return doc


def return_document(
    uow: UnitOfWork, principal: Principal, *, intake_id: str, document_id: str, reasons: str
) -> IntakeDocument:
    """Whoever's turn it is sends the document back with the reasons (seed Art 6, 11)."""
    intake, doc = find_document(uow, intake_id, document_id)
    doc.next_role("return")
    check_acting(user=principal.user_id, registered_by=intake.registered_by)
    role = doc.return_for_changes(
        user=principal.user_id, roles=principal.roles, reasons=reasons, field="reasons"
    )
    record(
        uow,
        intake,
        principal,
        f"{doc.type}.returned",
        {"document": doc.id, "reasons": reasons},
        (doc.content_sha256,),
        role=role,
    )
    return doc


def approve_document(
    uow: UnitOfWork, principal: Principal, *, intake_id: str, document_id: str, comment: str
) -> IntakeDocument:
    """The chain's approver (the head) approves; the last approval makes it effective
    (seed Art 6, 11, 13-15)."""
    intake, doc = find_document(uow, intake_id, document_id)
    doc.next_role("approve")
    check_acting(user=principal.user_id, registered_by=intake.registered_by)
    role = doc.approve(user=principal.user_id, roles=principal.roles, now=utcnow())
    doc.approved_by = principal.user_id
    record(
        uow,
        intake,
        principal,
        f"{doc.type}.approved",
        {"document": doc.id, "comment": comment, "state": doc.state},
        (doc.content_sha256,),
        role=role,
    )
    _settle(uow, principal, intake, doc, role)
    return doc


def _settle(
    uow: UnitOfWork, principal: Principal, intake: Intake, doc: IntakeDocument, role: str
) -> None:
    """Once effective, a document is printed (prints.py, the point shared with cases) and
    a first version changes its intake; a correction of an effective document is printed
    as a new version but changes nothing more, and sends nothing again."""
    if doc.state != "effective":
        return
    prints.on_effective(uow, principal, intake, doc, doc.name)
    corrected = next((d for d in intake.documents if d.id == doc.supersedes), None)
    if corrected is not None and corrected.state == "effective":
        return
    _take_effect(uow, principal, intake, doc, role)


def _take_effect(
    uow: UnitOfWork, principal: Principal, intake: Intake, doc: IntakeDocument, role: str
) -> None:
    effect = doc.effect
    intake.state = effect.effective_state
    # The intake was acted on in time: the 5 working days of Art 11 are met.
    deadlines.meet(uow, subject=f"intakes/{intake.id}", rule="filing_approval_submitted")
    refs = [doc.content_sha256]
    for recipient in messages.recipients(intake, doc) if effect.message else []:
        envelope = outbox.enqueue(
            uow,
            type=effect.message,
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
        f"{doc.type}.effective",
        {"document": doc.id, "message_id": doc.message_id, "state": intake.state},
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
    principal.require_service(
        "routing",
        action="records intakes received from another organisation",
        action_zh="登记外单位移送、指定的事项",
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
