"""ListIntakes, ListCases and ListDocuments (AIP-132, 158, 160): paging by opaque tokens,
the filter grammar and its refusals, order_by, and the tenant of the parent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.intake.v1 import intake_pb2 as ipb
from tests.samples import sample_content
from tests.support import Site, file_case, rid, status_of

JA = "jiangan"


def register(site: Site, employer: str, *, days_ago: int = 0, tenant: str = JA) -> ipb.Intake:
    received = Timestamp()
    received.FromDatetime(datetime.now(UTC) - timedelta(days=days_ago))
    return (
        site.client("intake", tenant, "intake1")
        .RegisterComplaint(
            ipb.RegisterComplaintRequest(
                request_id=rid(),
                source=ipb.SOURCE_VISIT,
                kind=ipb.INTAKE_KIND_COMPLAINT,
                complainant=ipb.Person(name="张三"),
                employer=ipb.Employer(name=employer),
                violation="拖欠工资",
                received_time=received,
            )
        )
        .intake
    )


def list_intakes(site: Site, **kw: object) -> ipb.ListIntakesResponse:
    request = ipb.ListIntakesRequest(parent=f"tenants/{JA}", **kw)  # type: ignore[arg-type]
    return site.client("intake", JA, "intake1").ListIntakes(request)


def refused(call, request):  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as err:
        call(request)
    return err.value


def test_aip158_pages_cover_every_intake_once_newest_first(site: Site) -> None:
    names = [register(site, f"公司{i}", days_ago=i).name for i in range(5)]
    seen, token, pages = [], "", 0
    while True:
        page = list_intakes(site, page_size=2, page_token=token)
        seen += [i.name for i in page.intakes]
        pages, token = pages + 1, page.next_page_token
        if not token:
            break
    assert (seen, pages) == (names, 3)
    oldest_first = list_intakes(site, order_by="received_time")
    assert [i.name for i in oldest_first.intakes] == names[::-1]


def test_art11_overdue_filter_finds_intakes_past_the_filing_clock(site: Site) -> None:
    late = register(site, "迟延公司", days_ago=30)
    fresh = register(site, "新公司")
    found = list_intakes(site, filter="overdue = true AND state = registered")
    assert [i.name for i in found.intakes] == [late.name]
    found = list_intakes(site, filter="overdue = true AND state = REGISTERED")
    assert [i.name for i in found.intakes] == [late.name]
    found = list_intakes(site, filter='overdue = false AND employer : "新"')
    assert [i.name for i in found.intakes] == [fresh.name]


def test_aip160_a_malformed_filter_is_invalid_argument_naming_the_field(site: Site) -> None:
    desk = site.client("intake", JA, "intake1")
    for bad in ("state ==", "state = a OR state = b", "colour = red", "overdue = maybe"):
        err = refused(
            desk.ListIntakes, ipb.ListIntakesRequest(parent="tenants/jiangan", filter=bad)
        )
        code, reason, meta = status_of(err)
        assert (code, reason, meta["field"]) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "BAD_FILTER",
            "filter",
        ), bad
        assert meta["message_zh"]
    details = rpc_status.from_call(err).details  # type: ignore[arg-type]
    request, localized = error_details_pb2.BadRequest(), error_details_pb2.LocalizedMessage()
    assert any(d.Unpack(request) for d in details)
    assert request.field_violations[0].field == "filter"
    assert any(d.Unpack(localized) for d in details)
    assert localized.locale == "zh-CN" and "true" in localized.message


def test_aip158_a_token_of_another_query_and_a_bad_order_are_refused(site: Site) -> None:
    for i in range(3):
        register(site, f"公司{i}")
    token = list_intakes(site, page_size=1).next_page_token
    desk = site.client("intake", JA, "intake1")
    for request, field in (
        (
            ipb.ListIntakesRequest(parent="tenants/jiangan", page_token=token, filter="state = x"),
            "page_token",
        ),
        (ipb.ListIntakesRequest(parent="tenants/jiangan", page_token="garbage!"), "page_token"),
        (
            ipb.ListIntakesRequest(parent="tenants/jiangan", order_by="violation"),
            "order_by",
        ),
    ):
        code, _, meta = status_of(refused(desk.ListIntakes, request))
        assert (code, meta["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, field)


def test_design3_a_tenant_lists_only_its_own(site: Site) -> None:
    register(site, "江岸公司")
    register(site, "洪山公司", tenant="hongshan")
    hongshan = site.client("intake", "hongshan", "intake1")
    err = refused(hongshan.ListIntakes, ipb.ListIntakesRequest(parent="tenants/jiangan"))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    own = hongshan.ListIntakes(ipb.ListIntakesRequest(parent="tenants/hongshan"))
    assert [i.employer.name for i in own.intakes] == ["洪山公司"]


def test_list_cases_filters_on_handler_state_and_number(site: Site) -> None:
    mine, unassigned = file_case(site), file_case(site, assign=False)
    cases = site.client("cases", JA, "head1")
    handler = site.user_id(JA, "handler1")

    def names(filter_text: str) -> list[str]:
        request = cpb.ListCasesRequest(parent="tenants/jiangan", filter=filter_text)
        return [c.name for c in cases.ListCases(request).cases]

    assert names(f'handler = "{handler}"') == [mine]
    assert names('handler = ""') == [unassigned]
    assert names("overdue = true") == []
    # AIP-160: a state by its key or by its enum value name (AIP-216)
    assert names("state = investigating") == names("state = INVESTIGATING") == [mine]
    assert names('state = "open"') == names('state = "OPEN"') == [unassigned]
    assert cases.GetCase(cpb.GetCaseRequest(name=unassigned)).case.state == cpb.Case.OPEN
    number = cases.GetCase(cpb.GetCaseRequest(name=mine)).case.case_number
    assert names(f'case_number : "{number[-6:]}"') == [mine]
    page = cases.ListCases(cpb.ListCasesRequest(parent="tenants/jiangan", page_size=1))
    assert len(page.cases) == 1 and page.next_page_token
    listed = page.cases[0]  # the case's own fields, as GetCase gives them (issue 12)
    assert listed == cases.GetCase(cpb.GetCaseRequest(name=listed.name)).case


def test_art6_list_documents_shows_what_awaits_the_reviewer(site: Site) -> None:
    case = file_case(site)
    handler = site.client("cases", JA, "handler1")
    content = json.dumps(sample_content("revocation_approval"))
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(), case=case, type="revocation_approval", content_json=content
        )
    ).document
    handler.SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    reviewer = site.client("cases", JA, "reviewer1")

    def awaiting(role: str) -> list[str]:
        request = cpb.ListDocumentsRequest(parent="tenants/jiangan", filter=f"awaiting = {role}")
        return [d.name for d in reviewer.ListDocuments(request).documents]

    assert (awaiting("reviewer"), awaiting("head")) == ([doc.name], [])
    by_case = reviewer.ListDocuments(
        cpb.ListDocumentsRequest(parent="tenants/jiangan", filter=f'case = "{case}"')
    )
    assert doc.name in [d.name for d in by_case.documents]


def test_art13_15_intakes_received_from_another_organisation_are_listed_apart(
    site: Site,
) -> None:
    own = register(site, "本区公司")
    listed = list_intakes(site, filter='from_site = ""')
    assert [i.name for i in listed.intakes] == [own.name]
    assert not list_intakes(site, filter='from_site != "" AND state = registered').intakes
