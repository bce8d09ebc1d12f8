"""On-site sessions and their footage (现场执法, seed Art 24(3), 25, 26), the note on an
image (Art 41) and what a recording is attached to. No I/O here.

A session is one on-site enforcement activity: arrival to departure, place, purpose
(事由), officers with their certificates and the parties present (Art 25(1)). Its
footage is one or more segments (recordings naming the session). Art 24(3) asks for
footage without a break; a gap longer than the catalogue's tolerance is an
interruption, explained either by the segment that resumes (语音说明, its
`resume_reason`) or, where recording could not go on, by the report to the head and an
approved written statement (书面说明, Art 26)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, require

CLOCK_SKEW = timedelta(minutes=5)
SPOKEN, WRITTEN = "spoken", "written"
FLAGGED, EXPLAINED, FILLED = "flagged", "explained", "filled"
GAP_STATES = (FLAGGED, EXPLAINED, FILLED)  # the proto's Interruption.State


@dataclass(frozen=True)
class Officer:
    name: str
    certificate_number: str  # 执法证号 (Art 25(1): 执法人员的身份)


@dataclass(frozen=True)
class CreateSession:
    """Command: record an on-site enforcement activity of a case (Art 24(3), 25)."""

    request_id: str
    case_id: str
    arrival: datetime | None
    departure: datetime | None
    place: str
    purpose: str
    officers: tuple[Officer, ...]
    parties_present: tuple[str, ...]


@dataclass
class Session:
    id: str
    tenant_id: str
    case_id: str
    arrival_time: datetime
    departure_time: datetime
    place: str
    purpose: str
    officers_json: str
    parties_json: str
    created_by: str
    created_at: datetime
    unexplained_gaps: int = 0
    segments: int = 0
    exempt_reason: str = ""  # Art 23: 涉及国家秘密等不适宜采取音、视频记录
    exempt_approver: str = ""

    @property
    def name(self) -> str:
        return f"cases/{self.case_id}/sessions/{self.id}"

    @property
    def officers(self) -> list[Officer]:
        return [Officer(**o) for o in json.loads(self.officers_json)]

    @property
    def parties_present(self) -> list[str]:
        return [str(p) for p in json.loads(self.parties_json)]

    @property
    def footage_missing(self) -> bool:
        """An activity with no footage and no recorded exemption (Art 23)."""
        return self.segments == 0 and not self.exempt_reason

    def labels(self) -> dict[str, str]:
        """The session's fields as labels on each segment's object (Art 25(1), 41)."""
        return {
            "session": self.name,
            "session_place": self.place,
            "session_purpose": self.purpose,
            "session_arrival": utc(self.arrival_time).isoformat(),
            "session_departure": utc(self.departure_time).isoformat(),
            "session_officers": ";".join(
                f"{o.name}({o.certificate_number})" for o in self.officers
            ),
            "session_parties": ";".join(self.parties_present),
        }


@dataclass(frozen=True)
class ImageNote:
    """Art 41: 注明时间、地点、内容、记录人员姓名及身份."""

    time: datetime | None = None
    place: str = ""
    content: str = ""
    recorder_name: str = ""
    recorder_identity: str = ""


@dataclass(frozen=True)
class Attachment:
    """What an upload is attached to beyond its case: an intake (Art 7), a session and
    the reason it resumes after a gap (Art 26), an image's note (Art 41)."""

    intake_id: str = ""
    session_id: str = ""
    resume_reason: str = ""
    note: ImageNote | None = None


@dataclass
class RecordingContext:
    """The attachment as stored beside a recording (one row per recording)."""

    recording_id: str
    tenant_id: str
    case_id: str
    intake_id: str = ""
    session_id: str = ""
    resume_reason: str = ""
    note_time: datetime | None = None
    note_place: str = ""
    note_content: str = ""
    note_recorder_name: str = ""
    note_recorder_identity: str = ""


@dataclass(frozen=True)
class Segment:
    """A session's recording, as far as the gap rule needs it."""

    recording_id: str
    start: datetime
    end: datetime
    resume_reason: str = ""


@dataclass(frozen=True)
class Gap:
    """An interruption: from the end of the footage before (segment `after`) to the
    start of segment `before` ("" when recording never resumed before departure)."""

    after: str
    before: str
    start: datetime
    end: datetime
    spoken_reason: str = ""


@dataclass
class GapRecord:
    """A gap as flagged and explained on the session, kept once raised (Art 26)."""

    tenant_id: str
    session_id: str
    after_recording: str
    case_id: str
    before_recording: str
    start_time: datetime
    end_time: datetime
    state: str
    flagged_at: datetime
    how: str = ""
    reason: str = ""
    document: str = ""
    reported_to: str = ""
    reported_at: datetime | None = None
    explained_at: datetime | None = None
    explained_by: str = ""


@dataclass(frozen=True)
class Explanation:
    """Art 26's second route: reported to the head at once, written statement after."""

    reported_to: str
    reported_at: datetime | None
    document: str  # cases/{case}/documents/{document}, an effective written statement
    reasons: dict[str, str] = field(default_factory=dict)


def utc(moment: datetime) -> datetime:
    """A stored time as UTC (SQLite hands back naive UTC datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_id(tenant: str, request_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/session/{request_id}"))


def _time(value: datetime | None, name: str) -> datetime:
    if value is None:
        raise InvalidArgument(
            "MISSING_FIELD",
            f"session.{name} is required",
            f"缺少必填项 session.{name}",
            article="seed Art 25",
            field=f"session.{name}",
        )
    return value


def validate_session(cmd: CreateSession, now: datetime) -> tuple[datetime, datetime]:
    """Art 25(1): the time, place, purpose, officers and parties of the activity."""
    require(cmd.request_id, "request_id", "every call carries a client request id")
    arrival, departure = _time(cmd.arrival, "arrival_time"), _time(cmd.departure, "departure_time")
    if departure < arrival:
        raise InvalidArgument(
            "DEPARTURE_BEFORE_ARRIVAL",
            "departure_time is before arrival_time",
            "离开时间早于到达时间",
            article="seed Art 24",
            field="session.departure_time",
        )
    if departure > now + CLOCK_SKEW:
        raise InvalidArgument(
            "RECORDED_IN_FUTURE",
            "departure_time is in the future: record the session once it is over",
            "离开时间晚于当前时间",
            article="seed Art 25",
            field="session.departure_time",
        )
    require(cmd.place, "session.place", "where the activity took place", article="seed Art 25")
    require(cmd.purpose, "session.purpose", "the activity's purpose (事由)", article="seed Art 25")
    require(cmd.officers, "session.officers", "the officers present", article="seed Art 25")
    for i, o in enumerate(cmd.officers):
        require(o.name, f"session.officers[{i}].name", article="seed Art 25")
        require(
            o.certificate_number,
            f"session.officers[{i}].certificate_number",
            "an officer's certificate number (执法证号)",
            article="seed Art 25",
        )
    return arrival, departure


def new_session(cmd: CreateSession, *, tenant: str, created_by: str, now: datetime) -> Session:
    arrival, departure = validate_session(cmd, now)
    return Session(
        id=session_id(tenant, cmd.request_id),
        tenant_id=tenant,
        case_id=cmd.case_id,
        arrival_time=arrival,
        departure_time=departure,
        place=cmd.place,
        purpose=cmd.purpose,
        officers_json=json.dumps([o.__dict__ for o in cmd.officers], ensure_ascii=False),
        parties_json=json.dumps(list(cmd.parties_present), ensure_ascii=False),
        created_by=created_by,
        created_at=now,
    )


def check_resume_reason(reason: str, reasons: Iterable[str], *, in_session: bool) -> None:
    if not reason:
        return
    if not in_session:
        raise InvalidArgument(
            "RESUME_REASON_WITHOUT_SESSION",
            "resume_reason explains a gap in a session's footage: name the session",
            "中断原因说明须指明现场执法活动",
            article="seed Art 26",
            field="metadata.resume_reason",
        )
    allowed = list(reasons)
    if reason not in allowed:
        raise InvalidArgument(
            "UNKNOWN_RESUME_REASON",
            f"resume_reason must be one of {', '.join(allowed)}",
            "中断原因无效",
            article="seed Art 26",
            field="metadata.resume_reason",
        )


def check_segment(session: Session, case_id: str, start: datetime, end: datetime) -> None:
    """A segment belongs to a session of its own case and to the session's time."""
    if session.case_id != case_id:
        raise InvalidArgument(
            "SESSION_OF_OTHER_CASE",
            f"{session.name} is a session of another case than cases/{case_id}",
            "现场执法活动不属于本案",
            article="seed Art 24, 25",
            field="metadata.session",
        )
    arrival, departure = utc(session.arrival_time), utc(session.departure_time)
    if start < arrival - CLOCK_SKEW or end > departure + CLOCK_SKEW:
        raise InvalidArgument(
            "SEGMENT_OUTSIDE_SESSION",
            "the segment's start_time and end_time lie outside the session's arrival and departure",
            "录像时间不在现场执法活动的起止时间内",
            article="seed Art 24",
            field="metadata.start_time",
        )


def check_note(kind: str, note: ImageNote | None, fields: Sequence[str]) -> None:
    """An image carries the note of Art 41; refused without any of its parts."""
    if kind != "image":
        return
    for name in fields:
        if note is None or not getattr(note, name):
            raise InvalidArgument(
                "IMAGE_NOTE_REQUIRED",
                f"an image carries the note of Art 41: metadata.note.{name} is missing",
                "截屏、截图、拍照资料须注明时间、地点、内容、记录人员姓名及身份",
                article="seed Art 41",
                field=f"metadata.note.{name}",
            )


def gaps(segments: Iterable[Segment], departure: datetime, tolerance: timedelta) -> list[Gap]:
    """The interruptions in a session's footage (Art 24(3)): between the footage so far
    and the next segment, and from the last segment to the departure. Overlapping
    segments (two cameras) cover each other."""
    ordered = sorted(
        (Segment(s.recording_id, utc(s.start), utc(s.end), s.resume_reason) for s in segments),
        key=lambda s: (s.start, s.end, s.recording_id),
    )
    departure = utc(departure)
    found: list[Gap] = []
    if not ordered:
        return found
    covered, last = ordered[0].end, ordered[0].recording_id
    for seg in ordered[1:]:
        if seg.start - covered > tolerance:
            found.append(Gap(last, seg.recording_id, covered, seg.start, seg.resume_reason))
        if seg.end >= covered:
            covered, last = seg.end, seg.recording_id
    if departure - covered > tolerance:
        found.append(Gap(last, "", covered, departure))
    return found


@dataclass(frozen=True)
class Change:
    """What the footage now says about one gap: `flag` a new unexplained gap, `spoken`
    explained by the resuming segment, `filled` no longer a gap (a segment arrived)."""

    action: str
    after: str
    gap: Gap | None = None


def reconcile(
    found: Iterable[Gap], states: Mapping[str, str], written: Collection[str] = ()
) -> list[Change]:
    """Compare the gaps the footage has now with those on the session (`states`: after ->
    flagged | explained | filled; `written`: those explained in writing). The outcome
    does not depend on the order segments arrive in (Art 26):

    - a gap the resuming segment explains is explained (`spoken`), once;
    - any other gap is flagged, once, unless a written statement explains it (a gap
      explained by a segment that no longer resumes it is flagged again);
    - a gap the footage no longer has (a segment filled it) is `filled`.
    """
    changes: list[Change] = []
    present = set()
    for g in found:
        present.add(g.after)
        state = states.get(g.after)
        if g.spoken_reason:
            if state != EXPLAINED:
                changes.append(Change("spoken", g.after, g))
        elif state != FLAGGED and g.after not in written:
            changes.append(Change("flag", g.after, g))
    changes += [
        Change("filled", a) for a, st in states.items() if st != FILLED and a not in present
    ]
    return changes


def gap_to_explain(found: Sequence[Gap], open_after: Sequence[str], after: str) -> Gap:
    """The gap a written explanation is for: refused when the session has none, or the
    named one is not an open gap (Art 26)."""
    if not found:
        raise FailedPrecondition(
            "NO_GAP",
            "the session's footage has no gap to explain",
            "该现场执法活动的音视频记录没有中断",
            article="seed Art 26",
        )
    candidates = [g for g in found if g.after in open_after]
    chosen = [g for g in candidates if not after or g.after == after]
    if not chosen:
        raise FailedPrecondition(
            "NO_OPEN_GAP",
            "no unexplained gap follows that segment" if after else "every gap is explained",
            "没有待说明的中断",
            article="seed Art 26",
            field="after",
        )
    return chosen[0]


def missing_footage(sessions: Iterable[Session]) -> list[str]:
    """Sessions that needed footage and have none (Art 23), by name."""
    return [s.name for s in sessions if s.footage_missing]
