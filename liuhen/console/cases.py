"""The case page (state, next steps, deadlines with the overdue in red, documents with
their PDFs, recordings, the ledger as a timeline with its verification) and the
head's assignment of the handler and reviewer (Art 6)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.console import entrustments, sending
from liuhen.console.login import TEST_USERS
from liuhen.console.session import Officer
from liuhen.console.views import backend, call, page_of, render, signed_in
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.platform import catalogue
from liuhen.platform.enums import key_of

ACTIONS_ZH = {
    "intake.registered": "登记投诉举报",
    "intake.material_received": "接收材料",
    "filing_approval.drafted": "制作立案审批表",
    "filing_approval.approved": "批准立案",
    "case.opened": "立案",
    "case.handler_assigned": "指派承办人",
    "case.advanced": "案件进入下一阶段",
    "case.marked": "标记案件",
    "case.archived": "归档",
    "document.drafted": "制作文书",
    "document.submitted": "提交文书",
    "document.reviewed": "审理通过",
    "document.returned": "退回修改",
    "document.approved": "审批同意",
    "document.printed": "文书生成PDF",
    "interview.recorded": "询问笔录",
    "material.received": "接收材料",
    "assistance_request.sent": "发出协查函",
    "assistance_request.received": "收到委托协查函",
    "assistance_request.forwarded": "协查函报省局",
    "assistance_reply.sent": "发出协查回函",
    "document.served": "文书送达",
    "jurisdiction_dispute.settled": "管辖争议已指定",
    "recording.offsite_copied": "录音录像异地备份",
    "recording.fixity_verified": "录音录像完整性核验",
    "recording.legal_hold_placed": "录音录像诉讼保全",
    "recording.stored": "录音录像入库",
}
# `<document type>.<step>` entries (desks, inbound documents, intake documents).
STEPS_ZH = {
    "drafted": "制作",
    "submitted": "提交",
    "returned": "退回",
    "approved": "批准",
    "effective": "生效",
    "sent": "发送",
    "received": "收到",
}
PartRequest = Callable[[int], Any]


def action_zh(action: str) -> str:
    """A ledger entry's action in the officers' words: 发送劳动保障监察案件移送书."""
    if action in ACTIONS_ZH:
        return ACTIONS_ZH[action]
    code, _, step = action.rpartition(".")
    doc_type = catalogue.documents().get(code)
    if doc_type and step in STEPS_ZH:
        return f"{STEPS_ZH[step]}{doc_type.zh}"
    return action


def _names(request: Request) -> tuple[str, str]:
    return f"cases/{request.path_params['id']}", request.path_params["id"]


@signed_in
async def show(request: Request, o: Officer) -> Response:
    name, _ = _names(request)
    case = (await call(request, o, "cases", "GetCase", cpb.GetCaseRequest(name=name))).case
    # A case's lists are paged (issue 12): the first page of each, and a link to more.
    parent, by_case = f"tenants/{o.tenant}", f'case = "{name}"'
    documents = await page_of(
        request,
        o,
        "ListDocuments",
        cpb.ListDocumentsRequest(parent=parent, filter=by_case, order_by="drafted_time"),
        "documents",
        "documents_page",
    )
    deadlines = await page_of(
        request,
        o,
        "ListDeadlines",
        cpb.ListDeadlinesRequest(parent=parent, filter=by_case),
        "deadlines",
        "deadlines_page",
    )
    ledger = await page_of(
        request,
        o,
        "ListLedgerEntries",
        cpb.ListLedgerEntriesRequest(parent=name),
        "entries",
        "ledger_page",
    )
    verified = await call(request, o, "cases", "VerifyLedger", cpb.VerifyLedgerRequest(case=name))
    recordings = await call(
        request, o, "media", "ListRecordings", mpb.ListRecordingsRequest(case=name)
    )
    services = await call(
        request,
        o,
        "enforcement",
        "ListServiceRecords",
        epb.ListServiceRecordsRequest(case=name),
    )
    entrusted = await entrustments.of_case(request, o, name)
    doc_titles = {d.name: d.title_zh for d in documents.items}
    for e in entrusted:  # a document entrusted may be on another page of the documents
        if e.document not in doc_titles:
            got = await call(
                request, o, "cases", "GetDocument", cpb.GetDocumentRequest(name=e.document)
            )
            doc_titles[e.document] = got.document.title_zh
    types = catalogue.documents()
    draftable = [
        (code, types[code].zh)
        for code in catalogue.drafted_in(key_of(case))
        if set(types[code].drafters.get(_level(o.tenant), ())).intersection(o.roles)
    ]
    return render(
        request,
        "case.html",
        case=case,
        documents=documents,
        deadlines=deadlines,
        ledger=ledger,
        verified=verified,
        recordings=list(recordings.recordings),
        draftable=draftable,
        action_zh=action_zh,
        assigning=case.state == cpb.Case.OPEN and o.has("head", "bureau_head"),
        officers=_assignable(o) if _embedded(request) else [],
        services=list(services.records),
        method_zh={sending.method_value(k): zh for k, zh in sending.METHODS_ZH},
        titles={code: t.zh for code, t in types.items()},
        evidence_zh=dict(sending.EVIDENCE_ZH),
        desk_documents=sending.desk_documents(),
        served_types=sending.served_types(),
        assistance_recipients=sending.assistance_recipients(o),
        entrusted=entrusted,
        doc_titles=doc_titles,
        letters_sent={e.letter for e in entrusted},
        letter_type=entrustments.LETTER,
        **entrustments.helpers(),
        sent=request.query_params.get("sent", ""),
        uploaded=request.query_params.get("uploaded", ""),
        refs=_refs(documents.items, list(recordings.recordings), list(services.records)),
    )


def _refs(
    documents: list[Any], recordings: list[Any], services: list[Any]
) -> dict[str, tuple[str, str]]:
    """What a ledger entry's refs (the hashes it binds) point at on this page: a
    document (its title, linked), a recording, a 送达回执 or a piece of its evidence."""
    out: dict[str, tuple[str, str]] = {}
    for r in recordings:
        out[r.sha256] = ("#recordings", "录音录像")
    for s in services:
        out[s.receipt_sha256] = ("#services", "送达回执")
        for e in s.evidence:
            out[e.sha256] = ("#services", "送达证据")
    for d in documents:  # the page shown: an entry of another page's document stays plain
        if d.content_sha256:
            out[d.content_sha256] = (f"/{d.name}", d.title_zh)
    return out


def _embedded(request: Request) -> bool:
    return bool(request.app.state.settings.platform.profile == "embedded")


def _level(tenant: str) -> str:
    return catalogue.sites()[tenant].level


def _assignable(o: Officer) -> list[tuple[str, str, str]]:
    """On the embedded default the head picks among the test officers (whose user ids
    the embedded issuer derives); on the stack the head types the user id."""
    from liuhen.cli.tokens import NAMES, role_of

    out = []
    for username in TEST_USERS:
        role = role_of(username)
        if role in ("handler", "reviewer"):
            user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{o.tenant}/{username}"))
            out.append((role, user_id, f"{NAMES[role]}{username.removeprefix(role)}"))
    return out


@signed_in
async def assign(request: Request, o: Officer) -> Response:
    name, _ = _names(request)
    form = await request.form()
    handler, _, handler_name = str(form.get("handler", "")).partition("|")
    await call(
        request,
        o,
        "cases",
        "AssignHandler",
        cpb.AssignHandlerRequest(
            request_id=str(form.get("request_id", "")),
            case=name,
            handler=handler,
            handler_name=handler_name or str(form.get("handler_name", "")),
            reviewer=str(form.get("reviewer", "")),
        ),
    )
    return RedirectResponse(f"/{name}", status_code=303)


def _pdf(request: Request, o: Officer, method: str, first: object, make: PartRequest) -> Response:
    """The PDF in its parts of at most 1 MiB, each asked for as the browser reads on, so
    no whole file sits in the console."""

    async def parts() -> AsyncIterator[bytes]:
        part = first.part  # type: ignore[attr-defined]
        while True:
            yield part.data
            offset = part.offset + len(part.data)
            if not part.data or offset >= part.total_size:
                return
            reply = await backend(request).call(o.token, "cases", method, make(offset))
            part = reply.part

    total = first.part.total_size  # type: ignore[attr-defined]
    return StreamingResponse(
        parts(),
        media_type="application/pdf",
        headers={"Content-Length": str(total), "Content-Disposition": "inline"},
    )


@signed_in
async def document_pdf(request: Request, o: Officer) -> Response:
    name = f"cases/{request.path_params['id']}/documents/{request.path_params['doc']}"

    def make(offset: int) -> cpb.GetDocumentPdfRequest:
        return cpb.GetDocumentPdfRequest(name=name, offset=offset)

    first = await call(request, o, "cases", "GetDocumentPdf", make(0))
    return _pdf(request, o, "GetDocumentPdf", first, make)


@signed_in
async def case_file_pdf(request: Request, o: Officer) -> Response:
    name, _ = _names(request)

    def make(offset: int) -> cpb.GetCaseFilePdfRequest:
        return cpb.GetCaseFilePdfRequest(case=name, offset=offset)

    first = await call(request, o, "cases", "GetCaseFilePdf", make(0))
    return _pdf(request, o, "GetCaseFilePdf", first, make)


ROUTES = [
    Route("/cases/{id}", show),
    Route("/cases/{id}/assign", assign, methods=["POST"]),
    Route("/cases/{id}/file.pdf", case_file_pdf),
    Route("/cases/{id}/documents/{doc}/pdf", document_pdf),
]
