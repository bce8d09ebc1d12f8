"""The tables of the supervision report (seed Art 41, 47): the findings of the off-site
and fixity checks, kept where the report can list them (the ledger keeps only a hash of
an entry's payload), and the reports a site has sent to the city."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Index, String, Table, Text, select

from liuhen.platform.db import Base, UnitOfWork, UtcDateTime


@dataclass
class FixityFinding:
    """A copy that is missing or holds other bytes (Art 41 异地备份, Art 45 不得…删改)."""

    id: str
    tenant_id: str
    recording_id: str
    case_id: str
    state: str  # altered | unreadable | offsite_missing | copy_refused
    detail: str
    found_at: datetime
    primary_sha256: str = ""
    offsite_sha256: str = ""


@dataclass
class SentReport:
    """A supervision report this site put in its outbox to the city (Art 47)."""

    tenant_id: str
    message_id: str
    period_start: datetime
    period_end: datetime
    requested_by: str  # "" when the schedule sent it
    created: datetime


fixity_findings = Table(
    "media_fixity_findings",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), primary_key=True),
    Column("recording_id", String(36), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("state", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("found_at", UtcDateTime(), nullable=False),
    Column("primary_sha256", String(64), nullable=False),
    Column("offsite_sha256", String(64), nullable=False),
    Index("ix_media_fixity_findings_found", "tenant_id", "found_at"),
)
Base.registry.map_imperatively(FixityFinding, fixity_findings)

sent_reports = Table(
    "media_sent_reports",
    Base.metadata,
    Column("tenant_id", String(32), primary_key=True),
    Column("message_id", String(36), primary_key=True),
    Column("period_start", UtcDateTime(), nullable=False),
    Column("period_end", UtcDateTime(), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("created", UtcDateTime(), nullable=False),
    Index("ix_media_sent_reports_period", "tenant_id", "period_start"),
)
Base.registry.map_imperatively(SentReport, sent_reports)


def add_finding(
    uow: UnitOfWork,
    *,
    recording_id: str,
    case_id: str,
    state: str,
    detail: str,
    found_at: datetime,
    primary_sha256: str = "",
    offsite_sha256: str = "",
) -> None:
    uow.add(
        FixityFinding(
            id=str(uuid.uuid4()),
            tenant_id=uow.tenant,
            recording_id=recording_id,
            case_id=case_id,
            state=state,
            detail=detail,
            found_at=found_at,
            primary_sha256=primary_sha256,
            offsite_sha256=offsite_sha256,
        )
    )


def findings_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[FixityFinding]:
    c = fixity_findings.c
    return list(
        uow.session.scalars(
            select(FixityFinding)
            .where(c.tenant_id == uow.tenant, c.found_at >= start, c.found_at < end)
            .order_by(c.found_at, c.id)
        )
    )


def scheduled_send_of(uow: UnitOfWork, period_start: datetime) -> SentReport | None:
    """The report the schedule sent for the period starting at `period_start`, if any."""
    c = sent_reports.c
    return uow.session.scalar(
        select(SentReport)
        .where(c.tenant_id == uow.tenant, c.period_start == period_start, c.requested_by == "")
        .limit(1)
    )
