"""Typed fields over real gRPC (DESIGN §4, §8): the catalogue as the API shows it
(ListDocumentTypes, GetDocumentType), and every document type a case's officers draft
on an open investigation accepted with its required fields and refused, naming the
field and its label, without each of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.platform.catalogue import document_type, documents
from liuhen.platform.documents import OFFICE_ROLES
from services.cases import lifecycle
from services.cases.documents import OWN_COMMAND
from tests.samples import sample_content
from tests.support import Site, file_case, rid, running_site, status_of

DRAFTERS = {"handler": "handler1", "reviewer": "reviewer1", "legal": "legal1"}


def _on_a_new_investigation(code: str) -> bool:
    """Drafted by the case's officers with nothing before it but the handler's assignment."""
    t, step = document_type(code), lifecycle.step(code)
    return (
        t.stage != "intake"
        and code not in OWN_COMMAND
        and not step.inbound
        and not step.requires
        and (not step.from_states or lifecycle.INVESTIGATING in step.from_states)
        and any(r in DRAFTERS for r in t.drafters_at("district"))
    )


DRAFTABLE = [code for code in documents() if _on_a_new_investigation(code)]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    """One site and one case under investigation for the drafts of this module: a draft
    moves nothing, so the drafts do not disturb one another."""
    home: Path = tmp_path_factory.mktemp("doctypes") / "liuhen"
    with running_site(home) as site:
        yield site, file_case(site)


def _draft(site: Site, case: str, code: str, content: dict[str, object]) -> cpb.Document:
    role = next(r for r in document_type(code).drafters_at("district") if r in DRAFTERS)
    request = cpb.DraftDocumentRequest(
        request_id=rid(), case=case, type=code, content_json=json.dumps(content)
    )
    document: cpb.Document = (
        site.client("cases", "jiangan", DRAFTERS[role]).DraftDocument(request).document
    )
    return document


def test_design4_the_drafts_below_cover_every_stage_after_intake() -> None:
    assert {document_type(c).stage for c in DRAFTABLE} == {
        "investigation",
        "decision",
        "service",
        "records",
    }


@pytest.mark.parametrize("code", DRAFTABLE)
def test_design8_each_document_is_drafted_with_its_required_fields_and_refused_without(
    shared: tuple[Site, str], code: str
) -> None:
    site, case = shared
    content = sample_content(code)
    doc = _draft(site, case, code, content)
    assert doc.state == cpb.Document.DRAFT and json.loads(doc.content_json) == content
    for f in document_type(code).fields:
        if not f.required:
            continue
        without = {k: v for k, v in content.items() if k != f.name}
        with pytest.raises(grpc.RpcError) as err:
            _draft(site, case, code, without)
        status, reason, meta = status_of(err.value)
        assert (status, reason, meta["field"]) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "MISSING_FIELD",
            f"content_json.{f.name}",
        )
        assert f.label in (err.value.details() or "")


def test_design4_list_document_types_pages_through_the_whole_catalogue(
    shared: tuple[Site, str],
) -> None:
    site, _ = shared
    client = site.client("cases", "jiangan", "handler1")
    seen, token, pages = [], "", 0
    while True:
        page = client.ListDocumentTypes(
            cpb.ListDocumentTypesRequest(page_size=20, page_token=token)
        )
        seen += [t.code for t in page.document_types]
        pages, token = pages + 1, page.next_page_token
        if not token:
            break
    assert seen == list(documents()) and pages == -(-len(seen) // 20)
    assert all(
        t.fields for t in client.ListDocumentTypes(cpb.ListDocumentTypesRequest()).document_types
    )
    with pytest.raises(grpc.RpcError) as err:
        client.ListDocumentTypes(cpb.ListDocumentTypesRequest(page_token="garbage"))
    assert status_of(err.value)[0] == grpc.StatusCode.INVALID_ARGUMENT


def test_design4_get_document_type_gives_the_form_drafters_and_chain(
    shared: tuple[Site, str],
) -> None:
    site, _ = shared
    client = site.client("cases", "jiangan", "intake1")
    order = client.GetDocumentType(
        cpb.GetDocumentTypeRequest(name="documentTypes/rectification_order")
    ).document_type
    assert (order.title_zh, order.stage, list(order.articles)) == (
        "劳动保障监察限期改正指令书",
        "decision",
        [28],
    )
    by_name = {f.name: f for f in order.fields}
    assert by_name["employer"].type == cpb.FIELD_TYPE_EMPLOYER and by_name["employer"].required
    assert by_name["violations"].label == "违法事实及依据"
    period = by_name["period_days"]
    assert (period.type, period.has_minimum, period.minimum, period.source) == (
        cpb.FIELD_TYPE_INTEGER,
        True,
        1,
        "seed Art 28",
    )
    assert by_name["note"].max_length == 2000
    slip = client.GetDocumentType(
        cpb.GetDocumentTypeRequest(name="documentTypes/jurisdiction_transfer_slip")
    ).document_type
    assert {k: list(v.roles) for k, v in slip.drafters.items()} == {
        "city": ["reviewer"],
        "district": ["intake", "reviewer"],
    }
    assert list(slip.approval_chain) == ["head"] and list(slip.served_to) == ["peer"]
    receipt = client.GetDocumentType(
        cpb.GetDocumentTypeRequest(name="documentTypes/service_receipt")
    ).document_type
    method = next(f for f in receipt.fields if f.name == "method")
    assert method.type == cpb.FIELD_TYPE_CHOICE and "fax_or_email" in method.options
    for name, code in (
        ("documentTypes/no_such_form", grpc.StatusCode.NOT_FOUND),
        ("rectification_order", grpc.StatusCode.INVALID_ARGUMENT),
    ):
        with pytest.raises(grpc.RpcError) as err:
            client.GetDocumentType(cpb.GetDocumentTypeRequest(name=name))
        assert status_of(err.value)[0] == code


def test_design4_every_office_drafter_is_a_known_role() -> None:
    for t in documents().values():
        assert set(t.approval) <= set(OFFICE_ROLES)
