"""MediaService over gRPC (asyncio): protobuf ⇄ commands, nothing else.

Uploads stream for minutes and VerifyOffsiteCopy may wait for the copy, so the service
runs on grpc.aio (`liuhen.platform.aio`): a waiting call holds no thread. Blocking work
goes to two bounded pools, `uploads` for the bytes of uploads and `calls` for the rest,
so uploads never take the threads other calls need; open upload streams are limited
per officer and per district, and a silent stream is closed (issue 10).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import grpc

from liuhen.cases.v1 import cases_pb2, cases_pb2_grpc
from liuhen.media.v1 import media_pb2 as pb
from liuhen.media.v1 import media_pb2_grpc
from liuhen.platform.aio import AioRuntime, IdleStream, StreamLimits
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.enums import to_enum, to_key
from liuhen.platform.faults import fault_point
from liuhen.platform.server import current_principal
from liuhen.platform.service import parse_name
from liuhen.platform.timestamps import timestamp
from services.media import handlers, offsite, report_handlers
from services.media import session_servicer as session_rpc
from services.media.access_servicer import RecordingAccess
from services.media.convert import (
    FIXITY_STATES,
    chunk_of,
    metadata_of,
    recording_to_pb,
)
from services.media.copies import wait_seconds
from services.media.model import (
    DEFAULT_RETENTION_YEARS,
    AssignedCase,
    HashingStream,
    Labels,
    Recording,
    check_same_bytes,
    lock_years_of_kind,
    retention_years,
)
from services.media.model import (
    UploadRecording as UploadCommand,
)
from services.media.report_servicer import SupervisionReportRpcs
from services.media.sessions import Attachment

POLL_S = 0.2  # how often a waiting VerifyOffsiteCopy looks for the copy


class MediaServicer(SupervisionReportRpcs, media_pb2_grpc.MediaServiceServicer):  # type: ignore[misc]
    def __init__(
        self,
        platform: Platform,
        runtime: AioRuntime,
        copier: offsite.OffsiteCopier,
        retention_years: int = DEFAULT_RETENTION_YEARS,
    ) -> None:
        super().__init__(platform)
        s = platform.settings
        self.retention_years, self.copier = retention_years, copier
        self.calls = runtime.offload(16, "liuhen-media-call")
        self.uploads = runtime.offload(s.upload_workers, "liuhen-media-upload")
        self.limits = StreamLimits(
            per_caller=s.uploads_per_caller, per_tenant=s.uploads_per_tenant, what="upload"
        )
        self.access = RecordingAccess(self)

    # --- blocking helpers (run on the `calls` pool) ---------------------------------

    def _case(self, case_id: str, principal: Principal) -> AssignedCase:
        """The case's labels and handler from the cases service (GetCase carries no
        documents or ledger: a case grows; this answer does not). NOT_FOUND passes on."""
        case = self.platform.call(
            cases_pb2_grpc.CasesServiceStub(self.platform.channel("cases")).GetCase,
            cases_pb2.GetCaseRequest(name=f"cases/{case_id}"),
            self.platform.forward(principal.tenant),
        ).case
        return AssignedCase(
            case_id=case_id,
            handler_id=case.handler,
            state=to_key(cases_pb2.Case.State, case.state),
            major=case.major,
            labels=Labels(
                case_number=case.case_number, party=case.party, handler=case.handler_name
            ),
        )

    def _load(self, name: str) -> Recording:
        case_id, rec_id = session_rpc.parse_recording(name)
        return self.read(lambda uow, who: handlers.load(uow, case_id, rec_id))

    # --- uploads --------------------------------------------------------------------

    async def UploadRecording(
        self, request_iterator: AsyncIterator[pb.UploadRecordingRequest], context: Any
    ) -> pb.UploadRecordingResponse:
        principal = current_principal()
        with self.limits.slot(principal):
            requests = IdleStream(
                request_iterator, context, self.platform.settings.upload_idle_timeout_s
            )
            try:
                return await self._upload(principal, requests)
            finally:
                requests.abandoned = True  # a worker still reading stops at once

    async def _upload(
        self, principal: Principal, requests: IdleStream
    ) -> pb.UploadRecordingResponse:
        meta = metadata_of(await requests.next())
        # The case or intake, the session, the note: checked before any byte is stored.
        cmd, att, case, labels = await session_rpc.prepare_upload(self, principal, meta)
        stream = HashingStream(self._chunks(requests))
        upload = await self.uploads(
            handlers.store,
            self.platform.objects,
            principal,
            cmd=cmd,
            case=case,
            stream=stream,
            retention_years=retention_years(
                case, self.retention_years, self.platform.settings.retention_years_by_kind
            ),
            labels=labels,
        )
        response = await self.calls(self._record, meta, cmd, case, upload, stream.sha256, att)
        fault_point(self.platform.settings.test_fault, "upload.recorded")
        self.copier.nudge()
        check_same_bytes(response.recording.sha256, stream.sha256)  # a replayed request
        return response

    def _chunks(self, requests: IdleStream) -> Iterator[bytes]:
        """The upload's bytes, read on an upload worker."""
        for i, chunk in enumerate(c for c in requests.blocking(chunk_of) if c):
            yield chunk
            if i == 1:
                fault_point(self.platform.settings.test_fault, "upload.streaming")

    def _record(
        self,
        meta: pb.RecordingMetadata,
        cmd: UploadCommand,
        case: AssignedCase,
        upload: Any,
        sent: str,
        att: Attachment,
    ) -> pb.UploadRecordingResponse:
        return self.mutate(
            "UploadRecording",
            meta,
            pb.UploadRecordingResponse,
            lambda uow, who: pb.UploadRecordingResponse(
                recording=session_rpc.recorded(
                    uow,
                    who,
                    handlers.record(uow, who, cmd=cmd, case=case, upload=upload, sent_sha256=sent),
                    att,
                )
            ),
        )

    # --- reads ------------------------------------------------------------------------

    async def GetRecording(
        self, request: pb.GetRecordingRequest, context: Any
    ) -> pb.GetRecordingResponse:
        rec = await self.calls(self._load, request.name)
        shown = await self.calls(self.read, lambda uow, who: session_rpc.attached(uow, rec))
        return pb.GetRecordingResponse(recording=shown)

    async def ListRecordings(
        self, request: pb.ListRecordingsRequest, context: Any
    ) -> pb.ListRecordingsResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        await self.calls(self._case, case_id, current_principal())  # another tenant's: NOT_FOUND
        recs = await self.calls(
            self.read,
            lambda uow, who: [session_rpc.attached(uow, r) for r in handlers.of_case(uow, case_id)],
        )
        return pb.ListRecordingsResponse(recordings=recs)

    # --- the copies -------------------------------------------------------------------

    async def VerifyOffsiteCopy(
        self, request: pb.VerifyOffsiteCopyRequest, context: Any
    ) -> pb.VerifyOffsiteCopyResponse:
        """Wait (on the loop, holding no thread) until the copy is there or the wait is
        over; a caller that goes away cancels the call before anything is recorded."""
        wait = wait_seconds(request.wait_seconds, self.platform.settings.offsite_wait_cap_s)
        handlers.check_offsite_check(current_principal())
        rec = await self.calls(self._load, request.name)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        tenant = current_principal().tenant
        while True:
            found = await self.calls(self.platform.objects.replica_sha256, tenant, rec.object_key)
            if found is not None or loop.time() >= deadline:
                break
            self.copier.nudge()
            await asyncio.sleep(min(POLL_S, max(0.0, deadline - loop.time())))
        return await self.calls(self._record_check, request, rec, found)

    def _record_check(
        self, request: pb.VerifyOffsiteCopyRequest, rec: Recording, found: str | None
    ) -> pb.VerifyOffsiteCopyResponse:
        def work(uow: UnitOfWork, who: Principal) -> pb.VerifyOffsiteCopyResponse:
            state = handlers.record_offsite_check(uow, who, rec=rec, offsite_sha256=found)
            check = pb.OffsiteCheck(
                state=to_enum(pb.OffsiteState, state, prefix="OFFSITE_STATE_"),
                offsite_sha256=found or "",
                checked_time=timestamp(utcnow()),
            )
            return pb.VerifyOffsiteCopyResponse(recording=recording_to_pb(rec), check=check)

        return self.mutate("VerifyOffsiteCopy", request, pb.VerifyOffsiteCopyResponse, work)

    async def CheckFixity(
        self, request: pb.CheckFixityRequest, context: Any
    ) -> pb.CheckFixityResponse:
        return await self.calls(self._check_fixity, request)

    def _check_fixity(self, request: pb.CheckFixityRequest) -> pb.CheckFixityResponse:
        rec = self._load(request.name)
        tenant = current_principal().tenant
        # Hash outside any transaction: it reads both copies whole.
        primary, found = offsite.rehash(self.platform.objects, tenant, rec.object_key)

        def work(uow: UnitOfWork, who: Principal) -> pb.CheckFixityResponse:
            state = offsite.record_fixity(uow, who, rec=rec, primary=primary, offsite=found)
            return pb.CheckFixityResponse(
                recording=recording_to_pb(rec),
                state=FIXITY_STATES[state],
                primary_sha256=primary or "",
                offsite_sha256=found or "",
                checked_time=timestamp(utcnow()),
            )

        return self.mutate("CheckFixity", request, pb.CheckFixityResponse, work)

    # --- legal hold -------------------------------------------------------------------

    async def SetLegalHold(
        self, request: pb.SetLegalHoldRequest, context: Any
    ) -> pb.SetLegalHoldResponse:
        return await self.calls(self._set_legal_hold, request)

    def _set_legal_hold(self, request: pb.SetLegalHoldRequest) -> pb.SetLegalHoldResponse:
        principal = current_principal()
        handlers.check_legal_hold(principal, request.reason)
        rec = self._load(request.name)
        # The store's hold first: a retry after a crash sets it again (idempotent there),
        # then the ledger records it once.
        self.platform.objects.set_legal_hold(principal.tenant, rec.object_key, request.on)

        def work(uow: UnitOfWork, who: Principal) -> pb.SetLegalHoldResponse:
            handlers.record_legal_hold(uow, who, rec=rec, on=request.on, reason=request.reason)
            return pb.SetLegalHoldResponse(recording=recording_to_pb(rec), legal_hold=request.on)

        return self.mutate("SetLegalHold", request, pb.SetLegalHoldResponse, work)

    # --- the file's retention (Art 43) -------------------------------------------------

    async def RetainCaseRecordings(
        self, request: pb.RetainCaseRecordingsRequest, context: Any
    ) -> pb.RetainCaseRecordingsResponse:
        return await self.calls(self._retain_case, request)

    def _retain_case(
        self, request: pb.RetainCaseRecordingsRequest
    ) -> pb.RetainCaseRecordingsResponse:
        handlers.check_retainer(current_principal())
        (case_id,) = parse_name(request.case, "cases/*", "case")
        settings = self.platform.settings
        years = lock_years_of_kind(
            request.kind, self.retention_years, settings.retention_years_by_kind
        )

        def work(uow: UnitOfWork, who: Principal) -> pb.RetainCaseRecordingsResponse:
            until, extended = handlers.retain_case(
                uow,
                who,
                self.platform.objects,
                case_id=case_id,
                kind=request.kind,
                years=years,
                now=utcnow(),
            )
            return pb.RetainCaseRecordingsResponse(
                years=years, retain_until=until.date().isoformat(), extended=extended
            )

        return self.mutate("RetainCaseRecordings", request, pb.RetainCaseRecordingsResponse, work)

    # --- on-site sessions (Art 23–26, 41): services/media/session_servicer.py ---------

    async def CreateSession(self, request: pb.CreateSessionRequest, context: Any) -> Any:
        return await session_rpc.create_session(self, request)

    async def GetSession(self, request: pb.GetSessionRequest, context: Any) -> Any:
        return await session_rpc.get_session(self, request)

    async def ListSessions(self, request: pb.ListSessionsRequest, context: Any) -> Any:
        return await session_rpc.list_sessions(self, request)

    async def ExplainInterruption(
        self, request: pb.ExplainInterruptionRequest, context: Any
    ) -> Any:
        return await session_rpc.explain_interruption(self, request)

    async def ExemptSession(self, request: pb.ExemptSessionRequest, context: Any) -> Any:
        return await session_rpc.exempt_session(self, request)

    async def ListLateRecordings(self, request: pb.ListLateRecordingsRequest, context: Any) -> Any:
        return await session_rpc.list_late(self, request)

    # --- playback, access requests and copies (Art 44, 46): services/media/access_* ---

    async def ReadRecording(
        self, request: pb.ReadRecordingRequest, context: Any
    ) -> AsyncIterator[pb.ReadRecordingResponse]:
        async for response in self.access.read(request):
            yield response

    async def CreateRecordingAccessRequest(
        self, request: pb.CreateRecordingAccessRequestRequest, context: Any
    ) -> pb.CreateRecordingAccessRequestResponse:
        return await self.access.create_request(request)

    async def ApproveRecordingAccessRequest(
        self, request: pb.ApproveRecordingAccessRequestRequest, context: Any
    ) -> pb.ApproveRecordingAccessRequestResponse:
        return await self.access.approve(request)

    async def GetRecordingAccessRequest(
        self, request: pb.GetRecordingAccessRequestRequest, context: Any
    ) -> pb.GetRecordingAccessRequestResponse:
        return await self.access.get_request(request)

    async def CreateRecordingCopy(
        self, request: pb.CreateRecordingCopyRequest, context: Any
    ) -> pb.CreateRecordingCopyResponse:
        return await self.access.create_copy(request)

    async def ListRecordingAccessEntries(
        self, request: pb.ListRecordingAccessEntriesRequest, context: Any
    ) -> pb.ListRecordingAccessEntriesResponse:
        return await self.access.list_entries(request)

    async def ListRecordingAccessRequests(
        self, request: pb.ListRecordingAccessRequestsRequest, context: Any
    ) -> pb.ListRecordingAccessRequestsResponse:
        return await self.access.list_requests(request)


def register_async(platform: Platform) -> Callable[[grpc.aio.Server, AioRuntime], Sequence[str]]:
    """The media service on grpc.aio: first clean what interrupted uploads left, then
    the servicer and the off-site copier (which resumes the copies a crash left)."""
    years = platform.settings.media_retention_years  # LIUHEN_MEDIA_RETENTION_YEARS

    def add(server: grpc.aio.Server, runtime: AioRuntime) -> list[str]:
        offsite.clean_staging(platform.objects)
        copier = offsite.OffsiteCopier(platform, platform.settings.offsite_retry_s)
        runtime.workers.append(copier)
        # Art 47: each district's report to the city, every LIUHEN_MEDIA_REPORT_INTERVAL_S.
        runtime.workers.append(
            report_handlers.ReportScheduler(platform, platform.settings.report_interval_s)
        )
        servicer = MediaServicer(platform, runtime, copier, years)
        media_pb2_grpc.add_MediaServiceServicer_to_server(servicer, server)
        return [pb.DESCRIPTOR.services_by_name["MediaService"].full_name]

    return add
