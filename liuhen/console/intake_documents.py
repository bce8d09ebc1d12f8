"""The intake's own documents (Art 11, 13-15): the non-acceptance decision, the
supplement notice, the jurisdiction transfer slip (移送管辖单), the city's designation
slip (指定办理单) and a district's dispute request (提请指定管辖). Drafted from the form
their type describes, submitted and approved along the catalogue's chain; once
effective, the intake service sends a slip through routing to its recipient. Which
officer may draft which, at which level and in which state, is the service's to say."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.console import forms
from liuhen.console.backend import Refusal
from liuhen.console.session import Officer
from liuhen.console.views import call, render, signed_in
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.platform import catalogue

# The intake documents that travel to another organisation: the form asks where to.
ADDRESSED = ("jurisdiction_transfer_slip", "designation_slip")
PROVINCE_DESK = ("hubei", "湖北省劳动保障监察局")


def draftable(o: Officer) -> list[tuple[str, str]]:
    """The intake documents the officer's roles draft at this level (documents.yaml)."""
    level = catalogue.sites()[o.tenant].level
    return [
        (code, t.zh)
        for code, t in catalogue.documents().items()
        if t.stage == "intake"
        and code != "filing_approval"  # its own form on the intake page (Art 11)
        and not t.recorded_by
        and set(t.drafters.get(level, ())).intersection(o.roles)
    ]


def recipients(o: Officer) -> list[tuple[str, str]]:
    """The other organisations, and the province for the city (Art 13)."""
    out = [(s.id, s.zh) for s in catalogue.sites().values() if s.id != o.tenant]
    if catalogue.sites()[o.tenant].level == "city":
        out.append(PROVINCE_DESK)
    return out


def _intake(request: Request) -> str:
    return f"intakes/{request.path_params['id']}"


def _doc(request: Request) -> str:
    return f"{_intake(request)}/documents/{request.path_params['doc']}"


async def _type(request: Request, o: Officer, code: str) -> cpb.DocumentType:
    reply = await call(
        request,
        o,
        "cases",
        "GetDocumentType",
        cpb.GetDocumentTypeRequest(name=f"documentTypes/{code}"),
    )
    doc_type: cpb.DocumentType = reply.document_type
    return doc_type


def _form(
    request: Request,
    o: Officer,
    doc_type: cpb.DocumentType,
    form: dict[str, str],
    error: Refusal | None = None,
) -> Response:
    fields = forms.fields_of(doc_type)
    return render(
        request,
        "document_form.html",
        case="",
        back=_intake(request),
        action=f"/{_intake(request)}/documents",
        doc_type=doc_type,
        fields=fields,
        recipients=recipients(o) if doc_type.code in ADDRESSED else [],
        form=form,
        errors=forms.errors_beside(fields, error, ("recipient",)) if error else {},
        error=error,
        status=400 if error else 200,
    )


@signed_in
async def new(request: Request, o: Officer) -> Response:
    return _form(request, o, await _type(request, o, request.query_params.get("type", "")), {})


@signed_in
async def draft(request: Request, o: Officer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    doc_type = await _type(request, o, form.get("type", ""))
    msg = ipb.DraftIntakeDocumentRequest(
        request_id=form.get("request_id", ""),
        intake=_intake(request),
        type=doc_type.code,
        content_json=forms.content_json(forms.fields_of(doc_type), form),
        recipient=form.get("recipient", ""),
    )
    try:
        reply = await call(request, o, "intake", "DraftIntakeDocument", msg)
    except Refusal as refusal:
        return _form(request, o, doc_type, form, refusal)
    return RedirectResponse(f"/{reply.document.name}", status_code=303)


@signed_in
async def show(request: Request, o: Officer) -> Response:
    reply = await call(
        request, o, "intake", "GetIntakeDocument", ipb.GetIntakeDocumentRequest(name=_doc(request))
    )
    doc = reply.document
    content = json.loads(doc.content_json or "{}")
    fields = forms.fields_of(await _type(request, o, doc.type))
    nxt = (
        doc.approval_chain[0]
        if doc.state == ipb.IntakeDocument.SUBMITTED and doc.approval_chain
        else ""
    )
    site = catalogue.sites().get(doc.recipient)
    return render(
        request,
        "intake_document.html",
        doc=doc,
        intake=reply.intake,
        recipient_zh=site.zh if site else dict([PROVINCE_DESK]).get(doc.recipient, doc.recipient),
        fields=[(f, content.get(f.name)) for f in fields],
        may_submit=doc.state == ipb.IntakeDocument.DRAFT and doc.drafted_by == o.user_id,
        may_approve=bool(nxt) and o.has(nxt),
    )


async def _step(request: Request, o: Officer, method: str, msg: object) -> Response:
    await call(request, o, "intake", method, msg)
    return RedirectResponse(f"/{_doc(request)}", status_code=303)


@signed_in
async def submit(request: Request, o: Officer) -> Response:
    form = await request.form()
    msg = ipb.SubmitIntakeDocumentRequest(
        request_id=str(form.get("request_id", "")), document=_doc(request)
    )
    return await _step(request, o, "SubmitIntakeDocument", msg)


@signed_in
async def approve(request: Request, o: Officer) -> Response:
    form = await request.form()
    msg = ipb.ApproveIntakeDocumentRequest(
        request_id=str(form.get("request_id", "")),
        document=_doc(request),
        comment=str(form.get("comment", "")),
    )
    return await _step(request, o, "ApproveIntakeDocument", msg)


@signed_in
async def return_(request: Request, o: Officer) -> Response:
    form = await request.form()
    msg = ipb.ReturnIntakeDocumentRequest(
        request_id=str(form.get("request_id", "")),
        document=_doc(request),
        reasons=str(form.get("reasons", "")),
    )
    return await _step(request, o, "ReturnIntakeDocument", msg)


ROUTES = [
    Route("/intakes/{id}/documents/new", new),
    Route("/intakes/{id}/documents", draft, methods=["POST"]),
    Route("/intakes/{id}/documents/{doc}", show),
    Route("/intakes/{id}/documents/{doc}/submit", submit, methods=["POST"]),
    Route("/intakes/{id}/documents/{doc}/approve", approve, methods=["POST"]),
    Route("/intakes/{id}/documents/{doc}/return", return_, methods=["POST"]),
]
