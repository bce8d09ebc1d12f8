"""The outbox and the inbox of site-to-site messages (DESIGN §7).

A service writes a message to the outbox in the same transaction as the case change;
the routing service's relay publishes it to the recipient's topic and marks it sent
only once the log has acknowledged it; the recipient stores it in its inbox keyed by
message id (a redelivery is a no-op) before it commits the offset, then applies it.
Routing rules (who may send what to whom, sites.yaml) are checked at send time here
and again on receipt by the routing service.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.platform import telemetry
from liuhen.platform.catalogue import sites
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime, utcnow
from liuhen.platform.errors import PermissionDenied
from liuhen.routing.v1 import routing_pb2

# message type -> (sender levels, recipient levels); "site" = city or district.
ROUTES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "assistance_request": (frozenset({"city", "district"}), frozenset({"city", "district"})),
    "assistance_reply": (frozenset({"city", "district"}), frozenset({"city", "district"})),
    "jurisdiction_transfer": (frozenset({"city", "district"}), frozenset({"city", "district"})),
    "designation": (frozenset({"city"}), frozenset({"district"})),
    "jurisdiction_dispute": (frozenset({"district"}), frozenset({"city"})),
}


def check_route(message_type: str, sender: str, recipient: str) -> None:
    """Refuse a message the routes of sites.yaml do not allow (Art 13–15, 21)."""
    route = ROUTES.get(message_type)
    known = sites()
    if route is None or sender not in known or recipient not in known or sender == recipient:
        raise PermissionDenied(
            "ROUTE_NOT_ALLOWED",
            f"{message_type} may not go from {sender} to {recipient}",
            f"不允许从 {sender} 向 {recipient} 发送 {message_type}",
            article="sites.yaml routes",
        )
    senders, recipients = route
    if known[sender].level not in senders or known[recipient].level not in recipients:
        raise PermissionDenied(
            "ROUTE_NOT_ALLOWED",
            f"a {known[sender].level} may not send {message_type} to a {known[recipient].level}",
            f"{known[sender].zh}不能向{known[recipient].zh}发送此类消息",
            article="sites.yaml routes",
        )


def topic_for_site(site_id: str) -> str:
    return f"liuhen.site.{site_id}"


class OutboxRow(Base):
    __tablename__ = "platform_outbox"
    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    log_offset: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class InboxRow(Base):
    __tablename__ = "platform_inbox"
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="received")
    detail: Mapped[str] = mapped_column(Text, default="")
    received: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def enqueue(
    uow: UnitOfWork,
    *,
    type: str,
    recipient: str,
    case_ref: str = "",
    case_number: str = "",
    correlation_id: str = "",
    payload_json: str = "{}",
    document_hashes: tuple[str, ...] = (),
    media_hashes: tuple[str, ...] = (),
) -> routing_pb2.Envelope:
    """Write a message to the outbox within the caller's transaction."""
    check_route(type, uow.tenant, recipient)
    envelope = routing_pb2.Envelope(
        message_id=str(uuid.uuid4()),
        type=type,
        sender=uow.tenant,
        recipient=recipient,
        case_ref=case_ref,
        case_number=case_number,
        correlation_id=correlation_id,
        payload_json=payload_json,
        document_hashes=list(document_hashes),
        media_hashes=list(media_hashes),
        trace_context=telemetry.inject({}),
    )
    envelope.sent_time.FromDatetime(utcnow())
    uow.add(
        OutboxRow(
            message_id=envelope.message_id,
            tenant_id=uow.tenant,
            recipient=recipient,
            topic=topic_for_site(recipient),
            type=type,
            envelope=envelope.SerializeToString(),
        )
    )
    return envelope


def inbox_row(uow: UnitOfWork, message_id: str) -> InboxRow | None:
    return uow.session.scalar(
        select(InboxRow).where(InboxRow.tenant_id == uow.tenant, InboxRow.message_id == message_id)
    )
