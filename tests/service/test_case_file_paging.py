"""The case file's catalogue is paged (Art 41, 42; AIP-158): every item once, in order,
however it is cut into pages, and a page token of a catalogue that has changed since is
refused rather than skipping or repeating an item."""

from __future__ import annotations

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from tests.service.test_cases_steps import cases, interview
from tests.support import Site, file_case, status_of


def _pages(site: Site, case: str, size: int) -> list[cpb.GetCaseFileResponse]:
    pages, token = [], ""
    while True:
        got = cases(site).GetCaseFile(
            cpb.GetCaseFileRequest(case=case, page_size=size, page_token=token)
        )
        pages.append(got)
        token = got.next_page_token
        if not token:
            return pages


def test_art42_the_catalogue_read_by_pages_is_the_whole_catalogue_in_order(site: Site) -> None:
    case = file_case(site)
    records = [interview(site, case).name for _ in range(4)]
    whole = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case, page_size=100))
    assert not whole.next_page_token and whole.total_items == len(whole.items) >= 6
    pages = _pages(site, case, 2)
    assert all(len(p.items) <= 2 for p in pages) and len(pages) == -(-len(whole.items) // 2)
    paged = [(i.seq, i.name) for p in pages for i in p.items]
    assert paged == [(i.seq, i.name) for i in whole.items]
    assert [seq for seq, _ in paged] == list(range(1, len(paged) + 1))
    assert set(records) <= {name for _, name in paged}
    assert {p.index_sha256 for p in pages} == {whole.index_sha256}
    assert {p.total_items for p in pages} == {whole.total_items}


def test_art42_a_page_token_of_a_file_that_has_changed_is_aborted(site: Site) -> None:
    case = file_case(site)
    interview(site, case)
    first = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case, page_size=1))
    assert first.next_page_token
    interview(site, case)  # the catalogue changes between the pages
    with pytest.raises(grpc.RpcError) as err:
        cases(site).GetCaseFile(
            cpb.GetCaseFileRequest(case=case, page_size=1, page_token=first.next_page_token)
        )
    code, reason, meta = status_of(err.value)
    assert (code, reason, meta.get("field")) == (
        grpc.StatusCode.ABORTED,
        "LIST_CHANGED",
        "page_token",
    )


def test_a_page_token_of_another_case_or_garbage_is_invalid_argument(site: Site) -> None:
    case, other = file_case(site), file_case(site)
    first = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case, page_size=1))
    for token in (first.next_page_token, "not-a-token"):
        with pytest.raises(grpc.RpcError) as err:
            cases(site).GetCaseFile(
                cpb.GetCaseFileRequest(case=other, page_size=1, page_token=token)
            )
        code, reason, _ = status_of(err.value)
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "BAD_PAGE_TOKEN")
