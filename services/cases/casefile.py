"""The case file (案卷, Art 41–42): every effective document, record and material of a
case and every recording, in order, each with its hash; and the Art 23 check that a
record of a case where recording is mandatory has a recording that refers to it.
No I/O here: the recordings come from the media service through the servicer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from liuhen.platform.catalogue import document_type
from services.cases.lifecycle import step
from services.cases.model import Case, Document


@dataclass(frozen=True)
class RecordingRef:
    """What the file needs of a recording the media service holds."""

    name: str
    sha256: str
    kind: str
    start: datetime
    related_document: str = ""


@dataclass(frozen=True)
class FileItem:
    seq: int
    kind: str  # document | recording
    name: str
    type: str
    title_zh: str
    time: datetime
    sha256: str
    version: int = 0
    supersedes: str = ""
    related_document: str = ""
    missing_recording: bool = False  # Art 23: a record made without its mandatory recording
    stage: str = ""  # Art 41: intake | investigation | decision | service | records
    content_json: str = ""  # the fields it prints from, where it has no print of its own
    sender: str = ""  # who sent a document received from outside (police, court, a peer)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def document_name(d: Document) -> str:
    return f"cases/{d.case_id}/documents/{d.id}"


# The four stages of Art 41 in the order the file binds them (Art 42: 按顺序编目分类),
# then what the review department adds when it archives (the stage `records`).
STAGES = {"intake": "受理立案", "investigation": "调查取证", "decision": "审查决定",
          "service": "送达执行", "records": "归档管理"}  # fmt: skip


def stage_of(type_code: str) -> str:
    try:
        return document_type(type_code).stage
    except LookupError:
        return "investigation"


def _order(item: FileItem) -> tuple[int, datetime]:
    return list(STAGES).index(item.stage or "investigation"), _utc(item.time)


def build(
    case: Case,
    documents: Iterable[Document],
    recordings: Iterable[RecordingRef],
    others: Iterable[FileItem] = (),
) -> list[FileItem]:
    """The file by the stages of Art 41 and, within a stage, in order of time (a document
    when it became effective, a recording when it started), numbered from 1 (按顺序编目,
    Art 42). `others`: the intake's documents and materials and the service receipts,
    which other services hold."""
    recordings, documents_list = list(recordings), list(documents)
    referenced = {r.related_document for r in recordings if r.related_document}
    rows: list[tuple[datetime, FileItem]] = []
    for d in documents_list:
        if d.state != "effective" or d.effective_at is None:
            continue
        name = document_name(d)
        missing = case.av_required and step(d.type).av_record and name not in referenced
        supersedes = f"cases/{d.case_id}/documents/{d.supersedes}" if d.supersedes else ""
        item = FileItem(
            0, "document", name, d.type, document_type(d.type).zh, d.effective_at,
            d.content_sha256, d.version, supersedes, "", missing, stage_of(d.type),
            d.content_json, d.from_site if document_type(d.type).inbound else "",
        )  # fmt: skip
        rows.append((d.effective_at, item))
    types = {document_name(d): d.type for d in documents_list}
    for r in recordings:
        item = FileItem(
            0, "recording", r.name, r.kind, "音视频记录", r.start, r.sha256,
            related_document=r.related_document,
            stage=stage_of(types.get(r.related_document, "interview_record")),
        )  # fmt: skip
        rows.append((r.start, item))
    rows.extend((o.time, o) for o in others)
    rows.sort(key=lambda pair: _order(pair[1]))
    return [FileItem(**{**asdict(item), "seq": i}) for i, (_, item) in enumerate(rows, start=1)]


def index_sha256(items: Sequence[FileItem]) -> str:
    """The hash of the file's catalogue: order, names and content hashes."""
    index = [[i.seq, i.kind, i.name, i.sha256] for i in items]
    return hashlib.sha256(json.dumps(index, separators=(",", ":")).encode()).hexdigest()
