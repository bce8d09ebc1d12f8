"""Intake tables, mapped onto the domain classes (cosmicpython's imperative mapping)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    select,
)
from sqlalchemy.orm import relationship

from liuhen.platform.db import Base, UnitOfWork, UtcDateTime, insert_if_absent
from services.intake.documents import IntakeDocument
from services.intake.model import Intake, Material

intakes = Table(
    "intake_intakes",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False, index=True),
    Column("source", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("complainant_name", String(200), nullable=False),
    Column("anonymous", Boolean, nullable=False),
    Column("gender", String(16), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("employer_name", String(300), nullable=False),
    Column("employer_address", String(300), nullable=False),
    Column("violation", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("state", String(32), nullable=False),
    Column("filing_due_on", Date),
    Column("filing_due_provisional", Boolean, nullable=False),
    Column("within_jurisdiction", Boolean, nullable=False),
    Column("filing_summary", Text, nullable=False),
    Column("filing_drafted_by", String(64), nullable=False),
    Column("filing_approved_by", String(64), nullable=False),
    Column("case_number", String(64), nullable=False),
    # 0003: the two-year limit (劳动保障监察条例 Art 20) and where a transferred,
    # designated or disputed intake came from (seed Art 12-15).
    Column("conduct_ended_on", Date),
    Column("reported_within_two_years", Boolean, nullable=False, server_default=false()),
    Column("time_barred", Boolean, nullable=False, server_default=false()),
    Column("from_site", String(64), nullable=False, server_default=""),
    Column("referring_agency", String(200), nullable=False, server_default=""),
    Column("sender_intake", String(200), nullable=False, server_default=""),
    Column("inbound_message_id", String(36), nullable=False, server_default=""),
    Column("origin_json", Text, nullable=False, server_default="{}"),
    # 0007: ListIntakes pages by keyset on these (AIP-158), newest first by default.
    Index("ix_intake_intakes_list_received", "tenant_id", "received_at", "id"),
    Index("ix_intake_intakes_list_state", "tenant_id", "state", "received_at"),
    Index("ix_intake_intakes_list_officer", "tenant_id", "registered_by", "received_at"),
)

documents = Table(
    "intake_documents",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("intake_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(32), nullable=False, index=True),
    Column("type", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("content_json", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("drafted_by", String(64), nullable=False),
    Column("drafted_role", String(32), nullable=False),
    Column("drafted_at", UtcDateTime(), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("approved_by", String(64), nullable=False),
    Column("effective_at", UtcDateTime()),
    Column("message_id", String(36), nullable=False),
    # 0005: the one document workflow (chain, approvals, versions; DESIGN §4)
    Column("version", Integer, nullable=False, server_default="1"),
    Column("chain", String(200), nullable=False, server_default=""),
    Column("approvals", Text, nullable=False, server_default=""),
    Column("supersedes", String(36), nullable=False, server_default=""),
)

materials = Table(
    "intake_materials",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("intake_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(32), nullable=False, index=True),
    Column("submitted_by", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("is_copy", Boolean, nullable=False),
    Column("checked_against_original", Boolean, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("stamps", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)

case_sequences = Table(
    "intake_case_sequences",
    Base.metadata,
    Column("tenant_id", String(32), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

Base.registry.map_imperatively(Material, materials)
Base.registry.map_imperatively(IntakeDocument, documents)
Base.registry.map_imperatively(
    Intake,
    intakes,
    properties={
        "materials": relationship(
            Material,
            primaryjoin=intakes.c.id == materials.c.intake_id,
            foreign_keys=[materials.c.intake_id],
            order_by=materials.c.received_at,
            lazy="selectin",
        ),
        "documents": relationship(
            IntakeDocument,
            primaryjoin=intakes.c.id == documents.c.intake_id,
            foreign_keys=[documents.c.intake_id],
            order_by=documents.c.drafted_at,
            lazy="selectin",
        ),
    },
)


def get(uow: UnitOfWork, intake_id: str) -> Intake | None:
    return uow.session.scalar(
        select(Intake).where(intakes.c.id == intake_id, intakes.c.tenant_id == uow.tenant)
    )


def by_message(uow: UnitOfWork, message_id: str) -> Intake | None:
    """The intake a received message already made (a redelivery makes no second one)."""
    return uow.session.scalar(
        select(Intake).where(
            intakes.c.inbound_message_id == message_id, intakes.c.tenant_id == uow.tenant
        )
    )


def next_case_seq(uow: UnitOfWork, year: int) -> int:
    """The next number in the tenant's yearly filing sequence. The year's row is made if
    absent (concurrent first filings of a year do not collide on it), then incremented
    under the UPDATE's row lock: no number is given twice or skipped."""
    c = case_sequences.c
    insert_if_absent(uow, case_sequences, tenant_id=uow.tenant, year=year, last=0)
    last = uow.session.execute(
        case_sequences.update()
        .where(c.tenant_id == uow.tenant, c.year == year)
        .values(last=c.last + 1)
        .returning(c.last)
    ).scalar_one()
    return int(last)
