"""Tables of the on-site sessions, their gaps and what each recording is attached to
(seed Art 7, 24–26, 41), mapped onto the classes of services/media/sessions.py."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, select

from liuhen.platform.db import Base, UnitOfWork, UtcDateTime
from services.media.model import Recording
from services.media.sessions import GapRecord, RecordingContext, Session

sessions = Table(
    "media_sessions",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("arrival_time", UtcDateTime(), nullable=False),
    Column("departure_time", UtcDateTime(), nullable=False),
    Column("place", String(300), nullable=False),
    Column("purpose", String(300), nullable=False),
    Column("officers_json", Text, nullable=False),
    Column("parties_json", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("unexplained_gaps", Integer, nullable=False),
    Column("segments", Integer, nullable=False),
    Column("exempt_reason", Text, nullable=False),
    Column("exempt_approver", String(64), nullable=False),
    Index("ix_media_sessions_tenant_case", "tenant_id", "case_id"),
)
Base.registry.map_imperatively(Session, sessions)

contexts = Table(
    "media_recording_contexts",
    Base.metadata,
    Column("recording_id", String(36), primary_key=True),
    Column("tenant_id", String(32), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("intake_id", String(36), nullable=False),
    Column("session_id", String(36), nullable=False),
    Column("resume_reason", String(32), nullable=False),
    Column("note_time", UtcDateTime(), nullable=True),
    Column("note_place", String(300), nullable=False),
    Column("note_content", Text, nullable=False),
    Column("note_recorder_name", String(200), nullable=False),
    Column("note_recorder_identity", String(200), nullable=False),
    Index("ix_media_recording_contexts_session", "tenant_id", "session_id"),
)
Base.registry.map_imperatively(RecordingContext, contexts)

gap_records = Table(
    "media_session_gaps",
    Base.metadata,
    Column("tenant_id", String(32), primary_key=True),
    Column("session_id", String(36), primary_key=True),
    Column("after_recording", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False),
    Column("before_recording", String(36), nullable=False),
    Column("start_time", UtcDateTime(), nullable=False),
    Column("end_time", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("flagged_at", UtcDateTime(), nullable=False),
    Column("how", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("document", String(200), nullable=False),
    Column("reported_to", String(200), nullable=False),
    Column("reported_at", UtcDateTime(), nullable=True),
    Column("explained_at", UtcDateTime(), nullable=True),
    Column("explained_by", String(64), nullable=False),
)
Base.registry.map_imperatively(GapRecord, gap_records)


def get_session(uow: UnitOfWork, case_id: str, sid: str, *, lock: bool = False) -> Session | None:
    stmt = select(Session).where(
        sessions.c.id == sid,
        sessions.c.case_id == case_id,
        sessions.c.tenant_id == uow.tenant,
    )
    return uow.session.scalar(stmt.with_for_update() if lock else stmt)


def session_by_id(uow: UnitOfWork, sid: str, *, lock: bool = False) -> Session | None:
    """`lock`: hold the session's row to the end of the transaction, so that two segments
    stored at once reconcile its gaps one after the other. Today the ledger's tenant lock,
    taken earlier in the same transaction, already orders them; this says so where the
    rule needs it rather than relying on that (SQLite holds one writer anyway)."""
    stmt = select(Session).where(sessions.c.id == sid, sessions.c.tenant_id == uow.tenant)
    return uow.session.scalar(stmt.with_for_update() if lock else stmt)


def context_of(uow: UnitOfWork, rec_id: str) -> RecordingContext | None:
    return uow.session.get(RecordingContext, (rec_id, uow.tenant))


def segments_of(uow: UnitOfWork, sid: str) -> list[tuple[Recording, RecordingContext]]:
    recordings = Base.metadata.tables["media_recordings"]
    rows = uow.session.execute(
        select(Recording, RecordingContext)
        .join(
            contexts,
            (contexts.c.recording_id == recordings.c.id)
            & (contexts.c.tenant_id == recordings.c.tenant_id),
        )
        .where(contexts.c.tenant_id == uow.tenant, contexts.c.session_id == sid)
        .order_by(recordings.c.start_time)
    )
    return [(r, c) for r, c in rows]


def gaps_of(uow: UnitOfWork, sid: str) -> list[GapRecord]:
    return list(
        uow.session.scalars(
            select(GapRecord)
            .where(gap_records.c.tenant_id == uow.tenant, gap_records.c.session_id == sid)
            .order_by(gap_records.c.start_time)
        )
    )
