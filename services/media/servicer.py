"""MediaService over gRPC: protobuf ⇄ commands, nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import grpc

from liuhen.cases.v1 import cases_pb2, cases_pb2_grpc
from liuhen.media.v1 import media_pb2 as pb
from liuhen.media.v1 import media_pb2_grpc
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import InvalidArgument
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase, call_sibling, parse_name
from liuhen.platform.timestamps import datetime_of, timestamp
from services.media import handlers
from services.media.model import (
    DEFAULT_RETENTION_YEARS,
    AssignedCase,
    HashingStream,
    Labels,
    Recording,
    UploadRecording,
    check_same_bytes,
)


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


def _metadata(requests: Iterator[pb.UploadRecordingRequest]) -> pb.RecordingMetadata:
    first = next(requests, None)
    if first is None or first.WhichOneof("part") != "metadata":
        raise InvalidArgument(
            "METADATA_FIRST",
            "the first message of an upload must carry the metadata",
            "上传的第一条消息须为元数据",
            field="metadata",
        )
    return first.metadata


def _chunks(requests: Iterator[pb.UploadRecordingRequest]) -> Iterator[bytes]:
    for request in requests:
        if request.WhichOneof("part") != "chunk":
            raise InvalidArgument(
                "METADATA_REPEATED",
                "only the first message of an upload carries metadata",
                "元数据只能出现在第一条消息",
                field="metadata",
            )
        if request.chunk:
            yield request.chunk


def _command(meta: pb.RecordingMetadata) -> UploadRecording:
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


class MediaServicer(ServicerBase, media_pb2_grpc.MediaServiceServicer):  # type: ignore[misc]
    def __init__(self, platform: Platform, retention_years: int = DEFAULT_RETENTION_YEARS) -> None:
        super().__init__(platform)
        self.retention_years = retention_years

    def _case(self, case_id: str, principal: Principal) -> AssignedCase:
        """The case's labels and handler, from the cases service (NOT_FOUND passes on)."""
        case = call_sibling(
            cases_pb2_grpc.CasesServiceStub(self.platform.channel("cases")).GetCase,
            cases_pb2.GetCaseRequest(name=f"cases/{case_id}"),
            self.platform.forward(principal.tenant),
        ).case
        return AssignedCase(
            case_id=case_id,
            handler_id=case.handler,
            state=case.state,
            labels=Labels(
                case_number=case.case_number, party=case.party, handler=case.handler_name
            ),
        )

    def UploadRecording(
        self, request_iterator: Iterator[pb.UploadRecordingRequest], context: grpc.ServicerContext
    ) -> pb.UploadRecordingResponse:
        principal, meta = current_principal(), _metadata(request_iterator)
        cmd = _command(meta)
        handlers.check_upload(principal, cmd, utcnow())
        case = self._case(cmd.case_id, principal)
        stream = HashingStream(_chunks(request_iterator))
        upload = handlers.store(
            self.platform.objects,
            principal,
            cmd=cmd,
            case=case,
            stream=stream,
            retention_years=self.retention_years,
        )
        response = self.mutate(
            "UploadRecording",
            meta,
            pb.UploadRecordingResponse,
            lambda uow, who: pb.UploadRecordingResponse(
                recording=recording_to_pb(
                    handlers.record(
                        uow, who, cmd=cmd, case=case, upload=upload, sent_sha256=stream.sha256
                    )
                )
            ),
        )
        check_same_bytes(response.recording.sha256, stream.sha256)  # a replayed request
        return response

    def GetRecording(
        self, request: pb.GetRecordingRequest, context: grpc.ServicerContext
    ) -> pb.GetRecordingResponse:
        case_id, rec_id = parse_name(request.name, "cases/*/recordings/*")
        return self.read(
            lambda uow, who: pb.GetRecordingResponse(
                recording=recording_to_pb(handlers.load(uow, case_id, rec_id))
            )
        )

    def ListRecordings(
        self, request: pb.ListRecordingsRequest, context: grpc.ServicerContext
    ) -> pb.ListRecordingsResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        self._case(case_id, current_principal())  # another tenant's case: NOT_FOUND
        return self.read(
            lambda uow, who: pb.ListRecordingsResponse(
                recordings=[recording_to_pb(r) for r in handlers.of_case(uow, case_id)]
            )
        )

    def VerifyOffsiteCopy(
        self, request: pb.VerifyOffsiteCopyRequest, context: grpc.ServicerContext
    ) -> pb.VerifyOffsiteCopyResponse:
        case_id, rec_id = parse_name(request.name, "cases/*/recordings/*")
        rec = self.read(lambda uow, who: handlers.load(uow, case_id, rec_id))
        # Hash the remote copy outside any transaction: it streams the whole recording.
        offsite = self.platform.objects.replica_sha256(
            current_principal().tenant, rec.object_key, timeout_s=min(request.wait_seconds, 120)
        )

        def work(uow: UnitOfWork, who: Principal) -> pb.VerifyOffsiteCopyResponse:
            state = handlers.record_offsite_check(uow, who, rec=rec, offsite_sha256=offsite)
            check = pb.OffsiteCheck(state=state, offsite_sha256=offsite or "")
            check.checked_time.FromDatetime(utcnow())
            return pb.VerifyOffsiteCopyResponse(recording=recording_to_pb(rec), check=check)

        return self.mutate("VerifyOffsiteCopy", request, pb.VerifyOffsiteCopyResponse, work)

    def SetLegalHold(
        self, request: pb.SetLegalHoldRequest, context: grpc.ServicerContext
    ) -> pb.SetLegalHoldResponse:
        case_id, rec_id = parse_name(request.name, "cases/*/recordings/*")
        principal = current_principal()
        handlers.check_legal_hold(principal, request.reason)
        rec = self.read(lambda uow, who: handlers.load(uow, case_id, rec_id))
        # The store's hold first: a retry after a crash sets it again (idempotent there),
        # then the ledger records it once.
        self.platform.objects.set_legal_hold(principal.tenant, rec.object_key, request.on)

        def work(uow: UnitOfWork, who: Principal) -> pb.SetLegalHoldResponse:
            handlers.record_legal_hold(uow, who, rec=rec, on=request.on, reason=request.reason)
            return pb.SetLegalHoldResponse(recording=recording_to_pb(rec), legal_hold=request.on)

        return self.mutate("SetLegalHold", request, pb.SetLegalHoldResponse, work)


def register(platform: Platform) -> object:
    years = platform.settings.media_retention_years  # LIUHEN_MEDIA_RETENTION_YEARS

    def add(server: grpc.Server) -> list[str]:
        media_pb2_grpc.add_MediaServiceServicer_to_server(MediaServicer(platform, years), server)
        return [pb.DESCRIPTOR.services_by_name["MediaService"].full_name]

    return add
