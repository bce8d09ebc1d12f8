"""Entrusted service between sites (委托送达, seed Art 37(5); docs/entrusted-service.md):
the handling bureau sends its effective 委托送达函 from the case page
(enforcement.EntrustService) and follows the entrustment there until the 送达回执 or
the refusal comes back; the entrusted site finds the entrustment in its inbox and on
its work list, and serves the document by an Art 37 method with that method's evidence
and the circumstances noted (ServeEntrustedDocument), or refuses it
(RefuseEntrustment). The enforcement service decides each step."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.console import sending
from liuhen.console.backend import Refusal
from liuhen.console.session import Officer
from liuhen.console.views import call, signed_in
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.platform import catalogue
from liuhen.routing.v1 import routing_pb2 as rpb

LETTER = "service_entrustment"  # the 劳动保障监察委托送达函 (documents.yaml)
INCOMING = "service_entrustment"  # its routing message
STATE_ZH = {"pending": "待回执", "served": "已送达", "refused": "已退回（不能代为送达）"}
# enforcement.proto RefusalReason, in the words of docs/entrusted-service.md.
REFUSALS_ZH = (
    ("not_its_area", "受送达人不在本辖区"),
    ("recipient_unknown", "受送达人不明"),
)
SERVERS = ("handler", "reviewer")  # the 送达回执's drafters (documents.yaml service_receipt)


def refusal_value(text: str) -> epb.RefusalReason:
    key = f"REFUSAL_REASON_{text.upper()}"
    if key not in epb.RefusalReason.DESCRIPTOR.values_by_name:
        return epb.REFUSAL_REASON_UNSPECIFIED
    value: epb.RefusalReason = epb.RefusalReason.Value(key)
    return value


def site_zh(site: str) -> str:
    found = catalogue.sites().get(site)
    return found.zh if found else site


async def of_case(request: Request, o: Officer, case: str) -> list[Any]:
    reply = await call(
        request, o, "enforcement", "ListEntrustments", epb.ListEntrustmentsRequest(case=case)
    )
    return list(reply.entrustments)


def helpers() -> dict[str, Any]:
    return {
        "entrustment_state_zh": STATE_ZH,
        "refusal_zh": dict(REFUSALS_ZH),
        "site_name_zh": site_zh,
    }


@signed_in
async def entrust(request: Request, o: Officer) -> Response:
    """Send the effective letter (and the document it names) to the entrusted site."""
    form = await request.form()
    letter = f"cases/{request.path_params['id']}/documents/{request.path_params['doc']}"
    reply = await call(
        request,
        o,
        "enforcement",
        "EntrustService",
        epb.EntrustServiceRequest(request_id=str(form.get("request_id", "")), letter=letter),
    )
    e = reply.entrustment
    return RedirectResponse(
        f"/cases/{request.path_params['id']}?sent={site_zh(e.entrusted_site)}#entrustments",
        status_code=303,
    )


async def incoming(request: Request, o: Officer, message_id: str) -> tuple[Any, dict[str, Any]]:
    """The entrustment in this site's inbox and what it carries (letter, document)."""
    name = f"messages/{message_id}"
    m = (await call(request, o, "routing", "GetMessage", rpb.GetMessageRequest(name=name))).message
    try:
        body = json.loads(m.envelope.payload_json or "{}")
    except ValueError:
        body = {}
    return m, body if isinstance(body, dict) else {}


def _doc_of(m: Any, body: dict[str, Any]) -> Any:
    """What the serve form shows as the document served: its title and the message."""
    doc = body.get("document", {}) if isinstance(body.get("document"), dict) else {}
    kind = catalogue.documents().get(str(doc.get("type", "")))
    title = kind.zh if kind else str(doc.get("type", "文书"))
    sender = site_zh(m.envelope.sender)
    return SimpleNamespace(title_zh=f"{title}（受{sender}委托送达）", name=m.name)


def _serve_form(
    request: Request, m: Any, body: dict[str, Any], form: dict[str, str], error: Refusal | None
) -> Response:
    letter = body.get("letter", {}) if isinstance(body.get("letter"), dict) else {}
    filled = {
        "recipient": str(letter.get("recipient", "")),
        "place": str(letter.get("address", "")),
        "method": str(letter.get("method", "")),
        **form,
    }
    return sending.render_form(
        request,
        _doc_of(m, body),
        m.name,
        f"委托送达（来自{site_zh(m.envelope.sender)}，案号 {m.envelope.case_number}）",
        filled,
        error,
        action=f"/{m.name}/serve-entrusted",
        target=("message", m.name),
        methods=tuple((k, zh) for k, zh in sending.METHODS_ZH if k != "entrusted"),
        letter=letter,
    )


@signed_in
async def serve_form(request: Request, o: Officer) -> Response:
    m, body = await incoming(request, o, request.path_params["id"])
    return _serve_form(request, m, body, {}, None)


@signed_in
async def serve(request: Request, o: Officer) -> Response:
    form = await request.form()
    text = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    name = f"messages/{request.path_params['id']}"
    msg = epb.ServeEntrustedDocumentRequest(
        request_id=text.get("request_id", ""),
        message=name,
        method=sending.method_value(text.get("method", "")),
        recipient=text.get("recipient", ""),
        signed_by=text.get("signed_by", ""),
        note=text.get("note", ""),
        place=text.get("place", ""),
        details=sending.details_of(text),
        evidence=await sending.evidence_of(form),
    )
    when = sending.served_time(text.get("served_time", ""))
    if when is not None:
        msg.served_time.CopyFrom(when)
    try:
        await call(request, o, "enforcement", "ServeEntrustedDocument", msg)
    except Refusal as refusal:
        m, body = await incoming(request, o, request.path_params["id"])
        return _serve_form(request, m, body, text, refusal)
    return RedirectResponse(f"/{name}", status_code=303)


@signed_in
async def refuse(request: Request, o: Officer) -> Response:
    form = await request.form()
    name = f"messages/{request.path_params['id']}"
    await call(
        request,
        o,
        "enforcement",
        "RefuseEntrustment",
        epb.RefuseEntrustmentRequest(
            request_id=str(form.get("request_id", "")),
            message=name,
            reason=refusal_value(str(form.get("reason", ""))),
            note=str(form.get("note", "")),
        ),
    )
    return RedirectResponse(f"/{name}", status_code=303)


ROUTES = [
    Route("/cases/{id}/documents/{doc}/entrust", entrust, methods=["POST"]),
    Route("/messages/{id}/serve-entrusted", serve_form),
    Route("/messages/{id}/serve-entrusted", serve, methods=["POST"]),
    Route("/messages/{id}/refuse-entrustment", refuse, methods=["POST"]),
]
