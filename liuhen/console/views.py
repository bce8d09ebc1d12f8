"""What every page shares: the templates, the signed-in officer, and a refusal shown
as the service gave it (its Chinese message and the article)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from liuhen.console import session
from liuhen.console.backend import Backend, Refusal
from liuhen.console.forms import EMPLOYER_PARTS, PERSON_PARTS
from liuhen.console.session import ROLE_ZH, Officer
from liuhen.platform import catalogue
from liuhen.platform.calendar import CHINA, local_date
from liuhen.platform.db import utcnow
from liuhen.platform.enums import key_of

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# A refusal's gRPC code as the HTTP status of the page that shows it.
HTTP_OF = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 409,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "UNAUTHENTICATED": 401,
}
STATE_ZH = {
    "registered": "已登记",
    "supplement_requested": "待补正",
    "filing_drafted": "立案审批中",
    "filed": "已立案",
    "open": "已立案待指派",
    "investigating": "调查中",
    "rectifying": "限期改正中",
    "rectified": "已改正",
    "penalty_proposed": "拟处罚",
    "suspended": "中止调查",
    "revoked": "已撤销立案",
    "closed": "已结案",
    "archived": "已归档",
    "not_accepted": "不予受理",
    "to_transfer": "待移送",
    "transferred": "已移送",
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "已退回",
    "superseded": "已更正",
    "effective": "已生效",
}


@cache
def _states_zh() -> dict[str, str]:
    """The console's short names, then the catalogue's for every other state."""
    names = {k: v.zh for k, v in catalogue.state_names("case").items()}
    names.update({k: v.zh for k, v in catalogue.state_names("intake").items()})
    return {**names, **STATE_ZH}


def state_name(message: Any) -> str:
    """How the console shows a resource's state: its Chinese name, else its key."""
    key = key_of(message)
    return _states_zh().get(key, key)


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("officer", session.current(request))
    context.setdefault("request_id", str(uuid.uuid4()))
    shared = {
        "state_zh": _states_zh(),
        "state": key_of,
        "state_name": state_name,
        "today": local_date(utcnow()).isoformat(),  # overdue by Wuhan's date
        "person_parts": PERSON_PARTS,
        "employer_parts": EMPLOYER_PARTS,
        "deadline_zh": _deadline_zh,
        "roles_zh": lambda roles: " → ".join(ROLE_ZH.get(r, r) for r in roles),
        "at": _at,
    }
    return TEMPLATES.TemplateResponse(request, name, {**shared, **context}, status_code=status)


def _at(stamp: Any, fmt: str) -> str:
    """A protobuf Timestamp as Wuhan's clock shows it."""
    return str(stamp.ToDatetime(tzinfo=CHINA).strftime(fmt))


def _deadline_zh(deadline: Any) -> str:
    rule = catalogue.deadline_rules().get(deadline.rule)
    return rule.zh if rule and rule.zh else str(deadline.what)


def refused(request: Request, refusal: Refusal, back: str = "/") -> Response:
    return render(
        request, "refused.html", refusal=refusal, back=back, status=HTTP_OF.get(refusal.code, 502)
    )


def backend(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]


Page = Callable[[Request, Officer], Awaitable[Response]]


def signed_in(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """The page for a signed-in officer; otherwise the sign-in page. A refusal from a
    service becomes the refusal page."""

    @wraps(page)
    async def handler(request: Request) -> Response:
        officer = session.current(request)
        if officer is None:
            return RedirectResponse("/login", status_code=303)
        try:
            return await page(request, officer)
        except Refusal as refusal:
            return refused(request, refusal, back=request.headers.get("referer", "/"))

    return handler


async def call(request: Request, officer: Officer, service: str, method: str, msg: Any) -> Any:
    return await backend(request).call(officer.token, service, method, msg)


@dataclass(frozen=True)
class Listed:
    """One page of a list shown in a section of a page, and the links to go on."""

    items: list[Any]
    more: str = ""  # the next page, "" on the last
    first: str = ""  # back to the first page, "" on it


async def page_of(
    request: Request, o: Officer, method: str, msg: Any, field: str, param: str
) -> Listed:
    """A page of the cases service's List `method` (its items in `field`): the page the
    query parameter `param` ("documents_page") names by its token, the first without,
    of `page_size` items if the query gives one, with a link to the next page and back
    to the first, which land on the section whose id is `param` without "_page"."""
    token, anchor = request.query_params.get(param, ""), param.removesuffix("_page")
    size = request.query_params.get("page_size", "")  # the service's default without
    msg.page_token = token
    msg.page_size = min(int(size), 1000) if size.isdigit() else 0
    reply = await call(request, o, "cases", method, msg)
    path, sized = request.url.path, {"page_size": size} if size.isdigit() else {}
    more = first = ""
    if reply.next_page_token:
        more = f"{path}?{urlencode({param: reply.next_page_token, **sized})}#{anchor}"
    if token:
        first = f"{path}?{urlencode(sized)}#{anchor}" if sized else f"{path}#{anchor}"
    return Listed(list(getattr(reply, field)), more, first)
