"""The supervision figures each district reports to the city (Art 47; media
ListReceivedSupervisionReports): what the city's supervisors and heads see of every
district at a glance. The city never reads a district's tables; it reads the reports
the districts sent it, as sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from liuhen.console.messages import site_zh
from liuhen.console.session import Officer
from liuhen.console.views import call, render, signed_in
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.platform import catalogue

READERS = ("supervisor", "head", "bureau_head")  # media: check_city_reader
SHOWN = 20


def reads_reports(o: Officer) -> bool:
    return o.has(*READERS) and catalogue.sites()[o.tenant].level == "city"


async def page(request: Request, o: Officer, token: str = "", size: int = SHOWN) -> Any:
    return await call(
        request,
        o,
        "media",
        "ListReceivedSupervisionReports",
        mpb.ListReceivedSupervisionReportsRequest(
            page_size=size, page_token=token, sender=request.query_params.get("sender", "")
        ),
    )


def next_url(request: Request, token: str) -> str:
    if not token:
        return ""
    query = {"page_token": token, "sender": request.query_params.get("sender", "")}
    return "/reports?" + urlencode({k: v for k, v in query.items() if v})


def helpers() -> dict[str, Any]:
    return {"site_zh": site_zh}


@signed_in
async def index(request: Request, o: Officer) -> Response:
    token = request.query_params.get("page_token", "")
    reply = await page(request, o, token)
    return render(
        request,
        "reports.html",
        reports=list(reply.reports),
        next_page=next_url(request, reply.next_page_token),
        first_page="/reports" if token else "",
        **helpers(),
    )


ROUTES = [Route("/reports", index)]
