"""What leaves the office from a case: an assistance request to another organisation
(Art 21, cases.SendAssistanceRequest), a document the catalogue sends to an outside
desk (the criminal referral to the public security with the copy to the procuratorate,
Art 30; cases.SendCriminalReferral and SendDeskDocument), and the service of a
document on its recipient with the evidence of that service (Art 37,
enforcement.ServeDocument). The services decide; a refusal comes back beside the field
it names."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

from google.protobuf import timestamp_pb2
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.console.backend import Refusal
from liuhen.console.session import Officer
from liuhen.console.views import call, render, signed_in
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.platform import catalogue
from liuhen.platform.calendar import CHINA

# The ways of service of Art 37, as the receipt names them.
METHODS_ZH = (
    ("direct", "直接送达"),
    ("left_at_premises", "留置送达"),
    ("mail", "邮寄送达"),
    ("fax", "传真送达"),
    ("email", "电子邮件送达"),
    ("entrusted", "委托送达"),
    ("public_notice", "公告送达"),
)
# What each way records (the request's `details`, Art 37(1)-(6)), in the form's words.
DETAILS_ZH = (
    ("refusal", "拒收情况（直接送达受送达人拒签时）"),
    ("witnesses", "见证人（留置送达）"),
    ("tracking_number", "邮件单号（邮寄送达）"),
    ("receipt_signed_on", "回执签收日期（邮寄送达）"),
    ("returned_reason", "退回原因（邮寄送达被退回）"),
    ("fax_number", "传真号码（传真送达）"),
    ("email_address", "电子邮箱（电子邮件送达）"),
    ("received_time", "对方收到时间（传真、电子邮件）"),
    ("entrusted_body", "受委托机关（委托送达）"),
    ("reason", "公告理由（公告送达）"),
    ("notice_method", "公告方式（公告送达）"),
    ("notice_text", "公告内容（公告送达）"),
)
# The evidence of a service (enforcement.proto `Evidence.kind`).
EVIDENCE_ZH = (
    ("photo", "照片"),
    ("video", "视频"),
    ("postal_slip", "邮寄凭单"),
    ("return_receipt", "邮件回执"),
    ("returned_mail", "退回邮件"),
    ("call_recording", "通话录音"),
    ("sms", "短信"),
    ("screenshot", "截图"),
    ("screen_recording", "录屏"),
)
EVIDENCE_ROWS = 3
# The referral that goes with its copy to the procuratorate in one step (Art 30).
CRIMINAL_REFERRAL = "criminal_referral_letter"
PROVINCE_DESK = ("hubei", "湖北省劳动保障监察局")
# Recipients reached through routing, never served a receipt (sites.yaml: peers, desks).
ROUTED = frozenset({"peer", "psb", "procuratorate", "court"})


@cache
def desk_documents() -> frozenset[str]:
    """The documents the catalogue sends to an outside desk (documents.yaml
    `sent_through`): the console offers their send button once effective."""
    docs = catalogue._load("documents.yaml")["documents"]  # the same data, read as is
    return frozenset(d["code"] for d in docs if d.get("sent_through"))


def served_types() -> frozenset[str]:
    """The documents served on a person or unit (not on a peer organisation, which
    routing reaches): the console offers their serve link once effective."""
    return frozenset(
        code
        for code, t in catalogue.documents().items()
        if set(t.served_to) - ROUTED and code not in desk_documents()
    )


def assistance_recipients(o: Officer) -> list[tuple[str, str]]:
    """Every other organisation; the province desk from the city (Art 21(1))."""
    out = [(s.id, s.zh) for s in catalogue.sites().values() if s.id != o.tenant]
    if catalogue.sites()[o.tenant].level == "city":
        out.append(PROVINCE_DESK)
    return out


def _doc(request: Request) -> str:
    return f"cases/{request.path_params['id']}/documents/{request.path_params['doc']}"


@signed_in
async def send_assistance(request: Request, o: Officer) -> Response:
    form = await request.form()
    msg = cpb.SendAssistanceRequestRequest(
        request_id=str(form.get("request_id", "")),
        document=_doc(request),
        recipient=str(form.get("recipient", "")),
        across_province=form.get("across_province") == "on",
    )
    reply = await call(request, o, "cases", "SendAssistanceRequest", msg)
    return RedirectResponse(
        f"/cases/{request.path_params['id']}?sent={reply.message_id}", status_code=303
    )


@signed_in
async def send_desk(request: Request, o: Officer) -> Response:
    """The catalogue's desk document out of the tenant: the criminal referral with its
    copy (Art 30), or any other document with `sent_through`."""
    form = await request.form()
    got = await call(request, o, "cases", "GetDocument", cpb.GetDocumentRequest(name=_doc(request)))
    method = (
        "SendCriminalReferral" if got.document.type == CRIMINAL_REFERRAL else "SendDeskDocument"
    )
    msg = cpb.SendDeskDocumentRequest(
        request_id=str(form.get("request_id", "")), document=_doc(request)
    )
    reply = await call(request, o, "cases", method, msg)
    sent = ",".join(m.message_id for m in reply.messages)
    return RedirectResponse(f"/cases/{request.path_params['id']}?sent={sent}", status_code=303)


async def _document(request: Request, o: Officer, name: str) -> tuple[Any, str, str]:
    """The document to serve, its case's or intake's page, and what the page calls it."""
    if name.startswith("intakes/"):
        got = await call(
            request, o, "intake", "GetIntakeDocument", ipb.GetIntakeDocumentRequest(name=name)
        )
        return got.document, got.intake.name, got.intake.employer.name
    got = await call(request, o, "cases", "GetDocument", cpb.GetDocumentRequest(name=name))
    return got.document, got.case.name, got.case.case_number


def render_form(
    request: Request,
    doc: Any,
    back: str,
    label: str,
    form: dict[str, str],
    error: Refusal | None = None,
    *,
    action: str = "/serve",
    target: tuple[str, str] | None = None,
    methods: tuple[tuple[str, str], ...] = METHODS_ZH,
    letter: dict[str, Any] | None = None,
) -> Response:
    """The 送达回执 form: of a document here (`/serve`), or of one another site
    entrusted to this one (`target` names the inbox message, Art 37(5))."""
    errors: dict[str, Refusal] = {}
    if error:
        for key in ("method", "recipient", "signed_by", "served_time", "evidence", "place", "note"):
            said = error.on(key) or error.on(f"details.{key}")
            if said:
                errors[key] = replace(error, message=said)
        for key, _ in DETAILS_ZH:
            if error.on(f"details.{key}") or error.on(key):
                errors[f"details.{key}"] = replace(
                    error, message=error.on(f"details.{key}") or error.on(key)
                )
    return render(
        request,
        "serve.html",
        doc=doc,
        back=back,
        label=label,
        action=action,
        target=target or ("document", doc.name),
        letter=letter or {},
        methods=methods,
        details=DETAILS_ZH,
        evidence_kinds=EVIDENCE_ZH,
        rows=range(EVIDENCE_ROWS),
        form=form,
        errors=errors,
        error=error,
        status=400 if error else 200,
    )


@signed_in
async def serve_form(request: Request, o: Officer) -> Response:
    doc, back, label = await _document(request, o, request.query_params.get("document", ""))
    return render_form(request, doc, back, label, {})


def served_time(text: str) -> timestamp_pb2.Timestamp | None:
    """A datetime-local input, in Wuhan's time; empty means now (the service's default)."""
    if not text:
        return None
    stamp = timestamp_pb2.Timestamp()
    try:
        stamp.FromDatetime(datetime.fromisoformat(text).replace(tzinfo=CHINA))
    except ValueError:
        return None
    return stamp


async def evidence_of(form: Any) -> list[epb.Evidence]:
    out = []
    for i in range(EVIDENCE_ROWS):
        upload = form.get(f"evidence.{i}.file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        out.append(
            epb.Evidence(
                kind=str(form.get(f"evidence.{i}.kind", "")),
                filename=upload.filename,
                content_type=upload.content_type or "application/octet-stream",
                content=await upload.read(),
                description=str(form.get(f"evidence.{i}.description", "")),
            )
        )
    return out


@signed_in
async def serve(request: Request, o: Officer) -> Response:
    form = await request.form()
    text = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    name = text.get("document", "")
    msg = epb.ServeDocumentRequest(
        request_id=text.get("request_id", ""),
        document=name,
        method=method_value(text.get("method", "")),
        recipient=text.get("recipient", ""),
        signed_by=text.get("signed_by", ""),
        note=text.get("note", ""),
        place=text.get("place", ""),
        details=details_of(text),
        evidence=await evidence_of(form),
    )
    when = served_time(text.get("served_time", ""))
    if when is not None:
        msg.served_time.CopyFrom(when)
    try:
        await call(request, o, "enforcement", "ServeDocument", msg)
    except Refusal as refusal:
        doc, back, label = await _document(request, o, name)
        return render_form(request, doc, back, label, text, refusal)
    back = "/".join(name.split("/")[:2])  # cases/{id} or intakes/{id}
    return RedirectResponse(f"/{back}#services", status_code=303)


def details_of(text: dict[str, str]) -> dict[str, str]:
    """What the way of service records, as the form's `details.<what>` inputs gave it."""
    return {k: text[f"details.{k}"] for k, _ in DETAILS_ZH if text.get(f"details.{k}")}


def method_value(text: str) -> epb.ServiceMethod:
    """The form's method as the enum; anything else unspecified (the service names it)."""
    key = f"SERVICE_METHOD_{text.upper()}"
    if key not in epb.ServiceMethod.DESCRIPTOR.values_by_name:
        return epb.SERVICE_METHOD_UNSPECIFIED
    method: epb.ServiceMethod = epb.ServiceMethod.Value(key)
    return method


ROUTES = [
    Route("/cases/{id}/documents/{doc}/send-assistance", send_assistance, methods=["POST"]),
    Route("/cases/{id}/documents/{doc}/send", send_desk, methods=["POST"]),
    Route("/serve", serve_form),
    Route("/serve", serve, methods=["POST"]),
]
