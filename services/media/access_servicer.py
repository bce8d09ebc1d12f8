"""Playback, access requests, copies and the access register over gRPC (seed Art 44,
46): protobuf ⇄ commands. MediaServicer delegates its methods here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.listing import check_parent
from liuhen.platform.server import current_principal
from liuhen.platform.service import parse_name
from liuhen.platform.timestamps import timestamp
from services.media import access_handlers as handlers
from services.media import handlers as media_handlers
from services.media.access import (
    AccessEntry,
    AccessRequest,
    FileAccessRequest,
    ReadRange,
    RecordingCopy,
    check_copy,
    request_name,
)
from services.media.model import Recording

if TYPE_CHECKING:
    from services.media.servicer import MediaServicer

REQUEST = "cases/*/recordings/*/access_requests/*"


def request_to_pb(req: AccessRequest) -> pb.RecordingAccessRequest:
    return pb.RecordingAccessRequest(
        name=request_name(req),
        kind=req.kind,
        requester_kind=req.requester_kind,
        requester=req.requester,
        requester_name=req.requester_name,
        copier=req.copier,
        copier_name=req.copier_name,
        reason=req.reason,
        filed_by=req.filed_by,
        filed_by_name=req.filed_by_name,
        create_time=timestamp(req.created_at),
        required_roles=list(req.required_roles),
        approvals=[
            pb.AccessApproval(
                role=a.role,
                approver=a.approver,
                approver_name=a.approver_name,
                approve_time=timestamp(a.approved_at),
                ledger_hash=a.ledger_hash,
                ledger_seq=a.ledger_seq,
            )
            for a in req.approvals
        ],
        approved=req.approved,
    )


def entry_to_pb(e: AccessEntry) -> pb.RecordingAccessEntry:
    return pb.RecordingAccessEntry(
        name=f"tenants/{e.tenant_id}/recording_access_entries/{e.id}",
        recording=f"cases/{e.case_id}/recordings/{e.recording_id}",
        action=e.action,
        actor=e.actor,
        actor_name=e.actor_name,
        requester_name=e.requester_name,
        copier_name=e.copier_name,
        approvers=e.approvers,
        reason=e.reason,
        access_time=timestamp(e.at),
        access_request=(
            f"cases/{e.case_id}/recordings/{e.recording_id}/access_requests/{e.access_request}"
            if e.access_request
            else ""
        ),
        offset=e.offset,
        length=e.length,
        ledger_hash=e.ledger_hash,
    )


def copy_to_pb(c: RecordingCopy) -> pb.RecordingCopy:
    rec = f"cases/{c.case_id}/recordings/{c.recording_id}"
    return pb.RecordingCopy(
        name=f"{rec}/access_requests/{c.request_id}/copies/{c.id}",
        manifest=pb.CopyManifest(
            file_name=c.file_name,
            size_bytes=c.size,
            sha256=c.sha256,
            recording=rec,
            approval_ledger_hash=c.approval_ledger_hash,
            approval_ledger_seq=c.approval_ledger_seq,
        ),
        copier=c.copier,
        copier_name=c.copier_name,
        create_time=timestamp(c.created_at),
        ledger_hash=c.ledger_hash,
    )


class RecordingAccess:
    """The Art 44/46 methods of MediaService, on the servicer's pools and database."""

    def __init__(self, servicer: MediaServicer) -> None:
        self.s = servicer

    def _request(self, name: str, field: str = "name") -> AccessRequest:
        ids = parse_name(name, REQUEST, field)
        return self.s.read(lambda uow, who: handlers.load_request(uow, *ids))

    def _recording(self, case_id: str, rec_id: str) -> Recording:
        return self.s.read(lambda uow, who: media_handlers.load(uow, case_id, rec_id))

    # --- playback ---------------------------------------------------------------------

    async def read(
        self, request: pb.ReadRecordingRequest
    ) -> AsyncIterator[pb.ReadRecordingResponse]:
        case_id, rec_id = parse_name(request.name, "cases/*/recordings/*")
        ref = None
        if request.access_request:
            ref = tuple(parse_name(request.access_request, REQUEST, "access_request"))
        cmd = ReadRange(case_id, rec_id, request.offset, request.length, request.reason, ref)
        rec, entry = await self.s.calls(self._register_read, request, cmd)
        tenant = current_principal().tenant
        chunks: Iterator[bytes] = await self.s.calls(
            self.s.platform.objects.open_range,
            tenant,
            rec.object_key,
            offset=entry.offset,
            length=entry.length,
        )
        at, first = entry.offset, True
        try:
            # The bytes are read on the pool uploads use, so a long playback never
            # takes the threads short calls need.
            while (chunk := await self.s.uploads(next, chunks, None)) is not None:
                yield pb.ReadRecordingResponse(
                    chunk=chunk,
                    offset=at,
                    size_bytes=rec.size,
                    content_type=rec.content_type if first else "",
                    access_entry=entry.name if first else "",
                )
                at, first = at + len(chunk), False
        finally:  # a viewer who goes away releases the file or the connection at once
            close = getattr(chunks, "close", None)
            if close is not None:
                await self.s.uploads(close)

    def _register_read(
        self, request: pb.ReadRecordingRequest, cmd: ReadRange
    ) -> tuple[Recording, pb.RecordingAccessEntry]:
        rec = self._recording(cmd.case_id, cmd.recording_id)

        def work(uow: UnitOfWork, who: Principal) -> pb.RecordingAccessEntry:
            return entry_to_pb(handlers.register_read(uow, who, rec=rec, cmd=cmd))

        return rec, self.s.mutate("ReadRecording", request, pb.RecordingAccessEntry, work)

    # --- requests ---------------------------------------------------------------------

    async def create_request(
        self, request: pb.CreateRecordingAccessRequestRequest
    ) -> pb.CreateRecordingAccessRequestResponse:
        return await self.s.calls(self._create_request, request)

    def _create_request(
        self, request: pb.CreateRecordingAccessRequestRequest
    ) -> pb.CreateRecordingAccessRequestResponse:
        case_id, rec_id = parse_name(request.recording, "cases/*/recordings/*", "recording")
        rec = self._recording(case_id, rec_id)
        cmd = FileAccessRequest(
            case_id=case_id,
            recording_id=rec_id,
            kind=request.kind,
            requester_kind=request.requester_kind or "officer",
            party_name=request.party_name,
            copier=request.copier,
            copier_name=request.copier_name,
            reason=request.reason,
        )

        def work(uow: UnitOfWork, who: Principal) -> pb.CreateRecordingAccessRequestResponse:
            req = handlers.file_request(uow, who, rec=rec, cmd=cmd)
            return pb.CreateRecordingAccessRequestResponse(access_request=request_to_pb(req))

        return self.s.mutate(
            "CreateRecordingAccessRequest",
            request,
            pb.CreateRecordingAccessRequestResponse,
            work,
        )

    async def approve(
        self, request: pb.ApproveRecordingAccessRequestRequest
    ) -> pb.ApproveRecordingAccessRequestResponse:
        return await self.s.calls(self._approve, request)

    def _approve(
        self, request: pb.ApproveRecordingAccessRequestRequest
    ) -> pb.ApproveRecordingAccessRequestResponse:
        ids = parse_name(request.name, REQUEST)

        def work(uow: UnitOfWork, who: Principal) -> pb.ApproveRecordingAccessRequestResponse:
            req = handlers.approve(uow, who, req=handlers.load_request(uow, *ids))
            return pb.ApproveRecordingAccessRequestResponse(access_request=request_to_pb(req))

        return self.s.mutate(
            "ApproveRecordingAccessRequest",
            request,
            pb.ApproveRecordingAccessRequestResponse,
            work,
        )

    async def get_request(
        self, request: pb.GetRecordingAccessRequestRequest
    ) -> pb.GetRecordingAccessRequestResponse:
        req = await self.s.calls(self._request, request.name)
        return pb.GetRecordingAccessRequestResponse(access_request=request_to_pb(req))

    # --- copies -----------------------------------------------------------------------

    async def create_copy(
        self, request: pb.CreateRecordingCopyRequest
    ) -> pb.CreateRecordingCopyResponse:
        return await self.s.calls(self._create_copy, request)

    def _create_copy(
        self, request: pb.CreateRecordingCopyRequest
    ) -> pb.CreateRecordingCopyResponse:
        principal = current_principal()
        req = self._request(request.access_request, "access_request")
        check_copy(req, principal.user_id)  # before reading a byte
        rec = self._recording(req.case_id, req.recording_id)
        # Re-hash the stored bytes outside any transaction: the manifest's SHA-256 is
        # what the store holds now, not only what was recorded.
        rehashed = self.s.platform.objects.primary_sha256(principal.tenant, rec.object_key)

        def work(uow: UnitOfWork, who: Principal) -> pb.CreateRecordingCopyResponse:
            fresh = handlers.load_request(uow, req.case_id, req.recording_id, req.id)
            copy = handlers.make_copy(uow, who, rec=rec, req=fresh, rehashed=rehashed)
            return pb.CreateRecordingCopyResponse(copy=copy_to_pb(copy))

        return self.s.mutate("CreateRecordingCopy", request, pb.CreateRecordingCopyResponse, work)

    # --- the register -----------------------------------------------------------------

    async def list_entries(
        self, request: pb.ListRecordingAccessEntriesRequest
    ) -> pb.ListRecordingAccessEntriesResponse:
        return await self.s.calls(self._list_entries, request)

    def _list_entries(
        self, request: pb.ListRecordingAccessEntriesRequest
    ) -> pb.ListRecordingAccessEntriesResponse:
        case_id = ""
        if request.parent.startswith("tenants/"):
            check_parent(request.parent, current_principal().tenant)
        else:
            (case_id,) = parse_name(request.parent, "cases/*", "parent")
        entries, token = self.s.read(
            lambda uow, who: handlers.register_page(
                uow, who, case_id=case_id, page_size=request.page_size, token=request.page_token
            )
        )
        return pb.ListRecordingAccessEntriesResponse(
            entries=[entry_to_pb(e) for e in entries], next_page_token=token
        )

    async def list_requests(
        self, request: pb.ListRecordingAccessRequestsRequest
    ) -> pb.ListRecordingAccessRequestsResponse:
        return await self.s.calls(self._list_requests, request)

    def _list_requests(
        self, request: pb.ListRecordingAccessRequestsRequest
    ) -> pb.ListRecordingAccessRequestsResponse:
        case_id = rec_id = ""
        if request.parent.startswith("tenants/"):
            check_parent(request.parent, current_principal().tenant)
        elif "/recordings/" in request.parent:
            case_id, rec_id = parse_name(request.parent, "cases/*/recordings/*", "parent")
        else:
            (case_id,) = parse_name(request.parent, "cases/*", "parent")
        found, token = self.s.read(
            lambda uow, who: handlers.requests_page(
                uow,
                who,
                case_id=case_id,
                rec_id=rec_id,
                pending=request.pending,
                page_size=request.page_size,
                token=request.page_token,
            )
        )
        return pb.ListRecordingAccessRequestsResponse(
            access_requests=[request_to_pb(r) for r in found], next_page_token=token
        )
