"""Cases tables, mapped onto the domain classes."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text, select

from liuhen.platform.db import Base, UnitOfWork, UtcDateTime
from services.cases.model import Case, Document

cases = Table(
    "cases_cases",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant_id", String(32), nullable=False, index=True),
    Column("case_number", String(64), nullable=False),
    Column("party", String(300), nullable=False),
    Column("party_address", String(300), nullable=False),
    Column("complainant", String(200), nullable=False),
    Column("registered_by", String(64), nullable=False),
    Column("filing_drafted_by", String(64), nullable=False, server_default=""),
    Column("filing_approved_by", String(64), nullable=False, server_default=""),
    Column("filed_at", UtcDateTime(), nullable=False),
    Column("state", String(32), nullable=False),
    Column("handler", String(64), nullable=False),
    Column("handler_name", String(200), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("major", Boolean, nullable=False, default=False),
    Column("av_reasons", String(200), nullable=False, default=""),
    # 0007: ListCases pages by keyset on these (AIP-158), newest first by default.
    Index("ix_cases_cases_list_filed", "tenant_id", "filed_at", "id"),
    Index("ix_cases_cases_list_state", "tenant_id", "state", "filed_at"),
    Index("ix_cases_cases_list_handler", "tenant_id", "handler", "filed_at"),
    Index("ix_cases_cases_list_reviewer", "tenant_id", "reviewer", "filed_at"),
)

documents = Table(
    "cases_documents",
    Base.metadata,
    Column("id", String(36), primary_key=True),
    Column("case_id", String(36), nullable=False, index=True),
    Column("tenant_id", String(32), nullable=False, index=True),
    Column("type", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("content_json", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("drafted_by", String(64), nullable=False),
    Column("drafted_role", String(32), nullable=False),
    Column("chain", String(200), nullable=False),
    Column("approvals", Text, nullable=False),
    Column("from_site", String(32), nullable=False),
    Column("drafted_at", UtcDateTime(), nullable=False),
    Column("effective_at", UtcDateTime()),
    Column("supersedes", String(36), nullable=False, default=""),
    # 0007: ListDocuments: what waits for a role, newest first (AIP-158).
    Index("ix_cases_documents_list_drafted", "tenant_id", "drafted_at", "id"),
    Index("ix_cases_documents_list_state", "tenant_id", "state", "chain", "drafted_at"),
)

Base.registry.map_imperatively(Case, cases)
Base.registry.map_imperatively(Document, documents)


def get_case(uow: UnitOfWork, case_id: str) -> Case | None:
    return uow.session.scalar(
        select(Case).where(cases.c.id == case_id, cases.c.tenant_id == uow.tenant)
    )


def get_document(uow: UnitOfWork, case_id: str, doc_id: str) -> Document | None:
    return uow.session.scalar(
        select(Document).where(
            documents.c.id == doc_id,
            documents.c.case_id == case_id,
            documents.c.tenant_id == uow.tenant,
        )
    )


def case_documents(uow: UnitOfWork, case_id: str) -> list[Document]:
    return list(
        uow.session.scalars(
            select(Document)
            .where(documents.c.case_id == case_id, documents.c.tenant_id == uow.tenant)
            .order_by(documents.c.drafted_at)
        )
    )


def effective_types(uow: UnitOfWork, case_id: str) -> set[str]:
    return {d.type for d in case_documents(uow, case_id) if d.state == "effective"}


def latest_effective(uow: UnitOfWork, case_id: str, type_code: str) -> Document | None:
    found = [
        d for d in case_documents(uow, case_id) if d.type == type_code and d.state == "effective"
    ]
    return max(found, key=lambda d: d.version) if found else None
