"""Media tables, mapped onto the domain classes (cosmicpython's imperative mapping)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    or_,
    select,
)

from liuhen.platform.db import Base, UnitOfWork, UtcDateTime
from services.media.copies import COPY_DONE, COPY_PENDING, OffsiteCopy
from services.media.model import Recording

recordings = Table(
    "media_recordings",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("device", String(64), nullable=False),
    Column("place", String(128), nullable=False),
    Column("start_time", UtcDateTime(), nullable=False),
    Column("end_time", UtcDateTime(), nullable=False),
    Column("stored_at", UtcDateTime(), nullable=False),
    Column("late", Boolean, nullable=False),
    Column("recorder", String(64), nullable=False),
    Column("recorder_name", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("confidentiality", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("related_document", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("object_key", String(200), nullable=False),
    Column("retain_until", UtcDateTime(), nullable=False),
    Column("case_number", String(64), nullable=False),
    Column("party", String(300), nullable=False),
    Column("handler_name", String(200), nullable=False),
    Index("ix_media_recordings_tenant_case", "tenant_id", "case_id"),
)

Base.registry.map_imperatively(Recording, recordings)

offsite_copies = Table(
    "media_offsite_copies",
    Base.metadata,
    Column("recording_id", String(36), primary_key=True),
    Column("tenant_id", String(32), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("object_key", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created", UtcDateTime(), nullable=False),
    Column("done_at", UtcDateTime(), nullable=True),
    Column("offsite_sha256", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("fixity_checked_at", UtcDateTime(), nullable=True),
    Index("ix_media_offsite_copies_state", "tenant_id", "state"),
)

Base.registry.map_imperatively(OffsiteCopy, offsite_copies)


def copy_of(uow: UnitOfWork, rec_id: str) -> OffsiteCopy | None:
    return uow.session.get(OffsiteCopy, (rec_id, uow.tenant))


def pending_copies(uow: UnitOfWork, limit: int = 50) -> list[OffsiteCopy]:
    return list(
        uow.session.scalars(
            select(OffsiteCopy)
            .where(
                offsite_copies.c.tenant_id == uow.tenant,
                offsite_copies.c.state == COPY_PENDING,
            )
            .order_by(offsite_copies.c.created)
            .limit(limit)
        )
    )


def get(uow: UnitOfWork, case_id: str, rec_id: str) -> Recording | None:
    return uow.session.scalar(
        select(Recording).where(
            recordings.c.id == rec_id,
            recordings.c.case_id == case_id,
            recordings.c.tenant_id == uow.tenant,
        )
    )


def of_case(uow: UnitOfWork, case_id: str) -> list[Recording]:
    return list(
        uow.session.scalars(
            select(Recording)
            .where(
                recordings.c.case_id == case_id,
                recordings.c.tenant_id == uow.tenant,
            )
            .order_by(recordings.c.start_time, recordings.c.stored_at)
        )
    )


def due_for_fixity(uow: UnitOfWork, checked_before: datetime, limit: int) -> list[OffsiteCopy]:
    """Copied recordings not re-hashed since `checked_before`, never-checked first."""
    checked = offsite_copies.c.fixity_checked_at
    return list(
        uow.session.scalars(
            select(OffsiteCopy)
            .where(
                offsite_copies.c.tenant_id == uow.tenant,
                offsite_copies.c.state == COPY_DONE,
                or_(checked.is_(None), checked < checked_before),
            )
            .order_by(checked.is_not(None), checked, offsite_copies.c.created)
            .limit(limit)
        )
    )


# The tables of sessions, gaps and attachments (seed Art 7, 24–26, 41), in the same metadata.
import services.media.session_orm  # noqa: E402, F401

# The tables of access requests, copies and the access register (seed Art 44, 46).
from services.media import access_orm  # noqa: E402, F401

# The report's tables live with the report; imported here so that every media table is
# in the metadata the migrations are checked against (services/schema.py).
from services.media import report_orm as _report_tables  # noqa: E402, F401
