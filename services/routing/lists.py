"""ListMessages (AIP-132, 158, 160): the inbox and the outbox paged by time, each read by
one indexed range query per page and the two merged; `direction` picks the tables, so a
filter on one direction leaves the other's query an empty one (`WHERE false`)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, false, select, true

from liuhen.platform import listing
from liuhen.platform.db import UnitOfWork
from liuhen.platform.listing import FilterField, Ordering, compare
from liuhen.platform.outbox import InboxRow, OutboxRow
from services.routing.model import DIRECTIONS, check_direction

EQ = ("=", "!=")
INBOX = cast(Table, InboxRow.__table__)
OUTBOX = cast(Table, OutboxRow.__table__)
# The time a message is listed by: when it was received, or made (DESIGN §7).
TIME = {"inbox": INBOX.c.received, "outbox": OUTBOX.c.created}


def _direction(mine: str) -> Callable[[str, str], ColumnElement[bool]]:
    def clause(op: str, value: str) -> ColumnElement[bool]:
        if value not in DIRECTIONS:
            raise listing.bad_filter(
                f"filter: direction is inbox or outbox, not {value!r}",
                "筛选字段 direction 只能为 inbox 或 outbox",
            )
        return true() if (value == mine) == (op == "=") else false()

    return clause


def fields(direction: str, table: Table) -> dict[str, FilterField]:
    return {
        "direction": FilterField(EQ, _direction(direction)),
        "type": FilterField(EQ, compare(table.c.type)),
        "state": FilterField(EQ, compare(table.c.state)),
    }


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def request_filter(direction: str, type: str, filter_text: str) -> str:
    """The request's filter with its shorthands (`direction`, `type`) as terms of it."""
    check_direction(direction)
    terms = [f"direction = {direction}"] if direction else []
    terms += [f"type = {_quoted(type)}"] if type else []
    terms += [filter_text.strip()] if filter_text.strip() else []
    return " AND ".join(terms)


def statements(
    tenant: str, filter_text: str, order: Ordering, paging: listing.Page
) -> dict[str, Any]:
    """Each direction's query for one page (the plan tests read them too)."""
    out = {}
    tables = {"inbox": (InboxRow, INBOX), "outbox": (OutboxRow, OUTBOX)}
    for direction, (entity, table) in tables.items():
        clauses = listing.where(filter_text, fields(direction, table))
        stmt = select(entity).where(table.c.tenant_id == tenant, *clauses)
        column = Ordering(TIME[direction], order.descending)
        out[direction] = listing.keyset(stmt, paging, column, table.c.message_id)
    return out


def _key(row: InboxRow | OutboxRow) -> tuple[Any, str]:
    return (row.received if isinstance(row, InboxRow) else row.created), row.message_id


def list_messages(
    uow: UnitOfWork,
    *,
    direction: str,
    type: str,
    filter_text: str,
    order_by: str,
    page_size: int,
    token: str,
) -> tuple[Sequence[InboxRow | OutboxRow], str]:
    """One page of the site's messages, both directions merged by time (AIP-132)."""
    text = request_filter(direction, type, filter_text)
    order = listing.ordering(order_by, {"time": INBOX.c.received}, "time")
    paging = listing.page("messages", text, order_by, page_size, token)
    found = [
        list(uow.session.scalars(stmt))
        for stmt in statements(uow.tenant, text, order, paging).values()
    ]
    rows = list(heapq.merge(*found, key=_key, reverse=order.descending))
    if len(rows) <= paging.size:
        return rows, ""
    rows = rows[: paging.size]
    return rows, listing.next_token(paging, *_key(rows[-1]))
