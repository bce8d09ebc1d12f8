"""Cases tables, mapped onto the domain classes."""

from __future__ import annotations

from collections.abc import Iterable

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
    """The types of the case's effective documents: one query of the types, not every
    document of the case read whole (docs/performance.md, growth with a case). Selected
    from the mapped class, so that the session flushes this transaction's own first."""
    return set(
        uow.session.scalars(
            select(documents.c.type)
            .select_from(Document)
            .where(
                documents.c.case_id == case_id,
                documents.c.tenant_id == uow.tenant,
                documents.c.state == "effective",
            )
            .distinct()
        )
    )


def types_of(uow: UnitOfWork, case_id: str, ids: Iterable[str]) -> dict[str, str]:
    """The type of each of these documents of the case (id → type)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(documents.c.id, documents.c.type)
        .select_from(Document)
        .where(
            documents.c.case_id == case_id,
            documents.c.tenant_id == uow.tenant,
            documents.c.id.in_(wanted),
        )
    )
    return {str(i): str(t) for i, t in rows}


def effective_of_type(uow: UnitOfWork, case_id: str, type_code: str) -> list[Document]:
    """The case's effective documents of one type, oldest first."""
    return list(
        uow.session.scalars(
            select(Document)
            .where(
                documents.c.case_id == case_id,
                documents.c.tenant_id == uow.tenant,
                documents.c.type == type_code,
                documents.c.state == "effective",
            )
            .order_by(documents.c.drafted_at)
        )
    )


def latest_effective(uow: UnitOfWork, case_id: str, type_code: str) -> Document | None:
    found = effective_of_type(uow, case_id, type_code)
    return max(found, key=lambda d: d.version) if found else None
