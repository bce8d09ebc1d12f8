"""ListCases, ListDocuments, ListDeadlines and ListLedgerEntries (AIP-132, 158, 160): one
indexed range query per page, filtered on state, officers, overdue deadlines, text, and
for documents the role next in the approval chain (what waits for a reviewer, the legal
office or a head); a case's ledger in the order of its chain."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from liuhen.platform import ledger, listing
from liuhen.platform.db import UnitOfWork
from liuhen.platform.deadlines import DeadlineRow
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


DEADLINES_TABLE: Any = DeadlineRow.__table__
DEADLINE_ORDER = {"due_on": ("due_on", DEADLINES_TABLE.c.due_on)}
DEADLINES = listing.Listed("deadlines", DeadlineRow, DEADLINES_TABLE, DEADLINE_ORDER, "due_on")


def _deadline_case(op: str, value: str) -> ColumnElement[bool]:
    (case_id,) = parse_name(value, "cases/*", "filter")
    return compare(DEADLINES_TABLE.c.case_id)(op, case_id)


def _open(op: str, value: str) -> ColumnElement[bool]:
    met: ColumnElement[Any] = DEADLINES_TABLE.c.met_at
    return met.is_(None) if (value == "true") == (op == "=") else met.is_not(None)


def deadline_fields(today: date) -> dict[str, FilterField]:
    """`open` and `overdue` are said in SQL, so that the tenant's open deadlines are one
    range of index 0016 (tenant_id, met_at, due_on), a case's one of 0007's."""

    def _overdue(op: str, value: str) -> ColumnElement[bool]:
        late = and_(DEADLINES_TABLE.c.met_at.is_(None), DEADLINES_TABLE.c.due_on < today)
        return late if (value == "true") == (op == "=") else ~late

    return {
        "case": FilterField(EQ, _deadline_case),
        "officer": FilterField(EQ, compare(DEADLINES_TABLE.c.officer)),
        "open": FilterField(EQ, _open, boolean=True),
        "overdue": FilterField(EQ, _overdue, boolean=True),
    }


def deadline_filter(
    filter_text: str,
    *,
    case: str = "",
    officer: str = "",
    overdue: bool = False,
    open_: bool = False,
) -> str:
    """The filter with ListDeadlines' deprecated fields said as terms, so that a page
    token, keyed on the filter, belongs to them too."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    terms = [filter_text.strip()] if filter_text.strip() else []
    terms += [f"case = {quoted(case)}"] if case else []
    terms += [f"officer = {quoted(officer)}"] if officer else []
    terms += ["overdue = true"] if overdue else []
    terms += ["open = true"] if open_ else []
    return " AND ".join(terms)


def list_deadlines(
    session: Any, tenant: str, *, today: date, filter_text: str, page_size: int, token: str
) -> tuple[list[DeadlineRow], str]:
    """A page of the tenant's deadlines, earliest due first (ties by id)."""
    return listing.list_page(
        session,
        tenant,
        DEADLINES,
        deadline_fields(today),
        filter_text=filter_text,
        order_by="",
        page_size=page_size,
        token=token,
    )


LEDGER_TABLE: Any = ledger.LedgerRow.__table__
LEDGER_PAGE, LEDGER_MAX_PAGE = 100, 1000


def ledger_rows(
    session: Any, tenant: str, case_id: str, *, page_size: int, token: str
) -> tuple[list[Any], str]:
    """A page of the case's chain as rows, oldest first: a range of the ledger's primary
    key (tenant_id, case_id, seq), after the seq the token names (a token of another
    case is refused: the case is in its key)."""
    seq = LEDGER_TABLE.c.seq
    paging = listing.page(
        f"ledger:{case_id}", "", "", page_size, token, default=LEDGER_PAGE, maximum=LEDGER_MAX_PAGE
    )
    stmt = (
        select(*LEDGER_TABLE.columns)
        .select_from(ledger.LedgerRow)  # the mapped class: this transaction's entries flush
        .where(ledger.LedgerRow.tenant_id == tenant, ledger.LedgerRow.case_id == case_id)
    )
    return listing.run(
        stmt,
        paging,
        listing.Ordering(seq, False),
        None,
        lambda s: list(session.execute(s)),
        lambda row: (row.seq, ""),
    )


def list_ledger_entries(
    uow: UnitOfWork, case_id: str, *, page_size: int, token: str
) -> tuple[list[ledger.Entry], str]:
    rows, next_token = ledger_rows(
        uow.session, uow.tenant, case_id, page_size=page_size, token=token
    )
    return [ledger._entry(r) for r in rows], next_token
