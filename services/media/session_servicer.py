"""The session methods of MediaService and the upload's attachments (seed Art 7, 23–26,
41). MediaServicer delegates to these; they convert protobuf and call the handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, select

from liuhen.cases.v1 import cases_pb2, cases_pb2_grpc
from liuhen.intake.v1 import intake_pb2, intake_pb2_grpc
from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform import listing
from liuhen.platform.auth import Principal
from liuhen.platform.db import Base, UnitOfWork, utcnow
from liuhen.platform.enums import to_key
from liuhen.platform.server import current_principal
from liuhen.platform.service import call_sibling, parse_name
from liuhen.platform.timestamps import datetime_of
from services.media import handlers
from services.media import session_handlers as sh
from services.media import session_orm as sorm
from services.media.model import (
    AssignedCase,
    Labels,
    Recording,
    UploadRecording,
    check_open,
    check_uploader,
    validate_upload,
)
from services.media.session_convert import (
    attached_pb,
    attachment_of,
    create_command_of,
    session_to_pb,
    upload_command_of,
)
from services.media.sessions import Attachment, Session

if TYPE_CHECKING:
    from services.media.servicer import MediaServicer


# --- uploads ------------------------------------------------------------------------


async def prepare_upload(
    sv: MediaServicer, principal: Principal, meta: pb.RecordingMetadata
) -> tuple[UploadRecording, Attachment, AssignedCase, dict[str, str]]:
    """Check an upload before its bytes stream: who stores it, its case or intake, its
    session, reason and note. Returns the labels its object carries beyond the case's."""
    att = attachment_of(meta)
    cmd = upload_command_of(meta, att)
    if att.intake_id:
        # Art 7: the reception desk records at the window, before any case exists.
        principal.require_role("intake", action="storing a reception recording")
        validate_upload(cmd, utcnow())
        case = await sv.calls(_intake_owner, sv, att.intake_id, principal)
        labels = {"intake": f"intakes/{att.intake_id}"}
    else:
        handlers.check_upload(principal, cmd, utcnow())
        case = await sv.calls(sv._case, cmd.case_id, principal)
        labels = {}
    checked = await sv.calls(sv.read, lambda uow, who: sh.check_attachment(uow, cmd, att))
    return cmd, att, case, {**labels, **checked.labels(), **_note_labels(att)}


def _note_labels(att: Attachment) -> dict[str, str]:
    n = att.note
    if n is None:
        return {}
    return {
        "note_time": n.time.isoformat() if n.time else "",
        "note_place": n.place,
        "note_content": n.content,
        "note_recorder_name": n.recorder_name,
        "note_recorder_identity": n.recorder_identity,
    }


def _intake_owner(sv: MediaServicer, intake_id: str, principal: Principal) -> AssignedCase:
    """The intake's labels (its number once filed, the employer) with the desk officer
    who stores the recording as its handler. NOT_FOUND passes on."""
    intake = call_sibling(
        intake_pb2_grpc.IntakeServiceStub(sv.platform.channel("intake")).GetIntake,
        intake_pb2.GetIntakeRequest(name=f"intakes/{intake_id}"),
        sv.platform.forward(principal.tenant),
    ).intake
    return AssignedCase(
        case_id=intake_id,
        handler_id=principal.user_id,
        labels=Labels(intake.case_number, intake.employer.name, principal.name),
    )


def recorded(uow: UnitOfWork, who: Principal, rec: Recording, att: Attachment) -> pb.Recording:
    """After the recording is recorded: keep its attachment, answer with both."""
    sh.attach(uow, who, rec=rec, att=att)
    return attached_pb(rec, sorm.context_of(uow, rec.id))


def parse_recording(name: str) -> tuple[str, str]:
    """`cases/{case}/recordings/{id}`, or `intakes/{intake}/recordings/{id}` (Art 7):
    an intake's id is its case's id."""
    if name.startswith("intakes/"):
        intake_id, rec_id = parse_name(name, "intakes/*/recordings/*")
        return intake_id, rec_id
    case_id, rec_id = parse_name(name, "cases/*/recordings/*")
    return case_id, rec_id


def attached(uow: UnitOfWork, rec: Recording) -> pb.Recording:
    return attached_pb(rec, sorm.context_of(uow, rec.id))


# --- sessions -----------------------------------------------------------------------


def _session_pb(uow: UnitOfWork, s: Session) -> pb.Session:
    segments = [f"cases/{s.case_id}/recordings/{r.id}" for r, _ in sorm.segments_of(uow, s.id)]
    return session_to_pb(s, segments, sorm.gaps_of(uow, s.id), sh.storage_deadline(uow, s))


async def create_session(sv: MediaServicer, request: pb.CreateSessionRequest) -> Any:
    cmd = create_command_of(request)
    principal = current_principal()
    case = await sv.calls(sv._case, cmd.case_id, principal)
    sh.check_create(principal, case)

    def work(uow: UnitOfWork, who: Principal) -> pb.CreateSessionResponse:
        s = sh.create_session(uow, who, cmd=cmd, case=case, calendar=sv.platform.calendar)
        return pb.CreateSessionResponse(session=_session_pb(uow, s))

    return await sv.calls(sv.mutate, "CreateSession", request, pb.CreateSessionResponse, work)


async def get_session(sv: MediaServicer, request: pb.GetSessionRequest) -> Any:
    case_id, sid = parse_name(request.name, "cases/*/sessions/*")

    def work(uow: UnitOfWork, who: Principal) -> pb.GetSessionResponse:
        return pb.GetSessionResponse(session=_session_pb(uow, sh.load_session(uow, case_id, sid)))

    return await sv.calls(sv.read, work)


SESSION_FIELDS = {
    "unexplained_gaps": listing.FilterField(
        ("=",), lambda op, v: (sorm.sessions.c.unexplained_gaps > 0) == (v == "true"), True
    ),
    "footage_missing": listing.FilterField(
        ("=",),
        lambda op, v: (
            ((sorm.sessions.c.segments == 0) & (sorm.sessions.c.exempt_reason == ""))
            == (v == "true")
        ),
        True,
    ),
}


async def list_sessions(sv: MediaServicer, request: pb.ListSessionsRequest) -> Any:
    case_id = (
        "" if request.parent == "cases/-" else parse_name(request.parent, "cases/*", "parent")[0]
    )
    clauses: list[ColumnElement[bool]] = listing.where(request.filter, SESSION_FIELDS)
    paging = listing.page(
        f"sessions:{case_id}", request.filter, "", request.page_size, request.page_token
    )
    order = listing.Ordering(sorm.sessions.c.arrival_time, False)

    def work(uow: UnitOfWork, who: Principal) -> pb.ListSessionsResponse:
        stmt: Select[Any] = select(Session).where(sorm.sessions.c.tenant_id == uow.tenant, *clauses)
        if case_id:
            stmt = stmt.where(sorm.sessions.c.case_id == case_id)
        rows, token = listing.run(
            stmt,
            paging,
            order,
            sorm.sessions.c.id,
            lambda s: list(uow.session.scalars(s)),
            lambda row: (row.arrival_time, row.id),
        )
        return pb.ListSessionsResponse(
            sessions=[_session_pb(uow, s) for s in rows], next_page_token=token
        )

    return await sv.calls(sv.read, work)


def _statement(sv: MediaServicer, name: str, principal: Principal) -> sh.Statement:
    """The written statement as the cases service holds it (NOT_FOUND passes on)."""
    parse_name(name, "cases/*/documents/*", "document")
    doc = call_sibling(
        cases_pb2_grpc.CasesServiceStub(sv.platform.channel("cases")).GetDocument,
        cases_pb2.GetDocumentRequest(name=name),
        sv.platform.forward(principal.tenant),
    ).document
    return sh.Statement(
        name=doc.name or name, type=doc.type, state=to_key(cases_pb2.Document.State, doc.state)
    )


async def explain_interruption(sv: MediaServicer, request: pb.ExplainInterruptionRequest) -> Any:
    case_id, sid = parse_name(request.name, "cases/*/sessions/*")
    after = ""
    if request.after:
        after = parse_name(request.after, f"cases/{case_id}/recordings/*", "after")[0]
    principal = current_principal()
    principal.require_role("handler", action="explaining an interruption")
    # The case's own handler, while the file is open (Art 26, 42).
    check_uploader(await sv.calls(sv._case, case_id, principal), principal.user_id)
    statement = await sv.calls(_statement, sv, request.document, principal)

    def work(uow: UnitOfWork, who: Principal) -> pb.ExplainInterruptionResponse:
        s = sh.explain(
            uow,
            who,
            session=sh.load_session(uow, case_id, sid, lock=True),
            after=after,
            reported_to=request.reported_to,
            reported_at=datetime_of(request, "reported_time"),
            statement=statement,
        )
        return pb.ExplainInterruptionResponse(session=_session_pb(uow, s))

    return await sv.calls(
        sv.mutate, "ExplainInterruption", request, pb.ExplainInterruptionResponse, work
    )


async def exempt_session(sv: MediaServicer, request: pb.ExemptSessionRequest) -> Any:
    case_id, sid = parse_name(request.name, "cases/*/sessions/*")
    check_open(await sv.calls(sv._case, case_id, current_principal()))  # Art 42

    def work(uow: UnitOfWork, who: Principal) -> pb.ExemptSessionResponse:
        s = sh.exempt(
            uow, who, session=sh.load_session(uow, case_id, sid, lock=True), reason=request.reason
        )
        return pb.ExemptSessionResponse(session=_session_pb(uow, s))

    return await sv.calls(sv.mutate, "ExemptSession", request, pb.ExemptSessionResponse, work)


async def list_late(sv: MediaServicer, request: pb.ListLateRecordingsRequest) -> Any:
    """Art 41: recordings stored after their 2 days, per case or for the tenant."""
    case_id = (
        "" if request.parent == "cases/-" else parse_name(request.parent, "cases/*", "parent")[0]
    )
    table = Base.metadata.tables["media_recordings"]

    def work(uow: UnitOfWork, who: Principal) -> pb.ListLateRecordingsResponse:
        stmt = select(Recording).where(table.c.tenant_id == uow.tenant, table.c.late.is_(True))
        if case_id:
            stmt = stmt.where(table.c.case_id == case_id)
        recs = uow.session.scalars(stmt.order_by(table.c.stored_at))
        return pb.ListLateRecordingsResponse(recordings=[attached(uow, r) for r in recs])

    return await sv.calls(sv.read, work)
