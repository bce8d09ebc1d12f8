"""Enforcement tables, mapped onto the domain classes (imperative mapping)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text, select

from liuhen.platform import deadlines
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime
from services.enforcement.entrusting import Entrustment
from services.enforcement.model import ServiceRecord

service_records = Table(
    "enforcement_service_records",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("document_id", String(36), nullable=False),
    Column("document_type", String(64), nullable=False),
    Column("method", String(32), nullable=False),
    Column("recipient", String(300), nullable=False),
    Column("signed_by", String(200), nullable=False),
    Column("served_at", UtcDateTime(), nullable=False),
    Column("served_by", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("fax_number", String(64), nullable=False),
    Column("receipt_json", Text, nullable=False),
    Column("receipt_sha256", String(64), nullable=False),
    Column("deadline_ids", Text, nullable=False),
    Index("ix_enforcement_service_records_case", "tenant_id", "case_id"),
    Index("ix_enforcement_service_records_document", "tenant_id", "document_id"),
    # ListServiceRecords pages by (tenant, served_at, id), of one case or all (AIP-158).
    Index("ix_enforcement_service_records_list_served", "tenant_id", "served_at", "id"),
    Index("ix_enforcement_service_records_list_case", "tenant_id", "case_id", "served_at", "id"),
)

Base.registry.map_imperatively(ServiceRecord, service_records)

# 0018: entrustments of service to another site (Art 37(5)).
entrustments = Table(
    "enforcement_entrustments",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("document_id", String(36), nullable=False),
    Column("document_type", String(64), nullable=False),
    Column("letter_id", String(36), nullable=False),
    Column("entrusted_site", String(32), nullable=False),
    Column("recipient", String(300), nullable=False),
    Column("address", String(300), nullable=False),
    Column("method", String(32), nullable=False),
    Column("message_id", String(36), nullable=False),
    Column("state", String(16), nullable=False),
    Column("deadline_id", String(36), nullable=False),
    Column("document_json", Text, nullable=False),
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("answer_message_id", String(36), nullable=False),
    Column("service_record_id", String(36), nullable=False),
    Column("service_date", String(10), nullable=False),
    Column("refusal_reason", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("answered_at", UtcDateTime(), nullable=True),
    Index("ix_enforcement_entrustments_case", "tenant_id", "case_id"),
    Index("ix_enforcement_entrustments_message", "tenant_id", "message_id", unique=True),
    # ListEntrustments pages by (tenant, sent_at, id), of one case, site or state (AIP-158).
    Index("ix_enforcement_entrustments_list_sent", "tenant_id", "sent_at", "id"),
    Index("ix_enforcement_entrustments_list_case", "tenant_id", "case_id", "sent_at", "id"),
    Index("ix_enforcement_entrustments_list_state", "tenant_id", "state", "sent_at"),
)

Base.registry.map_imperatively(Entrustment, entrustments)


def get(uow: UnitOfWork, case_id: str, record_id: str) -> ServiceRecord | None:
    return uow.session.scalar(
        select(ServiceRecord).where(
            service_records.c.id == record_id,
            service_records.c.case_id == case_id,
            service_records.c.tenant_id == uow.tenant,
        )
    )


def deadlines_of(uow: UnitOfWork, record: ServiceRecord) -> list[deadlines.DeadlineRow]:
    wanted = set(record.deadlines)
    if not wanted:
        return []
    return [row for row in deadlines.query(uow, case_id=record.case_id) if row.id in wanted]


def period_started(uow: UnitOfWork, *, case_id: str, subject: str, rule: str) -> bool:
    """Whether a period of `rule` on `subject` was already started (served before)."""
    return any(
        row.subject == subject and row.rule == rule for row in deadlines.query(uow, case_id=case_id)
    )


def entrustment_by_message(uow: UnitOfWork, message_id: str) -> Entrustment | None:
    return uow.session.scalar(
        select(Entrustment).where(
            entrustments.c.tenant_id == uow.tenant, entrustments.c.message_id == message_id
        )
    )


def pending_entrustment(uow: UnitOfWork, case_id: str, document_id: str) -> Entrustment | None:
    return uow.session.scalar(
        select(Entrustment).where(
            entrustments.c.tenant_id == uow.tenant,
            entrustments.c.case_id == case_id,
            entrustments.c.document_id == document_id,
            entrustments.c.state == "pending",
        )
    )
