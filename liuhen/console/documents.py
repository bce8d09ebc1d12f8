"""Draft a document from the form its type describes (GetDocumentType), submit it, and
pass it along its approval chain: the reviewer passes it or returns it with reasons,
the heads approve (Art 6, 29, 31). Buttons follow the officer's roles; the service
decides (a forged post is refused there)."""

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


def _case(request: Request) -> str:
    return f"cases/{request.path_params['id']}"


def _doc(request: Request) -> str:
    return f"{_case(request)}/documents/{request.path_params['doc']}"


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


@signed_in
async def new(request: Request, o: Officer) -> Response:
    doc_type = await _type(request, o, request.query_params.get("type", ""))
    return render(
        request,
        "document_form.html",
        case=_case(request),
        doc_type=doc_type,
        fields=forms.fields_of(doc_type),
        form={},
        errors={},
        error=None,
    )


@signed_in
async def draft(request: Request, o: Officer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    doc_type = await _type(request, o, form.get("type", ""))
    fields = forms.fields_of(doc_type)
    msg = cpb.DraftDocumentRequest(
        request_id=form.get("request_id", ""),
        case=_case(request),
        type=doc_type.code,
        content_json=forms.content_json(fields, form),
    )
    try:
        reply = await call(request, o, "cases", "DraftDocument", msg)
    except Refusal as refusal:
        return render(
            request,
            "document_form.html",
            case=_case(request),
            doc_type=doc_type,
            fields=fields,
            form=form,
            errors=forms.errors_beside(fields, refusal),
            error=refusal,
            status=400,
        )
    return RedirectResponse(f"/{reply.document.name}", status_code=303)


@signed_in
async def show(request: Request, o: Officer) -> Response:
    reply = await call(
        request, o, "cases", "GetDocument", cpb.GetDocumentRequest(name=_doc(request))
    )
    doc = reply.document
    doc_type = await _type(request, o, doc.type)
    content = json.loads(doc.content_json or "{}")
    nxt = (
        doc.approval_chain[0] if doc.state == cpb.Document.SUBMITTED and doc.approval_chain else ""
    )
    return render(
        request,
        "document.html",
        doc=doc,
        case=reply.case,
        fields=[(f, content.get(f.name)) for f in forms.fields_of(doc_type)],
        may_submit=doc.state == cpb.Document.DRAFT and doc.drafted_by == o.user_id,
        may_review=nxt == "reviewer" and o.has("reviewer"),
        may_approve=bool(nxt) and nxt != "reviewer" and o.has(nxt),
    )


async def _step(request: Request, o: Officer, method: str, msg: object) -> Response:
    await call(request, o, "cases", method, msg)
    return RedirectResponse(f"/{_doc(request)}", status_code=303)


@signed_in
async def submit(request: Request, o: Officer) -> Response:
    form = await request.form()
    rid = str(form.get("request_id", ""))
    return await _step(
        request,
        o,
        "SubmitDocument",
        cpb.SubmitDocumentRequest(request_id=rid, document=_doc(request)),
    )


@signed_in
async def review(request: Request, o: Officer) -> Response:
    """The reviewer passes the document on, or (`passed` absent) returns it with reasons."""
    form = await request.form()
    msg = cpb.ReviewDocumentRequest(
        request_id=str(form.get("request_id", "")),
        document=_doc(request),
        passed=form.get("passed") == "true",
        comment=str(form.get("comment", "")),
    )
    return await _step(request, o, "ReviewDocument", msg)


@signed_in
async def approve(request: Request, o: Officer) -> Response:
    form = await request.form()
    msg = cpb.ApproveDocumentRequest(
        request_id=str(form.get("request_id", "")),
        document=_doc(request),
        comment=str(form.get("comment", "")),
    )
    return await _step(request, o, "ApproveDocument", msg)


ROUTES = [
    Route("/cases/{id}/documents/new", new),
    Route("/cases/{id}/documents", draft, methods=["POST"]),
    Route("/cases/{id}/documents/{doc}", show),
    Route("/cases/{id}/documents/{doc}/submit", submit, methods=["POST"]),
    Route("/cases/{id}/documents/{doc}/review", review, methods=["POST"]),
    Route("/cases/{id}/documents/{doc}/approve", approve, methods=["POST"]),
]
