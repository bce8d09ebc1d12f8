"""Commands on sessions and on what an upload is attached to (seed Art 7, 23–26, 41).
Handlers take a command and a unit of work, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from liuhen.platform import deadlines, ledger
from liuhen.platform.auth import Principal
from liuhen.platform.calendar import WorkingCalendar, local_date
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, not_found, require
from services.media import session_orm as sorm
from services.media.model import AssignedCase, Recording, UploadRecording, check_uploader
from services.media.rules import rules
from services.media.sessions import (
    EXPLAINED,
    FILLED,
    FLAGGED,
    SPOKEN,
    WRITTEN,
    Attachment,
    Change,
    CreateSession,
    Gap,
    GapRecord,
    RecordingContext,
    Segment,
    Session,
    check_note,
    check_resume_reason,
    check_segment,
    gap_to_explain,
    gaps,
    new_session,
    reconcile,
)

SERVICE = "media"
STORED_RULE = "media_stored"  # deadlines.yaml: 2 calendar days, seed Art 41


def check_create(principal: Principal, case: AssignedCase) -> None:
    """The case's handler records its on-site activities, not once the file is archived."""
    principal.require_role("handler", action="recording an on-site session")
    check_uploader(case, principal.user_id)


def create_session(
    uow: UnitOfWork,
    principal: Principal,
    *,
    cmd: CreateSession,
    case: AssignedCase,
    calendar: WorkingCalendar,
) -> Session:
    """Record the activity and open the 2 days its footage must be stored in (Art 41),
    counted from the day it ended."""
    session = new_session(cmd, tenant=uow.tenant, created_by=principal.user_id, now=utcnow())
    uow.add(session)
    deadlines.open_deadline(
        uow,
        calendar,
        rule=STORED_RULE,
        case_id=case.case_id,
        subject=session.name,
        start=local_date(session.departure_time),
        officer=principal.user_id,
    )
    _ledger(uow, principal, session, "session.recorded", {**session.labels()})
    return session


def load_session(uow: UnitOfWork, case_id: str, sid: str, *, lock: bool = False) -> Session:
    """`lock` for a change: one change to a session's gaps at a time."""
    session = sorm.get_session(uow, case_id, sid, lock=lock)
    if session is None:
        raise not_found("session", f"cases/{case_id}/sessions/{sid}")
    return session


@dataclass(frozen=True)
class Checked:
    """An attachment found good before the bytes stream: the session, if any."""

    session: Session | None

    def labels(self) -> dict[str, str]:
        return self.session.labels() if self.session is not None else {}


def check_attachment(uow: UnitOfWork, cmd: UploadRecording, att: Attachment) -> Checked:
    """Before any byte is stored: the session is of the upload's case and holds its
    time (Art 24, 25), a resume reason is one of Art 26, an image has its note (Art 41)."""
    r = rules()
    check_note(cmd.kind, att.note, r.note_fields)
    check_resume_reason(att.resume_reason, r.reasons, in_session=bool(att.session_id))
    if not att.session_id:
        return Checked(None)
    session = sorm.session_by_id(uow, att.session_id)
    if session is None:
        raise not_found("session", f"sessions/{att.session_id}")
    assert cmd.start_time is not None and cmd.end_time is not None  # validate_upload ran
    check_segment(session, cmd.case_id, cmd.start_time, cmd.end_time)
    return Checked(session)


def attach(uow: UnitOfWork, principal: Principal, *, rec: Recording, att: Attachment) -> None:
    """Keep what the recording is attached to; a segment meets its session's storage
    deadline and may open or close an interruption."""
    if sorm.context_of(uow, rec.id) is not None:
        return  # a retried upload: attached already
    note = att.note
    uow.add(
        RecordingContext(
            recording_id=rec.id,
            tenant_id=uow.tenant,
            case_id=rec.case_id,
            intake_id=att.intake_id,
            session_id=att.session_id,
            resume_reason=att.resume_reason,
            note_time=note.time if note else None,
            note_place=note.place if note else "",
            note_content=note.content if note else "",
            note_recorder_name=note.recorder_name if note else "",
            note_recorder_identity=note.recorder_identity if note else "",
        )
    )
    uow.session.flush()
    if att.session_id:
        session = sorm.session_by_id(uow, att.session_id, lock=True)
        assert session is not None  # check_attachment found it
        deadlines.meet(uow, rule=STORED_RULE, subject=session.name)
        sync(uow, principal, session)


def sync(uow: UnitOfWork, principal: Principal, session: Session) -> None:
    """Bring the session's interruptions in line with its footage (Art 24(3), 26); each
    flag and each clearing is a ledger entry."""
    segs = sorm.segments_of(uow, session.id)
    found = _found(session, segs)
    records = {g.after_recording: g for g in sorm.gaps_of(uow, session.id)}
    for gap in found:  # the interval a known gap spans now, without a ledger entry
        if (row := records.get(gap.after)) is not None:
            row.before_recording, row.start_time, row.end_time = gap.before, gap.start, gap.end
    states = {a: g.state for a, g in records.items()}
    written = [a for a, g in records.items() if g.state == EXPLAINED and g.how == WRITTEN]
    for change in reconcile(found, states, written):
        _apply(uow, principal, session, change, records.get(change.after))
    uow.session.flush()
    session.segments = len(segs)
    session.unexplained_gaps = sum(1 for g in sorm.gaps_of(uow, session.id) if g.state == FLAGGED)


def _found(session: Session, segs: list[tuple[Recording, RecordingContext]]) -> list[Gap]:
    """The gaps in the session's footage now (Art 24(3))."""
    return gaps(
        [Segment(r.id, r.start_time, r.end_time, c.resume_reason) for r, c in segs],
        session.departure_time,
        rules().gap,
    )


def _apply(
    uow: UnitOfWork, principal: Principal, session: Session, change: Change, row: GapRecord | None
) -> None:
    """One change to one gap, with its ledger entry."""
    now, gap = utcnow(), change.gap
    if gap is None:  # filled by footage
        if row is not None:
            row.state = FILLED
            _ledger(uow, principal, session, "session.interruption_filled", _gap(session, row))
        return
    if row is None:
        row = GapRecord(
            uow.tenant, session.id, gap.after, session.case_id, gap.before,
            gap.start, gap.end, FLAGGED, now,
        )  # fmt: skip
        uow.add(row)
    if change.action == "spoken":
        row.state, row.how, row.reason = EXPLAINED, SPOKEN, gap.spoken_reason
        row.explained_at, row.explained_by = now, principal.user_id
        _ledger(uow, principal, session, "session.interruption_explained", _gap(session, row))
    else:
        row.state, row.how, row.reason = FLAGGED, "", ""
        _ledger(uow, principal, session, "session.interruption_flagged", _gap(session, row))


@dataclass(frozen=True)
class Statement:
    """The written statement as the cases service knows it."""

    name: str
    type: str
    state: str


def check_statement(session: Session, statement: Statement) -> None:
    """Art 26: the written statement (书面说明) of the catalogue, of the same case,
    drafted and approved."""
    if not statement.name.startswith(f"cases/{session.case_id}/documents/"):
        raise InvalidArgument(
            "DOCUMENT_OF_OTHER_CASE",
            "the written statement must be a document of the session's case",
            "书面说明须属于同一案件",
            article="seed Art 26",
            field="document",
        )
    if statement.type != rules().statement_type:
        raise InvalidArgument(
            "NOT_A_WRITTEN_STATEMENT",
            f"the document is a {statement.type}, not a {rules().statement_type}",
            "该文书不是音视频记录中断书面说明",
            article="seed Art 26",
            field="document",
        )
    if statement.state != "effective":
        raise FailedPrecondition(
            "STATEMENT_NOT_APPROVED",
            f"the written statement is {statement.state}: it must be approved first",
            "书面说明尚未审批生效",
            article="seed Art 26",
            field="document",
        )


def explain(
    uow: UnitOfWork,
    principal: Principal,
    *,
    session: Session,
    after: str,
    reported_to: str,
    reported_at: datetime | None,
    statement: Statement,
) -> Session:
    """Art 26: recording could not go on; reported to the head at once and explained
    in writing afterwards. Clears the flag; the ledger keeps both."""
    principal.require_role("handler", action="explaining an interruption")
    records = sorm.gaps_of(uow, session.id)
    found = _found(session, sorm.segments_of(uow, session.id))
    open_after = [g.after_recording for g in records if g.state == FLAGGED]
    gap = gap_to_explain(found, open_after, after)
    require(reported_to, "reported_to", "the head reported to (Art 26)", article="seed Art 26")
    require(reported_at, "reported_time", "when the head was told", article="seed Art 26")
    check_statement(session, statement)
    row = next(g for g in records if g.after_recording == gap.after)
    row.state, row.how, row.document = EXPLAINED, WRITTEN, statement.name
    row.reported_to, row.reported_at = reported_to, reported_at
    row.explained_at, row.explained_by = utcnow(), principal.user_id
    _ledger(uow, principal, session, "session.interruption_explained", _gap(session, row))
    uow.session.flush()
    session.unexplained_gaps = sum(1 for g in records if g.state == FLAGGED)
    return session


def exempt(uow: UnitOfWork, principal: Principal, *, session: Session, reason: str) -> Session:
    """Art 23: 涉及国家秘密等不适宜采取音、视频记录的除外 — the head records why."""
    principal.require_role("head", action="exempting a session from recording")
    require(reason, "reason", "why recording is not suitable", article="seed Art 23")
    session.exempt_reason, session.exempt_approver = reason, principal.user_id
    _ledger(uow, principal, session, "session.exempted", {"reason": reason}, role="head")
    return session


def storage_deadline(uow: UnitOfWork, session: Session) -> deadlines.DeadlineRow | None:
    return uow.session.scalar(
        select(deadlines.DeadlineRow).where(
            deadlines.DeadlineRow.tenant_id == uow.tenant,
            deadlines.DeadlineRow.rule == STORED_RULE,
            deadlines.DeadlineRow.subject == session.name,
        )
    )


def _gap(session: Session, row: GapRecord) -> dict[str, object]:
    rec = f"cases/{session.case_id}/recordings/"
    return {
        "after": rec + row.after_recording,
        "before": rec + row.before_recording if row.before_recording else "",
        "start_time": row.start_time,
        "end_time": row.end_time,
        "state": row.state,
        "how": row.how,
        "reason": row.reason,
        "document": row.document,
        "reported_to": row.reported_to,
    }


def _ledger(
    uow: UnitOfWork,
    principal: Principal,
    session: Session,
    action: str,
    payload: dict[str, object],
    role: str = "handler",
) -> None:
    ledger.append(
        uow,
        case_id=session.case_id,
        service=SERVICE,
        action=action,
        actor=ledger.actor_of(principal, role),
        payload={"session": session.name, **payload},
    )
