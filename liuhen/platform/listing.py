"""Paged, filtered, ordered lists (Google AIP-132, 158, 160), said once for every List
method: a small filter grammar, `order_by` on one field, and opaque keyset page tokens,
so a page is one indexed range query, never a scan of what came before it.

Filter grammar (an AIP-160 subset)::

    filter := term ("AND" term)*
    term   := FIELD ("=" | "!=" | ":") VALUE
    VALUE  := "quoted text" | bare-word | true | false

`:` means "contains" (text search); a field names the operators it accepts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Boolean, ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.visitors import InternalTraversal

from liuhen.platform.enums import filter_key
from liuhen.platform.errors import Aborted, InvalidArgument, PermissionDenied

DEFAULT_PAGE, MAX_PAGE = 50, 100
T = TypeVar("T")

_TERM = re.compile(
    r'\s*(?P<field>[a-z_]+)\s*(?P<op>!=|=|:)\s*(?P<value>"(?:[^"\\]|\\.)*"|[^\s"()=!:]+)\s*'
)
_AND = re.compile(r"AND\b\s*")


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class FilterField:
    """How one filter field becomes a WHERE clause: `clause(op, value)`."""

    ops: tuple[str, ...]
    clause: Callable[[str, str], ColumnElement[bool]]
    boolean: bool = False


def bad_filter(message: str, message_zh: str, field: str = "filter") -> InvalidArgument:
    return InvalidArgument("BAD_FILTER", message, message_zh, article="AIP-160", field=field)


def parse_filter(text: str) -> list[Term]:
    """The terms of `text`; INVALID_ARGUMENT naming `filter` and the position at fault."""
    terms: list[Term] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        if terms:
            joined = _AND.match(text, pos)
            if not joined:
                raise bad_filter(
                    f"filter: expected AND at position {pos}: {text[pos : pos + 20]!r}",
                    f"筛选条件第 {pos} 个字符处应为 AND",
                )
            pos = joined.end()
        match = _TERM.match(text, pos)
        if not match:
            raise bad_filter(
                f"filter: expected `field = value` at position {pos}: {text[pos : pos + 20]!r}",
                f"筛选条件第 {pos} 个字符处应为“字段 = 值”",
            )
        value = match["value"]
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        terms.append(Term(match["field"], match["op"], value))
        pos = match.end()
    return terms


def where(text: str, fields: Mapping[str, FilterField]) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filter against the fields a method allows."""
    clauses = []
    for term in parse_filter(text):
        spec = fields.get(term.field)
        if spec is None:
            raise bad_filter(
                f"filter: unknown field {term.field!r}; known: {', '.join(sorted(fields))}",
                f"筛选字段 {term.field} 不存在",
            )
        if term.op not in spec.ops:
            raise bad_filter(
                f"filter: {term.field} takes {' or '.join(spec.ops)}, not {term.op}",
                f"筛选字段 {term.field} 不支持运算符 {term.op}",
            )
        if spec.boolean and term.value not in ("true", "false"):
            raise bad_filter(
                f"filter: {term.field} is true or false, not {term.value!r}",
                f"筛选字段 {term.field} 只能为 true 或 false",
            )
        clauses.append(spec.clause(term.op, term.value))
    return clauses


def compare(column: ColumnClause[Any]) -> Callable[[str, str], ColumnElement[bool]]:
    """`=`, `!=` and `:` (contains) on a text column."""

    def clause(op: str, value: str) -> ColumnElement[bool]:
        if op == ":":
            return Contains(column, value)
        return column == value if op == "=" else column != value

    return clause


def compare_state(column: ColumnClause[Any]) -> Callable[[str, str], ColumnElement[bool]]:
    """`=` and `!=` on a state column, the state named by its key (`"registered"`) or by
    its enum value name (`REGISTERED`, AIP-160)."""
    plain = compare(column)
    return lambda op, value: plain(op, filter_key(value))


class Contains(ColumnElement[bool]):
    """`column` contains `text` (case-sensitive): LIKE '%text%', escaped; on PostgreSQL
    `strpos(column, text) > 0`, the same test, because under row-level security the
    planner may not use a column's statistics for LIKE (not leakproof) and prices
    '%text%' as matching almost nothing: it then read and sorted every row of the tenant
    instead of walking the order's index until a page is full (9 ms at 10,000 cases a
    tenant, growing with it; bench.city, docs/performance.md). A function's comparison is
    priced at a third of the rows, so the page walks the index and stays flat."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a predicate: no "= 1" where booleans are integers
    _traverse_internals: list[tuple[str, InternalTraversal]] = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),  # the statement cache's key
        ("text", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], text: str) -> None:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        self.column = column
        self.text = literal(text, column.type)
        self.pattern = literal(f"%{escaped}%", column.type)


@compiles(Contains)
def _contains(element: Contains, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.like(element.pattern, escape="\\"), **kw)


@compiles(Contains, "postgresql")
def _contains_pg(element: Contains, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(func.strpos(element.column, element.text) > 0, **kw)


@dataclass(frozen=True)
class Ordering:
    column: ColumnClause[Any]
    descending: bool


def ordering(text: str, columns: Mapping[str, ColumnClause[Any]], default: str) -> Ordering:
    """`field` or `field desc` (one field; ties broken by id)."""
    words = (text.strip() or default).split()
    name = words[0] if words else ""
    direction = words[1].lower() if len(words) == 2 else "asc"
    if name not in columns or len(words) > 2 or direction not in ("asc", "desc"):
        raise InvalidArgument(
            "BAD_ORDER_BY",
            f"order_by must be one of {', '.join(sorted(columns))}, optionally with desc; "
            f"not {text!r}",
            f"排序字段应为 {', '.join(sorted(columns))} 之一",
            article="AIP-132",
            field="order_by",
        )
    return Ordering(columns[name], direction == "desc")


def check_parent(parent: str, tenant: str) -> None:
    """`tenants/{tenant}` must be the caller's own tenant (DESIGN §3)."""
    if not re.fullmatch(r"tenants/[a-z_]+", parent):
        raise InvalidArgument(
            "MALFORMED_NAME",
            f"parent must look like tenants/{{tenant}}, not {parent!r}",
            "parent 格式应为 tenants/{tenant}",
            field="parent",
        )
    if parent != f"tenants/{tenant}":
        raise PermissionDenied(
            "OTHER_TENANT",
            "a caller lists its own tenant only",
            "只能查询本机构的数据",
            article="DESIGN §3",
        )


def _serial(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _deserial(value: Any, sample_type: Any) -> Any:
    python_type = getattr(sample_type, "python_type", str)
    if python_type is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise bad_token()  # an integer key compared with text would fail in the database
    try:
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is date:
            return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:  # a token made by hand, not by this method
        raise bad_token() from exc
    return value


def _query_key(kind: str, filter_text: str, order: str) -> str:
    return hashlib.sha256(f"{kind}\n{filter_text}\n{order}".encode()).hexdigest()[:16]


def bad_token() -> InvalidArgument:
    return InvalidArgument(
        "BAD_PAGE_TOKEN",
        "page_token is not one this method returned for this filter and order_by",
        "分页标记无效，或与筛选条件、排序不符",
        article="AIP-158",
        field="page_token",
    )


@dataclass(frozen=True)
class Page:
    """One request's paging: the size, and where the last page ended (keyset)."""

    kind: str
    key: str
    size: int
    after: tuple[Any, str] | None


def page(
    kind: str,
    filter_text: str,
    order_by: str,
    page_size: int,
    token: str,
    *,
    default: int = DEFAULT_PAGE,
    maximum: int = MAX_PAGE,
) -> Page:
    """The paging a request asks for: `page_size` (0: `default`, at most `maximum`) and
    where its token says the last page ended; INVALID_ARGUMENT for a token of another
    method, filter or order."""
    if page_size < 0:
        raise InvalidArgument(
            "BAD_PAGE_SIZE", "page_size must not be negative", "每页数量不得为负", field="page_size"
        )
    key = _query_key(kind, filter_text, order_by)
    size = min(page_size or default, maximum)
    if not token:
        return Page(kind, key, size, None)
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["k"] != key:
            raise bad_token()
        return Page(kind, key, size, (data["v"], str(data["i"])))
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise bad_token() from exc


def next_token(paging: Page, value: Any, last_id: str) -> str:
    """The token of the page after the row whose order value and id these are."""
    token = json.dumps({"k": paging.key, "v": _serial(value), "i": last_id})
    return base64.urlsafe_b64encode(token.encode()).decode()


def page_of_built(
    kind: str,
    scope: str,
    version: str,
    items: Sequence[T],
    position: Callable[[T], int],
    page_size: int,
    token: str,
) -> tuple[list[T], str]:
    """A page of a list built in memory for one call (a case file's catalogue, numbered
    from 1 by `position`), at most MAX_PAGE long. `version` is the hash of the whole
    list: its tokens hold it, and a token of a list that has changed since is ABORTED
    (the numbering may have moved), so that no item is skipped or given twice."""
    paging = page(kind, scope, "", page_size, token)
    start = 0
    if paging.after is not None:
        if paging.after[1] != version:
            raise Aborted(
                "LIST_CHANGED",
                f"the {kind} changed since the page token was issued; start from the first page",
                "列表自上一页以来已变化，请从第一页重新读取",
                article="AIP-158",
                field="page_token",
            )
        if not isinstance(paging.after[0], int):
            raise bad_token()
        start = next(
            (i for i, item in enumerate(items) if position(item) > paging.after[0]), len(items)
        )
    chosen = list(items[start : start + paging.size])
    if start + paging.size >= len(items):
        return chosen, ""
    return chosen, next_token(paging, position(chosen[-1]), version)


def keyset(
    stmt: Select[Any], paging: Page, order: Ordering, id_column: ColumnClause[Any] | None
) -> Select[Any]:
    """`stmt` ordered, past the last page's last row and limited to one row more than
    the page (which tells whether another page follows). Without an `id_column` the
    ordering column is unique on its own (a chain's seq): no tie-break."""
    col, desc = order.column, order.descending
    if paging.after is not None and id_column is None:
        value = _deserial(paging.after[0], col.type)
        stmt = stmt.where(col < value if desc else col > value)
    elif paging.after is not None and id_column is not None:
        value = _deserial(paging.after[0], col.type)
        last_id = paging.after[1]
        beyond = col < value if desc else col > value
        tie = id_column < last_id if desc else id_column > last_id
        # The bound `col <= value` (>= ascending) says the same as the OR below, in a form
        # an index range can serve: without it the second page scanned from the start of
        # the filter's range (100 ms against 6 ms for the first, bench.city, 10,000 cases).
        bound = col <= value if desc else col >= value
        stmt = stmt.where(bound, or_(beyond, and_(col == value, tie)))
    keys = tuple(c.desc() if desc else c.asc() for c in (col, id_column) if c is not None)
    return stmt.order_by(*keys).limit(paging.size + 1)


def run(
    stmt: Select[Any],
    paging: Page,
    order: Ordering,
    id_column: ColumnClause[Any] | None,
    execute: Callable[[Select[Any]], Sequence[Any]],
    key_of: Callable[[Any], tuple[Any, str]],
) -> tuple[list[Any], str]:
    """The page's rows and the next page token ("" on the last page)."""
    rows = list(execute(keyset(stmt, paging, order, id_column)))
    if len(rows) <= paging.size:
        return rows, ""
    rows = rows[: paging.size]
    return rows, next_token(paging, *key_of(rows[-1]))


@dataclass(frozen=True)
class Listed:
    """What one List method pages over: `kind` (named in its page tokens), the mapped
    class, its table (tenant_id, id), the orderings offered (name -> (attribute,
    column)) and the default `order_by`."""

    kind: str
    entity: type
    table: Any
    orders: Mapping[str, tuple[str, ColumnClause[Any]]]
    default_order: str


def list_page(
    session: Any,
    tenant: str,
    listed: Listed,
    fields: Mapping[str, FilterField],
    *,
    filter_text: str,
    order_by: str,
    page_size: int,
    token: str,
) -> tuple[list[Any], str]:
    """One page of the tenant's rows: one indexed range query (AIP-132, 158, 160)."""
    columns = {name: column for name, (_, column) in listed.orders.items()}
    order = ordering(order_by, columns, listed.default_order)
    clauses = where(filter_text, fields)
    paging = page(listed.kind, filter_text, order_by, page_size, token)
    attr = next(a for a, c in listed.orders.values() if c is order.column)
    stmt: Select[Any] = select(listed.entity).where(listed.table.c.tenant_id == tenant, *clauses)
    return run(
        stmt,
        paging,
        order,
        listed.table.c.id,
        lambda s: list(session.scalars(s)),
        lambda row: (getattr(row, attr), row.id),
    )
