"""ListCases and ListDocuments (AIP-132, 158, 160): one indexed range query per page,
filtered on state, officers, overdue deadlines, text, and for documents the role next
in the approval chain (what waits for a reviewer, the legal office or a head)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from liuhen.platform import listing
from liuhen.platform.db import UnitOfWork
from liuhen.platform.listing import FilterField, compare, compare_state
from liuhen.platform.overdue import overdue
from liuhen.platform.service import parse_name
from services.cases.model import Case, Document
from services.cases.orm import cases, documents

EQ = ("=", "!=")
CASE_ORDER = {
    "filed_time": ("filed_at", cases.c.filed_at),
    "case_number": ("case_number", cases.c.case_number),
    "employer": ("party", cases.c.party),
}
DOCUMENT_ORDER = {
    "drafted_time": ("drafted_at", documents.c.drafted_at),
    "type": ("type", documents.c.type),
}


def case_fields(today: date) -> dict[str, FilterField]:
    return {
        "state": FilterField(EQ, compare_state(cases.c.state)),
        "handler": FilterField(EQ, compare(cases.c.handler)),
        "reviewer": FilterField(EQ, compare(cases.c.reviewer)),
        "registered_by": FilterField(EQ, compare(cases.c.registered_by)),
        "employer": FilterField((*EQ, ":"), compare(cases.c.party)),
        "case_number": FilterField((*EQ, ":"), compare(cases.c.case_number)),
        "major": FilterField(EQ, _major, boolean=True),
        "overdue": FilterField(EQ, overdue(cases.c.id, cases.c.tenant_id, today), boolean=True),
    }


def _major(op: str, value: str) -> ColumnElement[bool]:
    return cases.c.major == ((value == "true") == (op == "="))


def _case(op: str, value: str) -> ColumnElement[bool]:
    (case_id,) = parse_name(value, "cases/*", "filter")
    return compare(documents.c.case_id)(op, case_id)


def _awaiting(op: str, role: str) -> ColumnElement[bool]:
    """A submitted document whose approval chain has `role` next (chain: "a,b,...")."""
    nxt = and_(
        documents.c.state == "submitted",
        or_(documents.c.chain == role, documents.c.chain.like(f"{role},%")),
    )
    return nxt if op == "=" else ~nxt


DOCUMENT_FIELDS = {
    "case": FilterField(EQ, _case),
    "state": FilterField(EQ, compare_state(documents.c.state)),
    "type": FilterField(EQ, compare(documents.c.type)),
    "drafted_by": FilterField(EQ, compare(documents.c.drafted_by)),
    "awaiting": FilterField(EQ, _awaiting),
}


CASES = listing.Listed("cases", Case, cases, CASE_ORDER, "filed_time desc")
DOCUMENTS = listing.Listed("documents", Document, documents, DOCUMENT_ORDER, "drafted_time desc")


def list_cases(
    uow: UnitOfWork, *, today: date, filter_text: str, order_by: str, page_size: int, token: str
) -> tuple[list[Case], str]:
    return listing.list_page(
        uow.session,
        uow.tenant,
        CASES,
        case_fields(today),
        filter_text=filter_text,
        order_by=order_by,
        page_size=page_size,
        token=token,
    )


def list_documents(
    uow: UnitOfWork, *, filter_text: str, order_by: str, page_size: int, token: str
) -> tuple[list[Document], str]:
    return listing.list_page(
        uow.session,
        uow.tenant,
        DOCUMENTS,
        DOCUMENT_FIELDS,
        filter_text=filter_text,
        order_by=order_by,
        page_size=page_size,
        token=token,
    )
