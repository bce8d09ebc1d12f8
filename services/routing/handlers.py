"""Routing commands and queries over the platform's outbox and inbox tables. Handlers
never commit: the idempotent transaction (gRPC) or the worker (relay.py) does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from google.protobuf.message import DecodeError
from sqlalchemy import select

from liuhen.platform import ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import PermissionDenied, not_found
from liuhen.platform.outbox import InboxRow, OutboxRow
from liuhen.routing.v1 import routing_pb2
from services.routing import forwarding
from services.routing.model import (
    ANSWERED,
    ANSWERS,
    APPLIED,
    ASSISTANCE_REPLY,
    DEAD,
    INBOUND,
    RECEIVED,
    WAITING,
    Inbound,
    Verdict,
    assist_record,
    check_reply,
    classify,
    is_uuid,
    record_of,
    reply_payload,
    substitute_id,
)

SERVICE = "routing"
UNREADABLE = "unreadable"
# The routing service acting on its own (no officer): how it appears in the ledger.
ROUTING_ACTOR: Mapping[str, str] = {
    "user_id": "service:liuhen-routing",
    "username": "liuhen-routing",
    "name": "路由服务 routing",
    "role": "service",
    "certificate_no": "",
}


def parse(raw: bytes) -> routing_pb2.Envelope | None:
    envelope = routing_pb2.Envelope()
    try:
        envelope.ParseFromString(raw)
    except DecodeError:
        return None
    return envelope


def inbound_of(envelope: routing_pb2.Envelope | None) -> Inbound:
    if envelope is None:
        return Inbound(message_id="", type=UNREADABLE, sender="", recipient="")
    return Inbound(
        message_id=envelope.message_id,
        type=envelope.type or UNREADABLE,
        sender=envelope.sender,
        recipient=envelope.recipient,
        correlation_id=envelope.correlation_id,
        case_ref=envelope.case_ref,
    )


def _route_refusal(msg: Inbound) -> str:
    try:
        outbox.check_route(msg.type, msg.sender, msg.recipient)
    except PermissionDenied as exc:
        return exc.message
    return ""


def _sent_request(uow: UnitOfWork, message_id: str, recipient: str, type: str) -> bool:
    """Did this site send the request `message_id` of `type` to `recipient`?"""
    return (
        uow.session.scalar(
            select(OutboxRow.message_id).where(
                OutboxRow.tenant_id == uow.tenant,
                OutboxRow.message_id == message_id,
                OutboxRow.type == type,
                OutboxRow.recipient == recipient,
            )
        )
        is not None
    )


def receive(
    uow: UnitOfWork, *, raw: bytes, envelope: routing_pb2.Envelope | None
) -> tuple[Verdict, str]:
    """Store a delivered record in this site's inbox, keyed by message id: a duplicate is
    a no-op; a refused or unreadable one is stored dead with its reason (DESIGN §7).
    Returns the verdict and the inbox key."""
    msg = inbound_of(envelope)
    key = msg.message_id if is_uuid(msg.message_id) else substitute_id(raw)
    seen = outbox.inbox_row(uow, key) is not None
    verdict = classify(
        msg,
        tenant=uow.tenant,
        seen=seen,
        route_refusal=_route_refusal(msg) if envelope is not None else "",
        answers_own_request=msg.type not in ANSWERS
        or _sent_request(uow, msg.correlation_id, msg.sender, ANSWERS[msg.type]),
    )
    if verdict.action == "duplicate":
        return verdict, key
    row = InboxRow(
        tenant_id=uow.tenant,
        message_id=key,
        type=msg.type[:64],
        sender=msg.sender[:64],
        envelope=bytes(raw),
        state=verdict.state,
        detail=verdict.reason,
        received=utcnow(),
    )
    uow.add(row)
    if verdict.action == "accept" and envelope is not None:
        forwarding.relay_reply(uow, row, envelope)  # Art 21(2): back to the district
    if verdict.action == "accept" and msg.type in WAITING and envelope is not None:
        # The assisting (Art 21(2)) or entrusted (Art 37(5)) site's own record of it.
        ledger.append(
            uow,
            case_id=record_of(msg.type, key),
            service=SERVICE,
            action=WAITING[msg.type],
            actor=ROUTING_ACTOR,
            payload={
                "message_id": key,
                "sender": msg.sender,
                "case_ref": envelope.case_ref,
                "case_number": envelope.case_number,
                "payload_json": envelope.payload_json,
            },
            refs=[f"messages/{key}", *envelope.document_hashes],
        )
    uow.session.flush()
    return verdict, key


# --- the relay's and the applier's steps ----------------------------------------------


@dataclass(frozen=True)
class Queued:
    """A message waiting in an outbox or inbox, read out of its transaction."""

    message_id: str
    type: str
    topic: str
    envelope: bytes


def pending_outbox(uow: UnitOfWork, limit: int = 100) -> list[Queued]:
    rows = uow.session.scalars(
        select(OutboxRow)
        .where(OutboxRow.tenant_id == uow.tenant, OutboxRow.state == "pending")
        .order_by(OutboxRow.created, OutboxRow.message_id)
        .limit(limit)
    )
    return [Queued(r.message_id, r.type, r.topic, r.envelope) for r in rows]


def mark_sent(uow: UnitOfWork, *, message_id: str, offset: int) -> None:
    """Only after the log acknowledged the record (DESIGN §7)."""
    row = _outbox_row(uow, message_id)
    if row is not None and row.state == "pending":
        row.state, row.sent_at, row.log_offset = "sent", utcnow(), offset


def to_apply(uow: UnitOfWork) -> list[Queued]:
    """Received messages of a type routing applies itself (model.INBOUND), oldest first."""
    rows = uow.session.scalars(
        select(InboxRow)
        .where(
            InboxRow.tenant_id == uow.tenant,
            InboxRow.state == RECEIVED,
            InboxRow.type.in_(INBOUND),
        )
        .order_by(InboxRow.received)
    )
    return [Queued(r.message_id, r.type, "", r.envelope) for r in rows]


def settle(uow: UnitOfWork, *, message_id: str, state: str, detail: str) -> None:
    """Record the outcome of applying a message: applied, dead, or still received."""
    row = outbox.inbox_row(uow, message_id)
    if row is None or row.state != RECEIVED:
        return
    row.state, row.detail = state, detail[:2000]
    if state == APPLIED:
        row.applied_at = utcnow()


# --- the gRPC commands and queries ---------------------------------------------------


def _outbox_row(uow: UnitOfWork, message_id: str) -> OutboxRow | None:
    return uow.session.scalar(
        select(OutboxRow).where(
            OutboxRow.tenant_id == uow.tenant, OutboxRow.message_id == message_id
        )
    )


def find_message(uow: UnitOfWork, message_id: str) -> InboxRow | OutboxRow:
    """This site's message; another site's is NOT_FOUND (DESIGN §8)."""
    row = outbox.inbox_row(uow, message_id) or _outbox_row(uow, message_id)
    if row is None:
        raise not_found("message", f"messages/{message_id}")
    return row


def dead_letters(uow: UnitOfWork) -> list[InboxRow]:
    return list(
        uow.session.scalars(
            select(InboxRow)
            .where(InboxRow.tenant_id == uow.tenant, InboxRow.state == DEAD)
            .order_by(InboxRow.received)
        )
    )


def reply_to_assistance_request(
    uow: UnitOfWork, principal: Principal, *, message_id: str, findings: str, handler_name: str
) -> OutboxRow:
    """The assisting handler's 协查回函 goes back to the requesting site, in the same
    transaction as the request is marked answered and the ledger entry (Art 21(3))."""
    principal.require_role("handler", action="replying to an assistance request")
    row = outbox.inbox_row(uow, message_id)
    if row is None:
        raise not_found("message", f"messages/{message_id}")
    check_reply(row.type, row.state, findings)
    request = routing_pb2.Envelope()
    request.ParseFromString(row.envelope)
    name = handler_name or principal.name
    reply = outbox.enqueue(
        uow,
        type=ASSISTANCE_REPLY,
        recipient=row.sender,
        case_ref=request.case_ref,
        case_number=request.case_number,
        correlation_id=message_id,
        payload_json=reply_payload(
            request_id=message_id,
            findings=findings,
            handler_name=name,
            replied_by=principal.user_id,
        ),
    )
    row.state, row.applied_at = ANSWERED, utcnow()
    row.detail = f"answered by messages/{reply.message_id}"
    ledger.append(
        uow,
        case_id=assist_record(message_id),
        service=SERVICE,
        action="assistance_reply.sent",
        actor=ledger.actor_of(principal, "handler"),
        payload={
            "message_id": reply.message_id,
            "recipient": row.sender,
            "findings": findings,
            "handler_name": name,
        },
        refs=[f"messages/{reply.message_id}"],
    )
    uow.session.flush()
    sent = _outbox_row(uow, reply.message_id)
    if sent is None:  # pragma: no cover - enqueue added it in this transaction
        raise RuntimeError("the reply did not reach the outbox")
    return sent
