"""Tables of access requests, their approvals, the copies made and the access register
(seed Art 44, 46), mapped onto the classes of `access` and `access_copies`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    String,
    Table,
    Text,
    and_,
    select,
)
from sqlalchemy.orm import foreign, relationship

from liuhen.platform import listing
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime
from services.media.access import AccessApproval, AccessEntry, AccessRequest, RecordingCopy

access_requests = Table(
    "media_access_requests",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("recording_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("requester_kind", String(16), nullable=False),
    Column("requester", String(64), nullable=False),
    Column("requester_name", String(300), nullable=False),
    Column("copier", String(64), nullable=False),
    Column("copier_name", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("filed_by", String(64), nullable=False),
    Column("filed_by_name", String(200), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("confidentiality", String(32), nullable=False),
    Index("ix_media_access_requests_recording", "tenant_id", "recording_id"),
)

access_approvals = Table(
    "media_access_approvals",
    Base.metadata,
    Column("request_id", String(36), primary_key=True),
    Column("tenant_id", String(32), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("approver", String(64), nullable=False),
    Column("approver_name", String(200), nullable=False),
    Column("approved_at", UtcDateTime(), nullable=False),
    Column("ledger_hash", String(64), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)

recording_copies = Table(
    "media_recording_copies",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("request_id", String(36), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("recording_id", String(36), nullable=False),
    Column("copier", String(64), nullable=False),
    Column("copier_name", String(200), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("approval_ledger_hash", String(64), nullable=False),
    Column("approval_ledger_seq", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("ledger_hash", String(64), nullable=False),
    Index("ix_media_recording_copies_request", "tenant_id", "request_id"),
)

access_register = Table(
    "media_access_register",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("recording_id", String(36), nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("requester_name", String(300), nullable=False),
    Column("copier_name", String(200), nullable=False),
    Column("approvers", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("access_request", String(36), nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("ledger_hash", String(64), nullable=False),
    Index("ix_media_access_register_list", "tenant_id", "at", "id"),
    Index("ix_media_access_register_case", "tenant_id", "case_id", "at"),
)

Base.registry.map_imperatively(AccessApproval, access_approvals)
Base.registry.map_imperatively(
    AccessRequest,
    access_requests,
    properties={
        "approvals": relationship(
            AccessApproval,
            primaryjoin=and_(
                access_requests.c.id == foreign(access_approvals.c.request_id),
                access_requests.c.tenant_id == foreign(access_approvals.c.tenant_id),
            ),
            order_by=access_approvals.c.ledger_seq,
            lazy="selectin",
        )
    },
)
Base.registry.map_imperatively(RecordingCopy, recording_copies)
Base.registry.map_imperatively(AccessEntry, access_register)


def get_request(uow: UnitOfWork, case_id: str, rec_id: str, req_id: str) -> AccessRequest | None:
    return uow.session.scalar(
        select(AccessRequest).where(
            access_requests.c.id == req_id,
            access_requests.c.case_id == case_id,
            access_requests.c.recording_id == rec_id,
            access_requests.c.tenant_id == uow.tenant,
        )
    )


def requests_page(
    uow: UnitOfWork, case_id: str, rec_id: str, page_size: int, token: str
) -> tuple[list[AccessRequest], str]:
    """One page of the access and copy requests, oldest first: of one recording, one
    case, or ("") the whole tenant."""
    t = access_requests
    stmt: Any = select(AccessRequest).where(t.c.tenant_id == uow.tenant)
    if case_id:
        stmt = stmt.where(t.c.case_id == case_id)
    if rec_id:
        stmt = stmt.where(t.c.recording_id == rec_id)
    order = listing.Ordering(t.c.created_at, False)
    paging = listing.page(
        "recording_access_requests", f"{case_id}/{rec_id}", "created_at", page_size, token
    )
    return listing.run(
        stmt,
        paging,
        order,
        t.c.id,
        lambda s: list(uow.session.scalars(s)),
        lambda row: (row.created_at, row.id),
    )


def copies_of(uow: UnitOfWork, req_id: str) -> list[RecordingCopy]:
    return list(
        uow.session.scalars(
            select(RecordingCopy)
            .where(
                recording_copies.c.request_id == req_id,
                recording_copies.c.tenant_id == uow.tenant,
            )
            .order_by(recording_copies.c.created_at)
        )
    )


def register_page(
    uow: UnitOfWork, case_id: str, page_size: int, token: str
) -> tuple[list[AccessEntry], str]:
    """One page of the register, oldest first: of one case, or ("") the whole tenant."""
    t = access_register
    stmt: Any = select(AccessEntry).where(t.c.tenant_id == uow.tenant)
    if case_id:
        stmt = stmt.where(t.c.case_id == case_id)
    order = listing.Ordering(t.c.at, False)
    paging = listing.page("recording_access_entries", case_id, "at", page_size, token)
    return listing.run(
        stmt,
        paging,
        order,
        t.c.id,
        lambda s: list(uow.session.scalars(s)),
        lambda row: (row.at, row.id),
    )
