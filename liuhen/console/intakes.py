"""Register a complaint or report (the three registration forms, Art 8-10), draft the
filing approval form, approve filing (Art 11, 13) and open the case."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.console import intake_documents
from liuhen.console.backend import Refusal
from liuhen.console.session import Officer
from liuhen.console.views import call, render, signed_in
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.platform import catalogue

KINDS = (
    ("complaint", "劳动保障监察投诉登记表"),
    ("construction_complaint", "举报（投诉）登记表（建设领域）"),
    ("report", "劳动保障监察举报登记表"),
)
SOURCES = (
    ("visit", "来访"),
    ("phone", "电话"),
    ("letter", "来信"),
    ("transfer", "转办"),
    ("assignment", "交办"),
    ("other", "其他"),
)

# The form's inputs and the request fields a refusal names (BadRequest.FieldViolation).
FIELDS = {
    "kind": "kind",
    "source": "source",
    "referring_agency": "referring_agency",
    "complainant": "complainant.name",
    "contact": "complainant.contact",
    "employer": "employer.name",
    "address": "employer.address",
    "violation": "violation",
}


@signed_in
async def new_intake(request: Request, o: Officer) -> Response:
    return render(
        request, "intake_new.html", kinds=KINDS, sources=SOURCES, form={}, error=None, errors={}
    )


@signed_in
async def register(request: Request, o: Officer) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    msg = ipb.RegisterComplaintRequest(
        request_id=form.get("request_id", ""),
        source=ipb.Source.Value(f"SOURCE_{form.get('source', 'other').upper()}"),
        kind=ipb.IntakeKind.Value(f"INTAKE_KIND_{form.get('kind', 'complaint').upper()}"),
        complainant=ipb.Person(
            name=form.get("complainant", ""),
            anonymous=form.get("anonymous") == "on",
            contact=form.get("contact", ""),
        ),
        employer=ipb.Employer(name=form.get("employer", ""), address=form.get("address", "")),
        violation=form.get("violation", ""),
        referring_agency=form.get("referring_agency", ""),
    )
    try:
        reply = await call(request, o, "intake", "RegisterComplaint", msg)
    except Refusal as refusal:
        return render(
            request,
            "intake_new.html",
            kinds=KINDS,
            sources=SOURCES,
            form=form,
            error=refusal,
            errors={k: refusal.on(field) for k, field in FIELDS.items() if refusal.on(field)},
            status=400,
        )
    return RedirectResponse(f"/{reply.intake.name}", status_code=303)


@signed_in
async def show(request: Request, o: Officer) -> Response:
    name = f"intakes/{request.path_params['id']}"
    intake = (await call(request, o, "intake", "GetIntake", ipb.GetIntakeRequest(name=name))).intake
    case = ""
    if intake.state == ipb.Intake.FILED:  # the case keeps the intake's id
        try:
            case_name = f"cases/{request.path_params['id']}"
            await call(request, o, "cases", "GetCase", cpb.GetCaseRequest(name=case_name))
            case = case_name
        except Refusal:
            case = ""
    return render(
        request,
        "intake.html",
        intake=intake,
        case=case,
        draftable=intake_documents.draftable(o),
        from_zh=_site_zh(intake.from_site),
    )


def _site_zh(site_id: str) -> str:
    site = catalogue.sites().get(site_id)
    return site.zh if site else site_id


async def _act(request: Request, o: Officer, method: str, msg: object) -> Response:
    await call(request, o, "intake", method, msg)
    return RedirectResponse(f"/intakes/{request.path_params['id']}", status_code=303)


@signed_in
async def draft_filing(request: Request, o: Officer) -> Response:
    form = await request.form()
    return await _act(
        request,
        o,
        "DraftFilingApproval",
        ipb.DraftFilingApprovalRequest(
            request_id=str(form.get("request_id", "")),
            intake=f"intakes/{request.path_params['id']}",
            within_jurisdiction=form.get("within_jurisdiction") == "on",
            summary=str(form.get("summary", "")),
        ),
    )


@signed_in
async def approve_filing(request: Request, o: Officer) -> Response:
    form = await request.form()
    return await _act(
        request,
        o,
        "ApproveFiling",
        ipb.ApproveFilingRequest(
            request_id=str(form.get("request_id", "")),
            intake=f"intakes/{request.path_params['id']}",
            comment=str(form.get("comment", "")),
        ),
    )


@signed_in
async def open_case(request: Request, o: Officer) -> Response:
    form = await request.form()
    intake = f"intakes/{request.path_params['id']}"
    reply = await call(
        request,
        o,
        "cases",
        "OpenCase",
        cpb.OpenCaseRequest(request_id=str(form.get("request_id", "")), intake=intake),
    )
    return RedirectResponse(f"/{reply.case.name}", status_code=303)


ROUTES = [
    Route("/intakes/new", new_intake),
    Route("/intakes", register, methods=["POST"]),
    Route("/intakes/{id}", show),
    Route("/intakes/{id}/filing", draft_filing, methods=["POST"]),
    Route("/intakes/{id}/approve", approve_filing, methods=["POST"]),
    Route("/intakes/{id}/case", open_case, methods=["POST"]),
]
