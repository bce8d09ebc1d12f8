"""Access requests, their approvals, copies and the access register (seed Art 44, 46).
Each handler runs in the caller's unit of work and never commits; every approval, read
and copy is also an entry in the case's ledger."""

from __future__ import annotations

import uuid

from liuhen.platform import ledger
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import not_found, require
from services.media import access_orm
from services.media.access import (
    COPY_MADE,
    OFFICER,
    AccessApproval,
    AccessEntry,
    AccessRequest,
    FileAccessRequest,
    ReadRange,
    RecordingCopy,
    Requester,
    approval_role,
    byte_range,
    check_copied_bytes,
    check_copy,
    check_new_request,
    copy_file_name,
    read_action,
    request_name,
    rules,
)
from services.media.model import Recording

SERVICE = "media"
OFFICERS = ("intake", "handler", "reviewer", "head", "bureau_head", "legal")
REGISTER_READERS = ("reviewer", "head", "bureau_head")


def _rec_name(rec: Recording) -> str:
    return f"cases/{rec.case_id}/recordings/{rec.id}"


def file_request(
    uow: UnitOfWork, principal: Principal, *, rec: Recording, cmd: FileAccessRequest
) -> AccessRequest:
    """An officer asks for themselves, or records a party's written application."""
    principal.require_role(*OFFICERS, action="filing an access or copy request")
    requester = (
        Requester(OFFICER, principal.user_id, principal.name)
        if cmd.requester_kind == OFFICER
        else Requester(cmd.requester_kind, "", cmd.party_name)
    )
    check_new_request(
        kind=cmd.kind,
        requester=requester,
        copier=cmd.copier,
        copier_name=cmd.copier_name,
        reason=cmd.reason,
        party=rec.party,
    )
    req = AccessRequest(
        id=str(uuid.uuid4()),
        tenant_id=uow.tenant,
        case_id=rec.case_id,
        recording_id=rec.id,
        kind=cmd.kind,
        requester_kind=requester.kind,
        requester=requester.user_id,
        requester_name=requester.name,
        copier=cmd.copier,
        copier_name=cmd.copier_name,
        reason=cmd.reason,
        filed_by=principal.user_id,
        filed_by_name=principal.name,
        created_at=utcnow(),
        confidentiality=rec.confidentiality,
    )
    uow.add(req)
    ledger.append(
        uow,
        case_id=rec.case_id,
        service=SERVICE,
        action=f"recording.{cmd.kind}_requested",
        actor=ledger.actor_of(principal),
        payload={
            "request": request_name(req),
            "recording": _rec_name(rec),
            "requester_kind": req.requester_kind,
            "requester": req.requester,
            "requester_name": req.requester_name,
            "copier": req.copier,
            "copier_name": req.copier_name,
            "reason": req.reason,
            "required_roles": list(req.required_roles),
        },
        refs=[rec.sha256],
    )
    return req


def load_request(uow: UnitOfWork, case_id: str, rec_id: str, req_id: str) -> AccessRequest:
    req = access_orm.get_request(uow, case_id, rec_id, req_id)
    if req is None:
        raise not_found(
            "access request", f"cases/{case_id}/recordings/{rec_id}/access_requests/{req_id}"
        )
    return req


def approve(uow: UnitOfWork, principal: Principal, *, req: AccessRequest) -> AccessRequest:
    """One approval, in the role the request still needs and the caller holds."""
    role = approval_role(req, user_id=principal.user_id, roles=principal.roles)
    entry = ledger.append(
        uow,
        case_id=req.case_id,
        service=SERVICE,
        action=f"recording.{req.kind}_approved",
        actor=ledger.actor_of(principal, role),
        payload={"request": request_name(req), "role": role},
    )
    req.approvals.append(
        AccessApproval(
            request_id=req.id,
            tenant_id=uow.tenant,
            role=role,
            approver=principal.user_id,
            approver_name=principal.name,
            approved_at=utcnow(),
            ledger_hash=entry.hash,
            ledger_seq=entry.seq,
        )
    )
    return req


def register_read(
    uow: UnitOfWork, principal: Principal, *, rec: Recording, cmd: ReadRange
) -> AccessEntry:
    """Check the read and write it to the register and the ledger before a byte goes."""
    req = load_request(uow, *cmd.request) if cmd.request else None
    action = read_action(
        req,
        recording_id=rec.id,
        user_id=principal.user_id,
        roles=principal.roles,
        copied=bool(req and access_orm.copies_of(uow, req.id)),
    )
    reason = cmd.reason or (req.reason if req else "")
    require(reason, "reason", "why the recording is read (事由)", article="seed Art 44")
    return _register(
        uow,
        principal,
        rec=rec,
        req=req,
        action=action,
        reason=reason,
        span=byte_range(cmd.offset, cmd.length, rec.size),
        sha256="",
    )


def make_copy(
    uow: UnitOfWork, principal: Principal, *, rec: Recording, req: AccessRequest, rehashed: str
) -> RecordingCopy:
    """The copy of an approved copy request: its manifest, in the register and ledger."""
    check_copy(req, principal.user_id)
    check_copied_bytes(rec.sha256, rehashed)
    approval = req.last_approval
    approval_hash, approval_seq = (
        (approval.ledger_hash, approval.ledger_seq) if approval else ("", 0)
    )
    entry = _register(
        uow,
        principal,
        rec=rec,
        req=req,
        action=COPY_MADE,
        reason=req.reason,
        span=(0, rec.size),
        sha256=rehashed,
    )
    copy = RecordingCopy(
        id=str(uuid.uuid4()),
        tenant_id=uow.tenant,
        request_id=req.id,
        case_id=rec.case_id,
        recording_id=rec.id,
        copier=principal.user_id,
        copier_name=principal.name,
        file_name=copy_file_name(rec.case_number, rec.id, rec.content_type),
        size=rec.size,
        sha256=rehashed,
        approval_ledger_hash=approval_hash,
        approval_ledger_seq=approval_seq,
        created_at=entry.at,
        ledger_hash=entry.ledger_hash,
    )
    uow.add(copy)
    return copy


def _register(
    uow: UnitOfWork,
    principal: Principal,
    *,
    rec: Recording,
    req: AccessRequest | None,
    action: str,
    reason: str,
    span: tuple[int, int],
    sha256: str,
) -> AccessEntry:
    direct = req is None
    requester_name, copier_name, approvers, req_id, req_name = (
        (principal.name, "", "", "", "")
        if req is None
        else (req.requester_name, req.copier_name, req.approvers_text, req.id, request_name(req))
    )
    entry = AccessEntry(
        id=str(uuid.uuid4()),
        tenant_id=uow.tenant,
        case_id=rec.case_id,
        recording_id=rec.id,
        action=action,
        actor=principal.user_id,
        actor_name=principal.name,
        requester_name=requester_name,
        copier_name=copier_name,
        approvers=approvers,
        reason=reason,
        at=utcnow(),
        access_request=req_id,
        offset=span[0],
        length=span[1],
        sha256=sha256,
        ledger_hash="",
    )
    role = principal.acting_role(rules().direct_readers) if direct else ""
    logged = ledger.append(
        uow,
        case_id=rec.case_id,
        service=SERVICE,
        action={"view": "recording.viewed", "copy": "recording.copied"}.get(
            action, "recording.copy_read"
        ),
        actor=ledger.actor_of(principal, role),
        payload={
            "register_entry": entry.id,
            "recording": _rec_name(rec),
            "request": req_name,
            "reason": reason,
            "offset": entry.offset,
            "length": entry.length,
            "sha256": sha256,
        },
        refs=[rec.sha256],
    )
    entry.ledger_hash = logged.hash
    uow.add(entry)
    return entry


def register_page(
    uow: UnitOfWork, principal: Principal, *, case_id: str, page_size: int, token: str
) -> tuple[list[AccessEntry], str]:
    """The register (Art 44 登记) is kept by the review department and read by heads."""
    principal.require_role(*REGISTER_READERS, action="reading the access register")
    return access_orm.register_page(uow, case_id, page_size, token)


def requests_page(
    uow: UnitOfWork,
    principal: Principal,
    *,
    case_id: str,
    rec_id: str,
    pending: bool,
    page_size: int,
    token: str,
) -> tuple[list[AccessRequest], str]:
    """The requests any officer of the bureau may see (the approvers find their work
    here, a requester the state of their own); `pending` leaves out the approved."""
    principal.require_role(*OFFICERS, action="listing access and copy requests")
    found, next_token = access_orm.requests_page(uow, case_id, rec_id, page_size, token)
    return [r for r in found if not (pending and r.approved)], next_token
