"""Every item of a paged List call (AIP-158), page after page, for the callers that want
a whole list (the CLI, the demo, the bench, tests); and the lists a case no longer
embeds (GetCase returns the case's own fields): its documents, deadlines and ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liuhen.cases.v1 import cases_pb2 as cpb


def every(method: Callable[[Any], Any], request: Any, field: str) -> list[Any]:
    """`field` of every page of `method(request)`, following next_page_token."""
    out: list[Any] = []
    request = type(request).FromString(request.SerializeToString())  # the caller's stays
    while True:
        reply = method(request)
        out.extend(getattr(reply, field))
        if not reply.next_page_token:
            return out
        request.page_token = reply.next_page_token


def _method(cases: Any, name: str) -> Callable[[Any], Any]:
    """`cases` is a CasesService stub (or a client like one), or a caller
    `call(service, method, request)` as the CLI's officer is."""
    if hasattr(cases, name):
        return getattr(cases, name)  # type: ignore[no-any-return]
    return lambda request: cases("cases", name, request)


def case_documents(cases: Any, tenant: str, case: str) -> list[cpb.Document]:
    """The case's documents, oldest drafted first (ListDocuments `case = ...`)."""
    request = cpb.ListDocumentsRequest(
        parent=f"tenants/{tenant}",
        filter=f'case = "{case}"',
        order_by="drafted_time",
        page_size=100,
    )
    return every(_method(cases, "ListDocuments"), request, "documents")


def case_deadlines(cases: Any, case: str, *, filter: str = "") -> list[Any]:
    """The case's deadlines, earliest due first (ListDeadlines `case = ...`), of the
    caller's own tenant; `filter` adds terms (`open = true`)."""
    terms = " AND ".join(t for t in (f'case = "{case}"', filter) if t)
    request = cpb.ListDeadlinesRequest(filter=terms, page_size=100)
    return every(_method(cases, "ListDeadlines"), request, "deadlines")


def case_ledger(cases: Any, case: str) -> list[Any]:
    """The case's ledger entries, oldest first (ListLedgerEntries)."""
    request = cpb.ListLedgerEntriesRequest(parent=case, page_size=1000)
    return every(_method(cases, "ListLedgerEntries"), request, "entries")
