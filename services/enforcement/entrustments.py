"""Entrusted service between sites (委托送达, seed Art 37(5)) over routing's outbox and
inbox: the handling bureau sends, the entrusted site serves or refuses, and the answer
is recorded on the handling bureau's case. Handlers never commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from liuhen.platform import deadlines, ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import FailedPrecondition, PermissionDenied, not_found
from liuhen.platform.outbox import InboxRow
from liuhen.platform.printing import registry
from liuhen.routing.v1 import routing_pb2
from services.enforcement import entrusting as rules
from services.enforcement import orm
from services.enforcement.entrusting import Entrustment, Letter
from services.enforcement.handlers import (
    SERVICE,
    authorise_service,
    document_to_serve,
    record_service,
)
from services.enforcement.model import (
    DocumentToServe,
    ServeDocument,
    check_method,
    check_serviceable,
    receipt,
    servers_of,
    validate_command,
)


def _record(message_id: str) -> str:
    """The entrusted site's own record of the entrustment (as routing names it on receipt)."""
    return f"entrust-{message_id}"


# --- the handling bureau --------------------------------------------------------------


def entrust(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    letter_doc: DocumentToServe,
    letter: Letter,
    doc: DocumentToServe,
    now: datetime,
) -> Entrustment:
    """Send the approved 委托送达函 with the effective document to the entrusted site
    through the outbox, open the deadline for its receipt, and record both on the case."""
    authorise_service(principal, doc.type)
    rules.check_letter(letter_doc.type, letter_doc.state, letter_doc.case_id, doc.case_id)
    check_serviceable(doc)
    rules.check_requested_method(letter.method, doc)
    rules.check_entrusted_site(uow.tenant, letter.entrusted_site)
    document_id = doc.name.rsplit("/", 1)[-1]
    if orm.pending_entrustment(uow, doc.case_id, document_id) is not None:
        raise FailedPrecondition(
            "ENTRUSTMENT_PENDING",
            f"{doc.name} is already entrusted and its receipt has not returned",
            "该文书已委托送达，尚待回执",
            article=rules.ART37_5,
            field="letter",
        )
    printed = registry.find(uow, doc.name)
    pdf = (
        {
            "number": printed.number,
            "pdf_sha256": registry.pdf_sha256(printed),
            "object_key": printed.object_key,
        }
        if printed is not None
        else {}
    )
    envelope = outbox.enqueue(
        uow,
        type=rules.SENT,
        recipient=letter.entrusted_site,
        case_ref=f"cases/{doc.case_id}",
        case_number=doc.case_number,
        payload_json=json.dumps(rules.payload(letter, doc, pdf), ensure_ascii=False),
        document_hashes=tuple(
            h for h in (letter_doc.content_sha256, doc.content_sha256, pdf.get("pdf_sha256")) if h
        ),
    )
    entrustment = Entrustment(
        id=str(uuid.uuid4()),
        tenant_id=uow.tenant,
        case_id=doc.case_id,
        document_id=document_id,
        document_type=doc.type,
        letter_id=letter_doc.name.rsplit("/", 1)[-1],
        entrusted_site=letter.entrusted_site,
        recipient=letter.recipient,
        address=letter.address,
        method=letter.method,
        message_id=envelope.message_id,
        state=rules.PENDING,
        deadline_id="",
        document_json=json.dumps(rules.snapshot(doc), ensure_ascii=False),
        sent_at=now,
    )
    row = deadlines.open_deadline(
        uow,
        calendar,
        rule=rules.RULE,
        case_id=doc.case_id,
        subject=entrustment.name,
        start=local_date(now),
        officer=doc.handler,
        amount=letter.return_days,
    )
    entrustment.deadline_id = row.id
    uow.add(entrustment)
    ledger.append(
        uow,
        case_id=doc.case_id,
        service=SERVICE,
        action="service.entrusted",
        actor=ledger.actor_of(principal, principal.acting_role(servers_of(doc.type))),
        payload={
            "entrustment": entrustment.name,
            "document": doc.name,
            "letter": letter_doc.name,
            "entrusted_site": letter.entrusted_site,
            "recipient": letter.recipient,
            "address": letter.address,
            "message_id": envelope.message_id,
            "due_on": row.due_on.isoformat(),
        },
        refs=[letter_doc.content_sha256, doc.content_sha256, f"messages/{envelope.message_id}"],
    )
    return entrustment


def _sent_document(e: Entrustment) -> DocumentToServe:
    """The document as it was when entrusted (an effective document does not change)."""
    d = json.loads(e.document_json)
    return document_to_serve(
        name=d["name"],
        case_id=e.case_id,
        case_number=d["case_number"],
        party=d["party"],
        handler=d["handler"],
        type_code=d["type"],
        state="effective",
        content_sha256=d["content_sha256"],
        content_json=json.dumps(d["content"], ensure_ascii=False),
        decision_document=bool(d["decision_document"]),
    )


def record_answer(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    *,
    case_id: str,
    message_type: str,
    from_site: str,
    correlation_id: str,
    message_id: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> Entrustment:
    """The entrusted site's 送达回执 (its date is the date of service; the periods run from
    it) or its refusal (the handling bureau may then serve otherwise), applied once."""
    principal.require_service(
        "routing", action="records what another site answers", action_zh="记录外单位的答复"
    )
    e = orm.entrustment_by_message(uow, correlation_id)
    if e is None or e.case_id != case_id:
        raise not_found("entrustment", f"cases/{case_id}/entrustments?message={correlation_id}")
    if e.entrusted_site != from_site:
        raise PermissionDenied(
            "WRONG_SENDER",
            f"the entrustment went to {e.entrusted_site}, not {from_site}",
            "答复单位与受委托机构不符",
            article=rules.ART37_5,
            field="from_site",
        )
    rules.check_open(e.state, e.name)
    if message_type == rules.RECEIPT:
        _record_receipt(uow, principal, calendar, e, payload, now)
    elif message_type == rules.REFUSAL:
        _record_refusal(uow, principal, e, payload)
    else:
        raise FailedPrecondition(
            "UNEXPECTED_INBOUND",
            f"{message_type} is not an answer to an entrustment",
            "该消息不是委托送达的答复",
            article=rules.ART37_5,
        )
    e.answer_message_id, e.answered_at = message_id, now
    deadlines.meet(uow, rule=rules.RULE, case_id=e.case_id, subject=e.name)
    return e


def _record_receipt(
    uow: UnitOfWork,
    principal: Principal,
    calendar: WorkingCalendar,
    e: Entrustment,
    payload: Mapping[str, Any],
    now: datetime,
) -> None:
    theirs = rules.answer_receipt(payload.get("receipt"))
    doc = _sent_document(e)
    cmd = ServeDocument(
        document=doc.name,
        method="entrusted",
        recipient=str(theirs["recipient"]),
        signed_by=str(theirs.get("signed_by", "")),
        served_at=datetime.fromisoformat(theirs["served_time"]).astimezone(UTC),
        note=str(theirs["note"]),
        place=str(theirs.get("place", "")),
        details=rules.details_of(theirs, e.entrusted_site),
        evidence=rules.evidence_of(theirs, e.entrusted_site),
    )
    body = receipt(cmd, doc, ledger.actor_of(principal, "service"))
    # The date of service is the entrusted site's (Art 37(5)), by the method it used.
    body |= {
        "service_date": str(theirs.get("service_date", "")),
        "deemed": bool(theirs.get("deemed", False)),
        "service_date_source": str(theirs.get("service_date_source", rules.ART37_5)),
        "entrusted": {
            "site": e.entrusted_site,
            "entrustment": e.name,
            "message_id": e.message_id,
            "receipt_sha256": ledger.sha256_hex(ledger.canonical(dict(theirs))),
        },
    }
    record, _ = record_service(
        uow, principal, calendar, cmd=cmd, doc=doc, body=body,
        served_by=f"site:{e.entrusted_site}", now=now,
    )  # fmt: skip
    e.state, e.service_record_id = rules.SERVED, record.id
    e.service_date, e.note = body["service_date"], cmd.note


def _record_refusal(
    uow: UnitOfWork, principal: Principal, e: Entrustment, payload: Mapping[str, Any]
) -> None:
    reason, note = str(payload.get("reason", "")), str(payload.get("note", ""))
    rules.check_refusal(reason, note)
    e.state, e.refusal_reason, e.note = rules.REFUSED, reason, note
    ledger.append(
        uow,
        case_id=e.case_id,
        service=SERVICE,
        action="service.entrustment_refused",
        actor=ledger.actor_of(principal, "service"),
        payload={
            "entrustment": e.name,
            "document": e.document,
            "entrusted_site": e.entrusted_site,
            "reason": reason,
            "note": note,
        },
        refs=[f"messages/{e.message_id}"],
    )


# --- the entrusted site ---------------------------------------------------------------


def received(uow: UnitOfWork, message_id: str) -> tuple[InboxRow, routing_pb2.Envelope]:
    """An entrustment in this site's inbox; one never received is NOT_FOUND."""
    row = outbox.inbox_row(uow, message_id)
    if row is None:
        raise not_found("message", f"messages/{message_id}")
    if row.type != rules.SENT:
        raise FailedPrecondition(
            "NOT_A_SERVICE_ENTRUSTMENT",
            f"a {row.type} is not a service entrustment",
            "该消息不是委托送达函",
            article=rules.ART37_5,
            field="message",
        )
    return row, routing_pb2.Envelope.FromString(row.envelope)


def entrusted_document(uow: UnitOfWork, message_id: str) -> DocumentToServe:
    """The document the entrustment carries, judged by this site's catalogue."""
    _, envelope = received(uow, message_id)
    d = rules.parse_json(envelope.payload_json).get("document")
    if not isinstance(d, dict):
        d = {}
    return document_to_serve(
        name=str(d.get("name", "")),
        case_id=_record(message_id),
        case_number=str(d.get("case_number", "")),
        party=str(d.get("party", "")),
        handler="",
        type_code=str(d.get("type", "")),
        state="effective",
        content_sha256=str(d.get("content_sha256", "")),
        content_json=json.dumps(d.get("content") or {}, ensure_ascii=False),
        decision_document=bool(d.get("decision_document", False)),
    )


def check_serve_request(cmd: ServeDocument, doc: DocumentToServe, now: datetime) -> None:
    """What Art 37 asks of the entrusted site's service, before its evidence is stored."""
    rules.check_entrusted_method(cmd.method)
    validate_command(cmd, now)
    check_method(cmd, doc)
    rules.require_circumstances(cmd.note)


def serve_entrusted(
    uow: UnitOfWork,
    principal: Principal,
    *,
    message_id: str,
    cmd: ServeDocument,
    now: datetime,
) -> tuple[routing_pb2.Envelope, str, str]:
    """Serve the entrusted document by a method of Art 37 with its evidence and send the
    送达回执 back with the circumstances noted, in one transaction with the inbox row
    marked answered and this site's ledger entry. Returns (the answer, the receipt's
    hash, the date of service)."""
    row, envelope = received(uow, message_id)
    doc = entrusted_document(uow, message_id)
    authorise_service(principal, doc.type)
    rules.check_open(row.state, f"messages/{message_id}")
    check_serve_request(cmd, doc, now)
    actor = ledger.actor_of(principal, principal.acting_role(servers_of(doc.type)))
    body = receipt(cmd, doc, actor)
    sha = ledger.sha256_hex(ledger.canonical(body))
    answer = _answer(uow, row, envelope, {"receipt": body}, rules.RECEIPT)
    ledger.append(
        uow,
        case_id=_record(message_id),
        service=SERVICE,
        action="entrusted_document.served",
        actor=actor,
        payload={**body, "answer": answer.message_id},
        refs=[doc.content_sha256, sha, *(e.sha256 for e in cmd.evidence)],
    )
    return answer, sha, str(body["service_date"])


def refuse_entrusted(
    uow: UnitOfWork, principal: Principal, *, message_id: str, reason: str, note: str
) -> routing_pb2.Envelope:
    """Refuse the entrustment with the reason (not this site's area, recipient unknown)."""
    row, envelope = received(uow, message_id)
    doc = entrusted_document(uow, message_id)
    authorise_service(principal, doc.type)
    rules.check_open(row.state, f"messages/{message_id}")
    rules.check_refusal(reason, note)
    answer = _answer(uow, row, envelope, {"reason": reason, "note": note}, rules.REFUSAL)
    ledger.append(
        uow,
        case_id=_record(message_id),
        service=SERVICE,
        action="service_entrustment.refused",
        actor=ledger.actor_of(principal, principal.acting_role(servers_of(doc.type))),
        payload={"reason": reason, "note": note, "answer": answer.message_id},
        refs=[f"messages/{answer.message_id}"],
    )
    return answer


def _answer(
    uow: UnitOfWork,
    row: InboxRow,
    envelope: routing_pb2.Envelope,
    body: Mapping[str, Any],
    type: str,
) -> routing_pb2.Envelope:
    answer = outbox.enqueue(
        uow,
        type=type,
        recipient=row.sender,
        case_ref=envelope.case_ref,
        case_number=envelope.case_number,
        correlation_id=row.message_id,
        payload_json=json.dumps(dict(body), ensure_ascii=False),
    )
    row.state, row.applied_at = "answered", utcnow()
    row.detail = f"answered by messages/{answer.message_id} ({type})"
    return answer
