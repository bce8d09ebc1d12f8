"""What other organisations sent here and what this one sent (routing's inbox and
outbox, DESIGN §7): transfers, designations and disputes (Art 12-15) that became
intakes here, assistance requests waiting for a reply (Art 21(3)) or, at the city, for
forwarding to the province (Art 21(2)), and the desks' answers to referrals (Art 30)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.console import entrustments
from liuhen.console.session import Officer
from liuhen.console.views import call, render, signed_in
from liuhen.platform import catalogue
from liuhen.routing.v1 import routing_pb2 as rpb

TYPE_ZH = {
    "assistance_request": "委托协查函",
    "assistance_reply": "协查回函",
    "jurisdiction_transfer": "移送管辖",
    "designation": "指定办理",
    "jurisdiction_dispute": "提请指定管辖",
    "criminal_referral": "涉嫌犯罪案件移送",
    "criminal_referral_copy": "移送抄送检察院",
    "referral_receipt": "移送回执",
    "police_filing_decision": "公安机关立案决定",
    "reconsideration_request": "提请复议",
    "reconsideration_decision": "复议决定",
    "filing_supervision_suggestion": "立案监督建议",
    "enforcement_application": "申请强制执行",
    "court_acceptance": "法院受理",
    "court_ruling": "法院裁定",
    "service_entrustment": "委托送达",
    "entrusted_service_receipt": "委托送达回执",
    "service_entrustment_refusal": "不能代为送达的复函",
}
STATE_ZH = {
    "pending": "待发送",
    "sent": "已发送",
    "received": "待处理",
    "applied": "已处理",
    "answered": "已回复",
    "dead": "无法处理",
}
# Ledger-only traffic between the sites' logs: not an officer's work.
HIDDEN = frozenset({"checkpoint", "cosignature"})


DESKS_ZH = {"psb": "公安机关", "procuratorate": "人民检察院", "court": "人民法院"}
PROVINCE_ZH = {"hubei": "湖北省劳动保障监察局"}


def site_zh(site_id: str) -> str:
    """A site, a desk of a site (`jiangan.psb`: 江岸区公安机关) or the province."""
    tenant, _, desk = site_id.partition(".")
    site = catalogue.sites().get(tenant)
    if site is None:
        return PROVINCE_ZH.get(site_id, site_id)
    return f"{site.zh}{DESKS_ZH.get(desk, desk)}" if desk else site.zh


def made_here(m: Any) -> str:
    """The intake or case a message became here (routing's `detail`), or ""."""
    for prefix in ("registered as ", "recorded as "):
        if m.detail.startswith(prefix):
            return str(m.detail.removeprefix(prefix)).split()[0]
    return ""


PAGE = 50
# The sites' ledger traffic left out in the query, so every page is a full one.
NOT_HIDDEN = " AND ".join(f"type != {t}" for t in sorted(HIDDEN))


async def listed(
    request: Request,
    o: Officer,
    direction: str,
    type_: str = "",
    *,
    token: str = "",
    page_size: int = PAGE,
) -> tuple[list[Any], str]:
    """One page of the site's messages, newest first, and the next page's token."""
    reply = await call(
        request,
        o,
        "routing",
        "ListMessages",
        rpb.ListMessagesRequest(
            direction=direction,
            type=type_,
            filter=NOT_HIDDEN,
            order_by="time desc",
            page_size=page_size,
            page_token=token,
        ),
    )
    return list(reply.messages), reply.next_page_token


def helpers() -> dict[str, Any]:
    return {
        "type_zh": TYPE_ZH,
        "message_state_zh": STATE_ZH,
        "site_zh": site_zh,
        "made_here": made_here,
    }


@signed_in
async def index(request: Request, o: Officer) -> Response:
    direction = request.query_params.get("direction", "inbox")
    type_ = request.query_params.get("type", "")
    token = request.query_params.get("page_token", "")
    which = direction if direction in ("inbox", "outbox") else ""
    found, next_token = await listed(request, o, which, type_, token=token)
    query = {"direction": direction, "type": type_, "page_token": next_token}
    next_page = f"/messages?{urlencode({k: v for k, v in query.items() if v})}"
    return render(
        request,
        "messages.html",
        messages=found,
        direction=direction,
        type=type_,
        next_page=next_page if next_token else "",
        first_page=f"/messages?direction={direction}" if token else "",
        **helpers(),
    )


@signed_in
async def show(request: Request, o: Officer) -> Response:
    name = f"messages/{request.path_params['id']}"
    m = (await call(request, o, "routing", "GetMessage", rpb.GetMessageRequest(name=name))).message
    try:
        payload = json.loads(m.envelope.payload_json or "{}")
    except ValueError:
        payload = {"payload": m.envelope.payload_json}
    waiting = m.direction == "inbox" and m.state == rpb.Message.RECEIVED
    is_request = m.envelope.type == "assistance_request"
    return render(
        request,
        "message.html",
        m=m,
        payload=json.dumps(payload, ensure_ascii=False, indent=2),
        may_reply=waiting and is_request and o.has("handler"),
        # Art 37(5): the entrusted site serves it (with the evidence) or refuses it.
        may_serve_entrusted=waiting
        and m.envelope.type == entrustments.INCOMING
        and o.has(*entrustments.SERVERS),
        refusals=entrustments.REFUSALS_ZH,
        may_forward=waiting
        and is_request
        and o.has("reviewer")
        and catalogue.sites()[o.tenant].level == "city",
        **helpers(),
    )


@signed_in
async def reply(request: Request, o: Officer) -> Response:
    form = await request.form()
    name = f"messages/{request.path_params['id']}"
    msg = rpb.ReplyToAssistanceRequestRequest(
        request_id=str(form.get("request_id", "")),
        message=name,
        findings=str(form.get("findings", "")),
        handler_name=str(form.get("handler_name", "")),
    )
    await call(request, o, "routing", "ReplyToAssistanceRequest", msg)
    return RedirectResponse(f"/{name}", status_code=303)


@signed_in
async def forward(request: Request, o: Officer) -> Response:
    form = await request.form()
    name = f"messages/{request.path_params['id']}"
    msg = rpb.ForwardAssistanceRequestRequest(
        request_id=str(form.get("request_id", "")), message=name
    )
    await call(request, o, "routing", "ForwardAssistanceRequest", msg)
    return RedirectResponse(f"/{name}", status_code=303)


ROUTES = [
    Route("/messages", index),
    Route("/messages/{id}", show),
    Route("/messages/{id}/reply", reply, methods=["POST"]),
    Route("/messages/{id}/forward", forward, methods=["POST"]),
]
