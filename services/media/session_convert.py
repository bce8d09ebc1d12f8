"""Protobuf ⇄ sessions and attachments (seed Art 7, 23–26, 41)."""

from __future__ import annotations

from liuhen.common.v1 import common_pb2
from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform import deadlines
from liuhen.platform.calendar import local_date
from liuhen.platform.db import utcnow
from liuhen.platform.enums import to_enum
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.service import parse_name
from liuhen.platform.timestamps import datetime_of, timestamp
from services.media.convert import command_of, recording_to_pb
from services.media.model import Recording, UploadRecording
from services.media.sessions import (
    Attachment,
    CreateSession,
    GapRecord,
    ImageNote,
    Officer,
    RecordingContext,
    Session,
)


def attachment_of(meta: pb.RecordingMetadata) -> Attachment:
    session_id = ""
    if meta.session:
        _, session_id = parse_name(meta.session, "cases/*/sessions/*", "metadata.session")
    intake_id = ""
    if meta.intake:
        (intake_id,) = parse_name(meta.intake, "intakes/*", "metadata.intake")
        if meta.case or meta.session:
            raise InvalidArgument(
                "INTAKE_OR_CASE",
                "a recording is of an intake (before a case exists) or of a case, not both",
                "音视频记录属于受理登记或案件之一",
                article="seed Art 7",
                field="metadata.intake",
            )
    note = None
    if meta.HasField("note"):
        n = meta.note
        note = ImageNote(
            datetime_of(n, "time"), n.place, n.content, n.recorder_name, n.recorder_identity
        )
    return Attachment(intake_id, session_id, meta.resume_reason, note)


def upload_command_of(meta: pb.RecordingMetadata, att: Attachment) -> UploadRecording:
    """The upload command; an intake's recording is kept under the intake's id, which is
    the case's id once it is filed (Art 7); an image's times default to its note's."""
    if att.intake_id:
        meta = _copy(meta)
        meta.case = f"cases/{att.intake_id}"
    if meta.kind == "image" and att.note is not None and att.note.time is not None:
        meta = _copy(meta)
        for field in ("start_time", "end_time"):
            if not meta.HasField(field):
                getattr(meta, field).CopyFrom(timestamp(att.note.time))
    return command_of(meta)


def _copy(meta: pb.RecordingMetadata) -> pb.RecordingMetadata:
    out = pb.RecordingMetadata()
    out.CopyFrom(meta)
    return out


def recording_name(rec: Recording, ctx: RecordingContext | None) -> str:
    if ctx is not None and ctx.intake_id:
        return f"intakes/{ctx.intake_id}/recordings/{rec.id}"
    return f"cases/{rec.case_id}/recordings/{rec.id}"


def attached_pb(rec: Recording, ctx: RecordingContext | None) -> pb.Recording:
    """The recording with what it is attached to."""
    out = recording_to_pb(rec)
    if ctx is None:
        return out
    out.name = recording_name(rec, ctx)
    if ctx.intake_id:
        out.intake = f"intakes/{ctx.intake_id}"
    if ctx.session_id:
        out.session = f"cases/{rec.case_id}/sessions/{ctx.session_id}"
    out.resume_reason = ctx.resume_reason
    if ctx.note_time is not None:
        out.note.CopyFrom(
            pb.ImageNote(
                time=timestamp(ctx.note_time),
                place=ctx.note_place,
                content=ctx.note_content,
                recorder_name=ctx.note_recorder_name,
                recorder_identity=ctx.note_recorder_identity,
            )
        )
    return out


def create_command_of(request: pb.CreateSessionRequest) -> CreateSession:
    (case_id,) = parse_name(request.parent, "cases/*", "parent")
    s = request.session
    return CreateSession(
        request_id=request.request_id,
        case_id=case_id,
        arrival=datetime_of(s, "arrival_time"),
        departure=datetime_of(s, "departure_time"),
        place=s.place,
        purpose=s.purpose,
        officers=tuple(Officer(o.name, o.certificate_number) for o in s.officers),
        parties_present=tuple(s.parties_present),
    )


def session_to_pb(
    s: Session,
    segments: list[str],
    gaps: list[GapRecord],
    due: deadlines.DeadlineRow | None,
) -> pb.Session:
    rec = f"cases/{s.case_id}/recordings/"
    out = pb.Session(
        name=s.name,
        arrival_time=timestamp(s.arrival_time),
        departure_time=timestamp(s.departure_time),
        place=s.place,
        purpose=s.purpose,
        officers=[pb.Officer(name=o.name, certificate_number=o.certificate_number)
                  for o in s.officers],
        parties_present=s.parties_present,
        segments=segments,
        interruptions=[
            pb.Interruption(
                after=rec + g.after_recording,
                before=rec + g.before_recording if g.before_recording else "",
                start_time=timestamp(g.start_time),
                end_time=timestamp(g.end_time),
                state=to_enum(pb.Interruption.State, g.state),
                how=g.how,
                reason=g.reason,
                document=g.document,
                reported_to=g.reported_to,
            )
            for g in gaps
        ],
        unexplained_gap=s.unexplained_gaps > 0,
        footage_missing=s.footage_missing,
    )  # fmt: skip
    if s.exempt_reason:
        out.exemption.CopyFrom(
            pb.SessionExemption(reason=s.exempt_reason, approver=s.exempt_approver)
        )
    if due is not None:
        out.storage_due_on = due.due_on.isoformat()
        storage = deadlines.state_of(due, local_date(utcnow()))
        out.storage_state = to_enum(common_pb2.Deadline.State, storage)
        out.stored_late = deadlines.is_late(due)
    return out
