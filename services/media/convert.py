"""Protobuf ⇄ media commands and recordings."""

from __future__ import annotations

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.service import parse_name
from liuhen.platform.timestamps import datetime_of, timestamp
from services.media.model import Recording, UploadRecording

FIXITY_STATES = {
    "intact": pb.FIXITY_STATE_INTACT,
    "altered": pb.FIXITY_STATE_ALTERED,
    "unreadable": pb.FIXITY_STATE_UNREADABLE,
    "offsite_missing": pb.FIXITY_STATE_OFFSITE_MISSING,
}


def recording_to_pb(r: Recording) -> pb.Recording:
    return pb.Recording(
        name=f"cases/{r.case_id}/recordings/{r.id}",
        sha256=r.sha256,
        size_bytes=r.size,
        labels=pb.Labels(case_number=r.case_number, party=r.party, handler=r.handler_name),
        kind=r.kind,
        device=r.device,
        place=r.place,
        start_time=timestamp(r.start_time),
        end_time=timestamp(r.end_time),
        stored_time=timestamp(r.stored_at),
        late=r.late,
        recorder=r.recorder,
        object_key=r.object_key,
        confidentiality=r.confidentiality,
        retain_until=r.retain_until.date().isoformat(),
        related_document=r.related_document,
    )


def metadata_of(first: pb.UploadRecordingRequest | None) -> pb.RecordingMetadata:
    if first is None or first.WhichOneof("part") != "metadata":
        raise InvalidArgument(
            "METADATA_FIRST",
            "the first message of an upload must carry the metadata",
            "上传的第一条消息须为元数据",
            field="metadata",
        )
    return first.metadata


def chunk_of(request: pb.UploadRecordingRequest) -> bytes:
    if request.WhichOneof("part") != "chunk":
        raise InvalidArgument(
            "METADATA_REPEATED",
            "only the first message of an upload carries metadata",
            "元数据只能出现在第一条消息",
            field="metadata",
        )
    return bytes(request.chunk)


def command_of(meta: pb.RecordingMetadata) -> UploadRecording:
    (case_id,) = parse_name(meta.case, "cases/*", "metadata.case")
    related = ""
    if meta.related_document:
        related = "cases/{}/documents/{}".format(
            *parse_name(meta.related_document, "cases/*/documents/*", "metadata.related_document")
        )
    return UploadRecording(
        request_id=meta.request_id,
        case_id=case_id,
        kind=meta.kind,
        device=meta.device,
        place=meta.place,
        start_time=datetime_of(meta, "start_time"),
        end_time=datetime_of(meta, "end_time"),
        content_type=meta.content_type,
        confidentiality=meta.confidentiality or "normal",
        description=meta.description,
        related_document=related,
    )
