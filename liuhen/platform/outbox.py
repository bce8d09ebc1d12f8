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

from sqlalchemy import BigInteger, Index, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.platform import telemetry
from liuhen.platform.catalogue import sites
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime, utcnow
from liuhen.platform.errors import PermissionDenied
from liuhen.platform.messages import topic_for
from liuhen.routing.v1 import routing_pb2

# Outside desks (sites.yaml): each tenant has its same-level public security bureau,
# procuratorate and court, reached as "<tenant>.<kind>"; the province desk is "hubei".
DESK_KINDS = ("psb", "procuratorate", "court")
PROVINCE = "hubei"
SITE_LEVELS = frozenset({"city", "district"})

# message type -> (sender kinds, recipient kinds); a kind is a site level (city,
# district) or a desk kind (psb, procuratorate, court, province). Seed articles in
# sites.yaml: transfers Art 13/15, designation and disputes Art 14, assistance Art 21,
# criminal referral Art 30, enforcement applications Art 40, entrusted service Art 37(5).
ROUTES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "assistance_request": (SITE_LEVELS, SITE_LEVELS | {"province"}),
    "assistance_reply": (SITE_LEVELS | {"province"}, SITE_LEVELS),
    "jurisdiction_transfer": (SITE_LEVELS, SITE_LEVELS | {"province"}),
    "designation": (frozenset({"city"}), frozenset({"district"})),
    "jurisdiction_dispute": (frozenset({"district"}), frozenset({"city"})),
    "criminal_referral": (SITE_LEVELS, frozenset({"psb"})),
    "criminal_referral_copy": (SITE_LEVELS, frozenset({"procuratorate"})),
    "referral_receipt": (frozenset({"psb"}), SITE_LEVELS),
    "police_filing_decision": (frozenset({"psb"}), SITE_LEVELS),
    "reconsideration_request": (SITE_LEVELS, frozenset({"psb"})),
    "reconsideration_decision": (frozenset({"psb"}), SITE_LEVELS),
    "filing_supervision_suggestion": (SITE_LEVELS, frozenset({"procuratorate"})),
    "enforcement_application": (SITE_LEVELS, frozenset({"court"})),
    "court_acceptance": (frozenset({"court"}), SITE_LEVELS),
    "court_ruling": (frozenset({"court"}), SITE_LEVELS),
    # 委托送达 (Art 37(5)): only between the city and its districts, never to a desk.
    "service_entrustment": (SITE_LEVELS, SITE_LEVELS),
    "entrusted_service_receipt": (SITE_LEVELS, SITE_LEVELS),
    "service_entrustment_refusal": (SITE_LEVELS, SITE_LEVELS),
    # A site's signed tree head to its witness, and the cosignature back (DESIGN §4).
    "checkpoint": (SITE_LEVELS, SITE_LEVELS),
    "cosignature": (SITE_LEVELS, SITE_LEVELS),
    # A district's supervision report of its audio/video record, to the city (Art 47).
    "supervision_report": (frozenset({"district"}), frozenset({"city"})),
}


def kind_of(party: str) -> tuple[str, str]:
    """(kind, tenant) of a site id, a desk "<tenant>.<kind>" or the province desk;
    ("", "") for anything else."""
    if party == PROVINCE:
        return "province", ""
    tenant, _, desk = party.partition(".")
    known = sites()
    if tenant not in known:
        return "", ""
    if not desk:
        return known[tenant].level, tenant
    return (desk, tenant) if desk in DESK_KINDS else ("", "")


def check_route(message_type: str, sender: str, recipient: str) -> None:
    """Refuse a message the routes of sites.yaml do not allow. A desk is reached only by
    its own tenant (the same-level public security, procuratorate, court: Art 30, 40)."""
    route = ROUTES.get(message_type)
    (s_kind, s_tenant), (r_kind, r_tenant) = kind_of(sender), kind_of(recipient)
    desk_pair = s_kind in DESK_KINDS or r_kind in DESK_KINDS
    if (
        route is None
        or not s_kind
        or not r_kind
        or sender == recipient
        or s_kind not in route[0]
        or r_kind not in route[1]
        or (desk_pair and s_tenant != r_tenant)
    ):
        raise PermissionDenied(
            "ROUTE_NOT_ALLOWED",
            f"{message_type} may not go from {sender} ({s_kind or 'unknown'}) to "
            f"{recipient} ({r_kind or 'unknown'})",
            f"不允许从 {sender} 向 {recipient} 发送 {message_type}",
            article="sites.yaml routes",
        )


def topic_for_site(party: str) -> str:
    """The topic a site or desk reads (liuhen.site.<id>, liuhen.desk.<tenant>.<kind>)."""
    return topic_for(party)


def all_topics() -> list[str]:
    """Every site's and every desk's topic: what the routing service's admin step makes."""
    parties = [*sites(), PROVINCE, *(f"{t}.{k}" for t in sites() for k in DESK_KINDS)]
    return [topic_for(p) for p in parties]


class OutboxRow(Base):
    __tablename__ = "platform_outbox"
    # ListMessages pages by (tenant, created, id), filtered on type or state (AIP-158).
    __table_args__ = (
        Index("ix_platform_outbox_list_created", "tenant_id", "created", "message_id"),
        Index("ix_platform_outbox_list_type", "tenant_id", "type", "created"),
        Index("ix_platform_outbox_list_state", "tenant_id", "state", "created"),
    )
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
    # ListMessages pages by (tenant, received, id), filtered on type or state (AIP-158).
    __table_args__ = (
        Index("ix_platform_inbox_list_received", "tenant_id", "received", "message_id"),
        Index("ix_platform_inbox_list_type", "tenant_id", "type", "received"),
        Index("ix_platform_inbox_list_state", "tenant_id", "state", "received"),
    )
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
