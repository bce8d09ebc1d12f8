"""Media domain (音、视频记录, seed Art 23–26, 41–45): a recording, its labels and the
rules on it. No I/O here."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from liuhen.platform.calendar import local_date
from liuhen.platform.catalogue import deadline_rules
from liuhen.platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    require,
)
from liuhen.platform.printing import retention
from services.media.rules import rules

# Art 46: state secrets, trade secrets and privacy are handled under the secrecy rules.
CONFIDENTIALITY = {
    "normal": "普通",
    "privacy": "个人隐私",
    "trade_secret": "商业秘密",
    "secret": "国家秘密",
}
DEFAULT_RETENTION_YEARS = 30  # Art 43: as long as the case file (archives law)
CLOCK_SKEW = timedelta(minutes=5)
MAX_LABEL = {"device": 64, "place": 128, "content_type": 100}  # S3 metadata stays small


@dataclass(frozen=True)
class UploadRecording:
    """Command: store one audio or video recording of a case (Art 41)."""

    request_id: str
    case_id: str
    kind: str
    device: str
    place: str
    start_time: datetime | None
    end_time: datetime | None
    content_type: str = ""
    confidentiality: str = ""
    description: str = ""
    related_document: str = ""  # cases/{case}/documents/{document}, optional


@dataclass(frozen=True)
class Labels:
    """What Art 41 requires on stored footage: 案号、当事人姓名（名称）、承办人姓名."""

    case_number: str
    party: str
    handler: str


@dataclass(frozen=True)
class AssignedCase:
    """The case as the cases service knows it: labels and its 案件首办责任人."""

    case_id: str
    labels: Labels
    handler_id: str
    state: str = ""
    major: bool = False  # a major case (Art 34): its file is kept as that kind says


@dataclass(frozen=True)
class Upload:
    """What the object store holds for a recording."""

    key: str
    sha256: str
    size: int
    retain_until: datetime
    stored_at: datetime


@dataclass
class Recording:
    id: str
    tenant_id: str
    case_id: str
    request_id: str
    kind: str
    device: str
    place: str
    start_time: datetime
    end_time: datetime
    stored_at: datetime
    late: bool
    recorder: str
    recorder_name: str
    content_type: str
    confidentiality: str
    description: str
    related_document: str
    sha256: str
    size: int
    object_key: str
    retain_until: datetime
    case_number: str
    party: str
    handler_name: str

    @property
    def labels(self) -> Labels:
        return Labels(self.case_number, self.party, self.handler_name)


def validate_upload(cmd: UploadRecording, now: datetime) -> None:
    require(
        cmd.request_id,
        "metadata.request_id",
        "every upload carries a client request id",
        article="DESIGN §8",
    )
    kinds = rules().kinds  # Art 24(1)(2), 41: a call's audio, a notice's images too
    if cmd.kind not in kinds:
        raise InvalidArgument(
            "UNKNOWN_KIND",
            "kind must be one of " + ", ".join(kinds),
            "记录种类应为" + "、".join(kinds.values()),
            article="seed Art 23, 24",
            field="metadata.kind",
        )
    if cmd.confidentiality not in CONFIDENTIALITY:
        raise InvalidArgument(
            "UNKNOWN_CONFIDENTIALITY",
            "confidentiality must be one of " + ", ".join(CONFIDENTIALITY),
            "密级无效",
            article="seed Art 46",
            field="metadata.confidentiality",
        )
    start, end = _when(cmd.start_time, "start_time"), _when(cmd.end_time, "end_time")
    if end < start:
        raise InvalidArgument(
            "END_BEFORE_START",
            "end_time is before start_time",
            "结束时间早于开始时间",
            article="seed Art 24",
            field="metadata.end_time",
        )
    if end > now + CLOCK_SKEW:
        raise InvalidArgument(
            "RECORDED_IN_FUTURE",
            "end_time is in the future",
            "结束时间晚于当前时间",
            article="seed Art 25",
            field="metadata.end_time",
        )
    if cmd.related_document and not cmd.related_document.startswith(
        f"cases/{cmd.case_id}/documents/"
    ):
        raise InvalidArgument(
            "DOCUMENT_OF_OTHER_CASE",
            "related_document must be a document of the same case",
            "关联文书须属于同一案件",
            field="metadata.related_document",
        )
    for name, limit in MAX_LABEL.items():
        if len(getattr(cmd, name)) > limit:
            raise InvalidArgument(
                "TOO_LONG",
                f"{name} is longer than {limit} characters",
                f"{name} 超过 {limit} 个字符",
                field=f"metadata.{name}",
            )


def _when(value: datetime | None, name: str) -> datetime:
    """A required time of the recording (Art 25: 表明执法时间)."""
    if value is None:
        raise InvalidArgument(
            "MISSING_FIELD",
            f"metadata.{name} is required",
            f"缺少必填项 metadata.{name}",
            article="seed Art 25",
            field=f"metadata.{name}",
        )
    return value


def ended(cmd: UploadRecording) -> datetime:
    """When recording stopped: the moment the 2 days of Art 41 run from."""
    return _when(cmd.end_time, "end_time")


def check_open(case: AssignedCase) -> None:
    """An archived file takes nothing more (Art 42)."""
    if case.state == "archived":
        raise FailedPrecondition(
            "CASE_ARCHIVED",
            "the case file is archived and closed to changes",
            "案件已立卷归档，不得变更",
            article="seed Art 42",
        )


def check_uploader(case: AssignedCase, user_id: str) -> None:
    """Only the case's handler stores its footage (Art 41: 案件首办责任人…储存), and not
    once the file is archived (Art 42)."""
    check_open(case)
    if not case.handler_id:
        raise FailedPrecondition(
            "NO_HANDLER",
            "the case has no handler yet: assign one first",
            "案件尚未确定承办人",
            article="seed Art 41",
        )
    if case.handler_id != user_id:
        raise PermissionDenied(
            "NOT_CASE_HANDLER",
            "only the case's handler stores its recordings",
            "仅案件首办责任人可储存音、视频记录",
            article="seed Art 41",
        )


def is_late(end_time: datetime, stored_at: datetime) -> bool:
    """Stored after the 2 calendar days that follow the day recording ended (Art 41
    "2日内", the catalogue's `media_stored`; why calendar days: docs/recording-sessions.md):
    accepted, flagged. The same count as the session's storage deadline."""
    within = deadline_rules()["media_stored"].amount
    return (local_date(stored_at) - local_date(end_time)).days > within


def retain_until(recorded: datetime, years: int, *, stored: datetime) -> datetime:
    """Kept as long as the case file (Art 43), whose retention cannot start before the
    footage is stored in it: `years` from the later of the recording and its storing, so
    footage recorded longer ago than its retention is kept, never refused (docs/
    bad-input.md). 29 February rolls on to 1 March."""
    start = max(recorded, stored)
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, month=3, day=1)


def retention_years(
    case: AssignedCase, default_years: int, by_kind: Mapping[str, int | None]
) -> int:
    """The years a recording is locked for when it is stored (Art 43: footage used as
    evidence is kept as long as the case file). The case's kind is final only when its
    file is archived; at upload only a major case's kind is known, so its term (the
    deployment's or the catalogue's) applies, and every other recording gets the default
    term for footage whose case kind is not known yet (LIUHEN_MEDIA_RETENTION_YEARS).
    Never shorter than the default: a lock can be extended, never shortened."""
    if not case.major:
        return default_years
    return lock_years_of_kind("major", default_years, by_kind)


def lock_years_of_kind(kind: str, default_years: int, by_kind: Mapping[str, int | None]) -> int:
    """The lock term of footage in a file of this kind (Art 43): the kind's period, the
    deployment's (LIUHEN_RETENTION_YEARS) or else the catalogue's; permanent is the
    catalogue's lock years; never less than the default term."""
    try:
        years = by_kind[kind] if kind in by_kind else retention.catalogue_years(kind)
    except LookupError:
        raise InvalidArgument(
            "UNKNOWN_CASE_KIND",
            f"{kind!r} is not a kind of case file in the catalogue (retention.yaml)",
            "案卷类别无效",
            article="seed Art 43",
            field="kind",
        ) from None
    return max(default_years, retention.lock_years_for(years))


def recording_id(tenant: str, request_id: str) -> str:
    """Derived from the request id, so a retried upload finds the same object key."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{request_id}"))


def object_key(case_id: str, rec_id: str) -> str:
    return f"recordings/{case_id}/{rec_id}"


def store_metadata(
    cmd: UploadRecording, case: AssignedCase, *, recorder: str, recorder_name: str
) -> dict[str, str]:
    """Labels and provenance kept with the bytes, so footage explains itself (Art 41, 42)."""
    return {
        "case": f"cases/{case.case_id}",
        "case_number": case.labels.case_number,
        "party": case.labels.party,
        "handler": case.labels.handler,
        "recorder": recorder,
        "recorder_name": recorder_name,
        "kind": cmd.kind,
        "device": cmd.device,
        "place": cmd.place,
        "start_time": _when(cmd.start_time, "start_time").isoformat(),
        "end_time": _when(cmd.end_time, "end_time").isoformat(),
        "confidentiality": cmd.confidentiality,
        "content_type": cmd.content_type,
        "request_id": cmd.request_id,
    }


def check_same_bytes(stored_sha256: str, sent_sha256: str) -> None:
    """A request id names one recording: different bytes under it are refused, and what
    is stored is never replaced (Art 45: 不得…删改)."""
    if stored_sha256 != sent_sha256:
        raise AlreadyExists(
            "RECORDING_EXISTS",
            "a different recording is already stored under this request_id",
            "该请求编号下已储存另一音、视频记录",
            article="seed Art 45",
            field="metadata.request_id",
        )


def new_recording(
    cmd: UploadRecording,
    case: AssignedCase,
    upload: Upload,
    *,
    tenant: str,
    recorder: str,
    recorder_name: str,
) -> Recording:
    """The recording as stored: labelled (Art 41) and flagged if stored late."""
    end, stored_at = _when(cmd.end_time, "end_time"), upload.stored_at
    return Recording(
        id=recording_id(tenant, cmd.request_id),
        tenant_id=tenant,
        case_id=case.case_id,
        request_id=cmd.request_id,
        kind=cmd.kind,
        device=cmd.device,
        place=cmd.place,
        start_time=_when(cmd.start_time, "start_time"),
        end_time=end,
        stored_at=stored_at,
        late=is_late(end, stored_at),
        recorder=recorder,
        recorder_name=recorder_name,
        content_type=cmd.content_type,
        confidentiality=cmd.confidentiality,
        description=cmd.description,
        related_document=cmd.related_document,
        sha256=upload.sha256,
        size=upload.size,
        object_key=upload.key,
        retain_until=upload.retain_until,
        case_number=case.labels.case_number,
        party=case.labels.party,
        handler_name=case.labels.handler,
    )


class HashingStream:
    """Passes chunks through while hashing and counting them; holds none of them."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._sha = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._sha.update(chunk)
            self.size += len(chunk)
            yield chunk

    def drain(self) -> None:
        """Read (and hash) whatever the consumer left unread."""
        for _ in self:
            pass

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()
