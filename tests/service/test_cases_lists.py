"""A case's documents, deadlines and ledger are lists of their own (issue 12, AIP-132,
158, 160): GetCase stays the size of the case however much it grows, ListLedgerEntries
pages the chain oldest first (Art 45), ListDeadlines pages and filters in SQL (Art 28)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.paging import case_documents, case_ledger, every
from liuhen.platform.enums import key_of
from tests.service.test_cases_steps import JA, cases, draft, effective, fails, ts
from tests.support import Site, file_case, rid


def ledger_pages(site: Site, case: str, size: int) -> list[list[int]]:
    pages, token = [], ""
    while True:
        request = cpb.ListLedgerEntriesRequest(parent=case, page_size=size, page_token=token)
        reply = cases(site).ListLedgerEntries(request)
        pages.append([e.seq for e in reply.entries])
        token = reply.next_page_token
        if not token:
            return pages


def test_art45_ledger_entries_page_oldest_first_each_once(site: Site) -> None:
    case = file_case(site)
    for _ in range(3):
        draft(site, case, "inspection_record")
    whole = [e.seq for e in case_ledger(cases(site), case)]
    assert len(whole) >= 5 and whole == sorted(whole) and len(set(whole)) == len(whole)
    pages = ledger_pages(site, case, 2)
    assert [seq for page in pages for seq in page] == whole
    assert all(len(page) == 2 for page in pages[:-1]) and len(pages) == (len(whole) + 1) // 2
    one_page = cases(site).ListLedgerEntries(cpb.ListLedgerEntriesRequest(parent=case))
    assert [e.seq for e in one_page.entries] == whole and not one_page.next_page_token
    verified = cases(site).VerifyLedger(cpb.VerifyLedgerRequest(case=case))
    assert verified.ok and verified.entries == len(whole)  # the list is the whole chain


def test_aip158_a_bad_ledger_page_token_is_invalid_argument_with_a_field_violation(
    site: Site,
) -> None:
    case, other = file_case(site), file_case(site)
    token = (
        cases(site)
        .ListLedgerEntries(cpb.ListLedgerEntriesRequest(parent=case, page_size=1))
        .next_page_token
    )
    assert token
    forged = "eyJrIjogIngiLCAidiI6ICJhIiwgImkiOiAiIn0="  # {"k": "x", "v": "a", "i": ""}
    for parent, bad in ((case, "garbage!"), (other, token), (case, forged)):
        request = cpb.ListLedgerEntriesRequest(parent=parent, page_token=bad)
        with pytest.raises(grpc.RpcError) as err:
            cases(site).ListLedgerEntries(request)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
        status = rpc_status.from_call(err.value)  # type: ignore[arg-type]
        violation = error_details_pb2.BadRequest()
        assert status and any(d.Unpack(violation) for d in status.details)
        assert violation.field_violations[0].field == "page_token"
    code, _, meta, _ = fails(
        cases(site).ListLedgerEntries, cpb.ListLedgerEntriesRequest(parent=case, page_size=-1)
    )
    assert (code, meta["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "page_size")
    code, _, meta, _ = fails(
        cases(site).ListLedgerEntries, cpb.ListLedgerEntriesRequest(parent="tenants/jiangan")
    )
    assert (code, meta["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, "parent")


def test_design3_another_tenants_ledger_is_not_found_as_its_case(site: Site) -> None:
    case = file_case(site)
    elsewhere = site.client("cases", "hongshan", "handler1")
    got, _, _, _ = fails(elsewhere.GetCase, cpb.GetCaseRequest(name=case))
    listed, _, _, _ = fails(elsewhere.ListLedgerEntries, cpb.ListLedgerEntriesRequest(parent=case))
    assert got == listed == grpc.StatusCode.NOT_FOUND


def test_get_case_does_not_grow_with_its_documents(site: Site) -> None:
    """The response of a case with 1 document and with 30 is the same size: the case's
    own fields only (it carried every document, deadline and entry before issue 12)."""
    case = file_case(site)
    draft(site, case, "inspection_record")
    small = cases(site).GetCase(cpb.GetCaseRequest(name=case))
    for _ in range(29):
        draft(site, case, "inspection_record")
    grown = cases(site).GetCase(cpb.GetCaseRequest(name=case))
    assert grown.ByteSize() == small.ByteSize() and grown == small
    records = [d for d in case_documents(cases(site), JA, case) if d.type == "inspection_record"]
    assert len(records) == 30
    assert len(case_ledger(cases(site), case)) >= 30


def served_long_ago(site: Site, case: str) -> None:
    """A rectification order served 40 days ago: its period and the check after it are
    overdue (Art 28), the investigation's own deadline still open."""
    order = effective(site, case, "rectification_order", {"period_days": 10})
    long_ago = ts(datetime.now(UTC) - timedelta(days=40))
    request = epb.ServeDocumentRequest(
        request_id=rid(), document=order.name, method=epb.SERVICE_METHOD_DIRECT,
        recipient="某公司", signed_by="王五", served_time=long_ago,
    )  # fmt: skip
    site.client("enforcement", JA, "handler1").ServeDocument(request)


def test_art28_list_deadlines_pages_and_filters_on_case_open_and_overdue(site: Site) -> None:
    case, other = file_case(site), file_case(site)
    served_long_ago(site, case)
    handler = cases(site)

    def listed(filter_text: str, size: int = 0) -> list[tuple[str, str, str]]:
        request = cpb.ListDeadlinesRequest(
            parent=f"tenants/{JA}", filter=filter_text, page_size=size
        )
        return [
            (d.case_id, d.rule, key_of(d))
            for d in every(handler.ListDeadlines, request, "deadlines")
        ]

    mine = listed(f'case = "{case}"')
    assert mine == listed(f'case = "{case}"', size=1)  # the same, a page at a time
    assert {r for c, r, s in mine if s == "overdue"} == {
        "rectification_period",
        "rectification_verified",
    }
    assert listed(f'case = "{case}" AND overdue = true') == [m for m in mine if m[2] == "overdue"]
    assert listed(f'case = "{case}" AND open = true') == [m for m in mine if m[2] != "met"]
    assert listed(f'case = "{case}" AND open = false') == [m for m in mine if m[2] == "met"]
    assert listed(f'case = "{case}" AND overdue = false') == [m for m in mine if m[2] != "overdue"]
    everywhere = listed("overdue = true")
    assert all(s == "overdue" for _, _, s in everywhere)
    assert {(c, r) for c, r, _ in everywhere} >= {(case.split("/")[1], "rectification_period")}
    assert not any(c == other.split("/")[1] for c, _, _ in everywhere)
    # the deprecated fields still say the same, joined to the filter
    old = handler.ListDeadlines(cpb.ListDeadlinesRequest(case=case, overdue_only=True))
    assert [(d.case_id, d.rule, key_of(d)) for d in old.deadlines] == listed(
        f'case = "{case}" AND overdue = true'
    )
    officer = site.user_id(JA, "handler1")
    by_officer = listed(f'officer = "{officer}" AND open = true')
    assert {c for c, _, _ in by_officer} >= {other.split("/")[1]}


def test_aip160_list_deadlines_refuses_a_bad_filter_token_and_parent(site: Site) -> None:
    file_case(site)
    handler = cases(site)
    first = handler.ListDeadlines(cpb.ListDeadlinesRequest(page_size=1))
    assert first.next_page_token
    for request, field in (
        (cpb.ListDeadlinesRequest(filter="overdue = maybe"), "filter"),
        (cpb.ListDeadlinesRequest(filter='due_on = "2026-01-01"'), "filter"),
        (cpb.ListDeadlinesRequest(filter='case = "intakes/x"'), "filter"),
        (
            cpb.ListDeadlinesRequest(page_token=first.next_page_token, filter="open = true"),
            "page_token",
        ),
        (cpb.ListDeadlinesRequest(page_token="garbage!"), "page_token"),
    ):
        code, _, meta, _ = fails(handler.ListDeadlines, request)
        assert (code, meta["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, field), request
    code, _, _, _ = fails(
        handler.ListDeadlines, cpb.ListDeadlinesRequest(parent="tenants/hongshan")
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
