"""The work list: what waits for the officer, by role (issue 12). Every part is one
paged List call with a filter; the console keeps nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.console import messages, recordings, reports
from liuhen.console.session import ROLE_ZH, Officer
from liuhen.console.views import call, render, signed_in
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.platform import catalogue

PAGE = 50
MAX_PAGE = 100  # the List methods' own limit (AIP-158)


@dataclass
class Section:
    title: str
    kind: str  # intakes | cases | documents
    filter: str
    items: list[Any] = field(default_factory=list)
    next_page: str = ""  # the URL of the next page, "" on the last
    page_size: int = PAGE


# kind -> (service, method, request type, the reply's repeated field, order)
LISTS: dict[str, tuple[str, str, Any, str, str]] = {
    "intakes": ("intake", "ListIntakes", ipb.ListIntakesRequest, "intakes", "received_time"),
    "cases": ("cases", "ListCases", cpb.ListCasesRequest, "cases", ""),
    "documents": ("cases", "ListDocuments", cpb.ListDocumentsRequest, "documents", ""),
}


async def listed(
    request: Request,
    o: Officer,
    kind: str,
    title: str,
    filter_text: str,
    token: str = "",
    page_size: int = PAGE,
) -> Section:
    """One page of a List method, filtered as the service's grammar says (AIP-160)."""
    service, method, make, repeated, order = LISTS[kind]
    reply = await call(
        request,
        o,
        service,
        method,
        make(
            parent=f"tenants/{o.tenant}",
            filter=filter_text,
            order_by=order,
            page_size=page_size,
            page_token=token,
        ),
    )
    items = list(getattr(reply, repeated))
    section = Section(title, kind, filter_text, items, "", page_size)
    if reply.next_page_token:
        section.next_page = _list_url(kind, filter_text, reply.next_page_token, page_size)
    return section


def _list_url(kind: str, filter_text: str, token: str = "", page_size: int = PAGE) -> str:
    """The /list page of `kind` for one page: every list links its next page here."""
    query = {"filter": filter_text, "page_token": token}
    if page_size != PAGE:
        query["page_size"] = str(page_size)
    return f"/list/{kind}?{urlencode({k: v for k, v in query.items() if v})}"


async def _intakes(request: Request, o: Officer, title: str, filter_text: str) -> Section:
    return await listed(request, o, "intakes", title, filter_text)


async def _cases(request: Request, o: Officer, title: str, filter_text: str) -> Section:
    return await listed(request, o, "cases", title, filter_text)


async def _documents(request: Request, o: Officer, title: str, role: str) -> Section:
    return await listed(request, o, "documents", title, f"awaiting = {role}")


async def sections(request: Request, o: Officer) -> list[Section]:
    out: list[Section] = []
    if o.has("intake"):
        out.append(
            await _intakes(
                request, o, "新登记的投诉举报（5个工作日内报请立案）", "state = registered"
            )
        )
    if o.has("handler"):
        out.append(await _cases(request, o, "我承办的案件", f'handler = "{o.user_id}"'))
    for role, title in (("reviewer", "待审理的文书"), ("legal", "待法制审核的文书")):
        if o.has(role):
            out.append(await _documents(request, o, title, role))
    for role in ("head", "bureau_head"):
        if o.has(role):
            out.append(await _documents(request, o, "待审批的文书", role))
    if o.has(*recordings.approver_roles()):
        out.append(await _access_requests(request, o))
    if o.has("intake", "head", "bureau_head"):
        out.append(
            await _intakes(
                request, o, "移送、指定来的事项", 'from_site != "" AND state = registered'
            )
        )
    if o.has("intake", "handler", "reviewer", "head", "bureau_head"):
        out.append(await _incoming(request, o))
    if o.has("head", "bureau_head") and catalogue.sites()[o.tenant].level == "city":
        out.append(await _intakes(request, o, "待指定管辖的争议", "state = dispute_pending"))
        out.append(await _cases(request, o, "本级办理的案件", ""))
    if reports.reads_reports(o):
        got = await reports.page(request, o)
        out.append(
            Section(
                "各区报送的监督情况（第四十七条）",
                "reports",
                "",
                list(got.reports),
                reports.next_url(request, got.next_page_token),
            )
        )
    if o.has("head", "bureau_head"):
        out.append(await _intakes(request, o, "待审批立案", "state = filing_drafted"))
        out.append(await _cases(request, o, "已立案待指派承办人", "state = open"))
        out.append(await _cases(request, o, "逾期案件", "overdue = true"))
        out.append(await _intakes(request, o, "逾期未报请立案", "overdue = true"))
    return out


async def _access_requests(request: Request, o: Officer) -> Section:
    """The access (调阅) and copy requests still waiting for a role this officer holds
    (recording_access.yaml: the review department, the head for a party's copy, …)."""
    found = await recordings.all_requests(request, o, f"tenants/{o.tenant}", pending=True)
    rows = [r for r in (recordings.row(o, req, "") for req in found) if r.may_approve]
    return Section("待审批的调阅、复制申请（第四十四条、第四十六条）", "access_requests", "", rows)


INCOMING = (
    "jurisdiction_transfer",
    "designation",
    "jurisdiction_dispute",
    "assistance_request",
    "service_entrustment",  # Art 37(5): another site asks this one to serve a document
)
INCOMING_SHOWN = 20


async def _incoming(request: Request, o: Officer) -> Section:
    """Transfers, designations, disputes, assistance requests and entrusted services
    received from other organisations (routing's inbox), newest first; all of them at
    /messages."""
    found: list[Any] = []
    for type_ in INCOMING:  # the newest of each type: the newest of all are among them
        page, _ = await messages.listed(request, o, "inbox", type_, page_size=INCOMING_SHOWN + 1)
        found += page
    found.sort(key=lambda m: m.time.ToDatetime(), reverse=True)
    title = "收到的移送、指定管辖、协查和委托送达"
    section = Section(title, "messages", "", found[:INCOMING_SHOWN])
    section.next_page = "/messages?direction=inbox" if len(found) > INCOMING_SHOWN else ""
    return section


async def _due_by_case(request: Request, o: Officer, shown: list[str]) -> dict[str, list[Any]]:
    """The open deadlines of the cases shown (a page of them), earliest due first: one
    `case = ... AND open = true` page each, not every open deadline of the tenant."""

    async def of(case: str) -> list[Any]:
        msg = cpb.ListDeadlinesRequest(
            parent=f"tenants/{o.tenant}", filter=f'case = "{case}" AND open = true'
        )
        return list((await call(request, o, "cases", "ListDeadlines", msg)).deadlines)

    found = await asyncio.gather(*(of(case) for case in shown))
    return {case.split("/")[1]: items for case, items in zip(shown, found, strict=True)}


@signed_in
async def home(request: Request, o: Officer) -> Response:
    found = await sections(request, o)
    shown = list(dict.fromkeys(c.name for s in found if s.kind == "cases" for c in s.items))
    due = await _due_by_case(request, o, shown)
    titles = {code: t.zh for code, t in catalogue.documents().items()}
    return render(
        request,
        "worklist.html",
        sections=found,
        due=due,
        next_steps=lambda state: [titles[c] for c in catalogue.drafted_in(state)][:4],
        kind_zh=recordings.KIND_ZH,
        role_zh=ROLE_ZH,
        **messages.helpers(),
    )


@signed_in
async def search(request: Request, o: Officer) -> Response:
    """Cases by employer or number (the `:` text search of ListCases)."""
    text = request.query_params.get("q", "").replace('"', "")
    section = await _cases(request, o, f"“{text}”的查找结果", f'employer : "{text}"')
    if not section.items:
        section = await _cases(request, o, f"“{text}”的查找结果", f'case_number : "{text}"')
    return render(request, "worklist.html", sections=[section], due={}, next_steps=_none)


@signed_in
async def list_page(request: Request, o: Officer) -> Response:
    """Any list, any filter, page by page: `/list/cases?filter=overdue = true`."""
    kind = request.path_params["kind"]
    if kind not in LISTS:
        return render(request, "worklist.html", sections=[], due={}, next_steps=_none, status=404)
    q = request.query_params
    filter_text = q.get("filter", "")
    size = q.get("page_size", "")
    section = await listed(
        request,
        o,
        kind,
        f"{KIND_ZH[kind]}：{filter_text or '全部'}",
        filter_text,
        q.get("page_token", ""),
        min(max(int(size), 1), MAX_PAGE) if size.isdigit() else PAGE,
    )
    first = _list_url(kind, filter_text, "", section.page_size) if q.get("page_token") else ""
    return render(
        request,
        "worklist.html",
        sections=[section],
        due={},
        next_steps=_none,
        list_form=True,
        first_page=first,
    )


def _none(state: str) -> list[str]:
    return []


KIND_ZH = {"intakes": "受理事项", "cases": "案件", "documents": "文书"}
ROUTES = [
    Route("/", home, name="home"),
    Route("/search", search),
    Route("/list/{kind}", list_page),
]
