"""Protobuf ⇄ cases domain: documents, cases, ledger entries and the case file."""

from __future__ import annotations

from datetime import UTC, datetime

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.common.v1 import common_pb2
from liuhen.media.v1 import media_pb2
from liuhen.platform import ledger
from liuhen.platform.catalogue import document_type, state_zh
from liuhen.platform.enums import to_enum
from liuhen.platform.timestamps import timestamp
from services.cases.casefile import FileItem, RecordingRef
from services.cases.model import Case, Document

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def document_to_pb(d: Document) -> pb.Document:
    t = document_type(d.type)
    return pb.Document(
        name=f"cases/{d.case_id}/documents/{d.id}",
        type=d.type,
        title_zh=t.zh,
        state=to_enum(pb.Document.State, d.state),
        version=d.version,
        content_json=d.content_json,
        content_sha256=d.content_sha256,
        drafted_by=d.drafted_by,
        approval_chain=d.pending,
        approvals=[a for a in d.approvals.split("\n") if a],
        from_site=d.from_site,
        drafted_time=timestamp(d.drafted_at),
        effective_time=timestamp(d.effective_at),
        article=t.article,
        decision_document=t.decision_document,
        served_to=list(t.served_to),
        supersedes=f"cases/{d.case_id}/documents/{d.supersedes}" if d.supersedes else "",
    )


def entry_to_pb(e: ledger.Entry) -> common_pb2.LedgerEntry:
    entry = common_pb2.LedgerEntry(
        seq=e.seq,
        case_id=e.case_id,
        actor=common_pb2.Actor(**e.actor),
        action=e.action,
        payload_sha256=e.payload_sha256,
        refs=list(e.refs),
        prev_hash=e.prev_hash,
        hash=e.hash,
        service=e.service,
        leaf_index=e.leaf_index,
    )
    entry.time.FromDatetime(datetime.fromisoformat(e.time.replace("Z", "+00:00")))
    return entry


def case_to_pb(c: Case) -> pb.Case:
    """The case's own fields: its documents, deadlines and ledger are listed apart."""
    return pb.Case(
        name=f"cases/{c.id}",
        case_number=c.case_number,
        state=to_enum(pb.Case.State, c.state),
        state_zh=state_zh("case", c.state),
        party=c.party,
        complainant=c.complainant,
        registered_by=c.registered_by,
        handler=c.handler,
        handler_name=c.handler_name,
        reviewer=c.reviewer,
        filed_time=timestamp(c.filed_at),
        major=c.major,
        av_reasons=[r for r in c.av_reasons.split(",") if r],
        av_required=c.av_required,
    )


def recording_ref(r: media_pb2.Recording) -> RecordingRef:
    start = r.start_time.ToDatetime(tzinfo=UTC) if r.HasField("start_time") else EPOCH
    return RecordingRef(r.name, r.sha256, r.kind, start, r.related_document)


def item_to_pb(i: FileItem) -> pb.CaseFileItem:
    return pb.CaseFileItem(
        seq=i.seq,
        kind=i.kind,
        name=i.name,
        type=i.type,
        title_zh=i.title_zh,
        time=timestamp(i.time),
        sha256=i.sha256,
        version=i.version,
        supersedes=i.supersedes,
        related_document=i.related_document,
        missing_recording=i.missing_recording,
        stage=i.stage,
    )
