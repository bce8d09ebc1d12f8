"""ListServiceRecords and ListEntrustments (AIP-132, 158, 160): one indexed range query
per page, of one case (or intake) or of the whole site, with the deadlines each row
started read by id for the page alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from liuhen.platform import catalogue, deadlines, listing
from liuhen.platform.db import UnitOfWork
from liuhen.platform.listing import FilterField, compare
from liuhen.platform.service import parse_name
from services.enforcement.entrusting import Entrustment
from services.enforcement.model import ServiceRecord
from services.enforcement.orm import entrustments, service_records

EQ = ("=", "!=")
RECORDS = listing.Listed(
    "service_records",
    ServiceRecord,
    service_records,
    {"served_time": ("served_at", service_records.c.served_at)},
    "served_time",
)
ENTRUSTMENTS = listing.Listed(
    "entrustments",
    Entrustment,
    entrustments,
    {"sent_time": ("sent_at", entrustments.c.sent_at)},
    "sent_time",
)


def _intake_types() -> list[str]:
    """The intake's own documents (stage `intake`): served on intakes/{id} (Art 11)."""
    return sorted(code for code, t in catalogue.documents().items() if t.stage == "intake")


def _record_parent(op: str, value: str) -> ColumnElement[bool]:
    """`case = cases/{id}` or `intakes/{id}`: an intake and its case share the id, so the
    document's stage tells whose a service is (ServiceRecord.parent)."""
    collection = "intakes" if value.startswith("intakes/") else "cases"
    (case_id,) = parse_name(value, f"{collection}/*", "filter")
    types = _intake_types()
    stage = (
        service_records.c.document_type.in_(types)
        if collection == "intakes"
        else service_records.c.document_type.not_in(types)
    )
    return and_(service_records.c.case_id == case_id, stage)


def _entrusting_case(op: str, value: str) -> ColumnElement[bool]:
    (case_id,) = parse_name(value, "cases/*", "filter")
    return entrustments.c.case_id == case_id


RECORD_FIELDS = {
    "case": FilterField(("=",), _record_parent),
    "method": FilterField(EQ, compare(service_records.c.method)),
    "document_type": FilterField(EQ, compare(service_records.c.document_type)),
}
ENTRUSTMENT_FIELDS = {
    "case": FilterField(("=",), _entrusting_case),
    "entrusted_site": FilterField(EQ, compare(entrustments.c.entrusted_site)),
    "state": FilterField(EQ, compare(entrustments.c.state)),
}


def with_case(case: str, collections: Sequence[str], filter_text: str) -> str:
    """The request's filter with its `case` shorthand as a term of it; a malformed `case`
    is refused naming `case`, as before the list was paged."""
    terms = [filter_text.strip()] if filter_text.strip() else []
    if case:
        given = case.split("/")[0]
        parse_name(case, f"{given if given in collections else collections[0]}/*", "case")
        terms.insert(0, f'case = "{case}"')
    return " AND ".join(terms)


def _page(
    uow: UnitOfWork,
    listed: listing.Listed,
    fields: dict[str, FilterField],
    *,
    filter_text: str,
    order_by: str,
    page_size: int,
    token: str,
) -> tuple[list[Any], str]:
    return listing.list_page(
        uow.session,
        uow.tenant,
        listed,
        fields,
        filter_text=filter_text,
        order_by=order_by,
        page_size=page_size,
        token=token,
    )


def deadline_rows(uow: UnitOfWork, ids: set[str]) -> dict[str, deadlines.DeadlineRow]:
    """The page's deadlines by id, in one query."""
    if not ids:
        return {}
    stmt = select(deadlines.DeadlineRow).where(
        deadlines.DeadlineRow.tenant_id == uow.tenant, deadlines.DeadlineRow.id.in_(ids)
    )
    return {row.id: row for row in uow.session.scalars(stmt)}


def _in_order(
    rows: dict[str, deadlines.DeadlineRow], ids: Sequence[str]
) -> list[deadlines.DeadlineRow]:
    """A service's deadlines, earliest due first (as deadlines.query lists them)."""
    return sorted((rows[i] for i in ids if i in rows), key=lambda r: (r.due_on, r.created))


def list_records(
    uow: UnitOfWork, *, filter_text: str, order_by: str, page_size: int, token: str
) -> tuple[list[tuple[ServiceRecord, list[deadlines.DeadlineRow]]], str]:
    records, next_token = _page(
        uow,
        RECORDS,
        RECORD_FIELDS,
        filter_text=filter_text,
        order_by=order_by,
        page_size=page_size,
        token=token,
    )
    rows = deadline_rows(uow, {d for r in records for d in r.deadlines})
    return [(r, _in_order(rows, r.deadlines)) for r in records], next_token


def list_entrustments(
    uow: UnitOfWork, *, filter_text: str, order_by: str, page_size: int, token: str
) -> tuple[list[tuple[Entrustment, deadlines.DeadlineRow | None]], str]:
    found, next_token = _page(
        uow,
        ENTRUSTMENTS,
        ENTRUSTMENT_FIELDS,
        filter_text=filter_text,
        order_by=order_by,
        page_size=page_size,
        token=token,
    )
    rows = deadline_rows(uow, {e.deadline_id for e in found if e.deadline_id})
    return [(e, rows.get(e.deadline_id)) for e in found], next_token


def record_statement(tenant: str, filter_text: str) -> Any:
    """The first page's query, as the plan tests read it."""
    return _statement(tenant, RECORDS, RECORD_FIELDS, filter_text)


def entrustment_statement(tenant: str, filter_text: str) -> Any:
    return _statement(tenant, ENTRUSTMENTS, ENTRUSTMENT_FIELDS, filter_text)


def _statement(
    tenant: str, listed: listing.Listed, fields: dict[str, FilterField], filter_text: str
) -> Any:
    _, column = next(iter(listed.orders.values()))
    stmt: Any = select(listed.entity).where(
        listed.table.c.tenant_id == tenant, *listing.where(filter_text, fields)
    )
    paging = listing.page(listed.kind, filter_text, "", 0, "")
    return listing.keyset(stmt, paging, listing.Ordering(column, False), listed.table.c.id)
