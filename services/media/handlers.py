"""Media commands. The bytes stream to the object store outside any transaction (SQLite
holds its write lock for a transaction's life); the recording and its ledger entry are
then written in one idempotent transaction. Handlers never commit."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime

from liuhen.platform import ledger
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import InvalidArgument, PermissionDenied, not_found, require
from liuhen.platform.ports import ObjectExists, ObjectStore, StoredObject
from services.media import orm
from services.media.copies import COPY_PENDING, new_copy, offsite_state
from services.media.model import (
    AssignedCase,
    HashingStream,
    Recording,
    Upload,
    UploadRecording,
    check_same_bytes,
    check_uploader,
    ended,
    new_recording,
    object_key,
    recording_id,
    retain_until,
    store_metadata,
    validate_upload,
)

SERVICE = "media"


class StoreMismatch(RuntimeError):
    """The store hashed other bytes than we sent: never record such an object."""


def check_upload(principal: Principal, cmd: UploadRecording, now: datetime) -> None:
    principal.require_role("handler", action="storing a recording")
    validate_upload(cmd, now)


def store(
    objects: ObjectStore,
    principal: Principal,
    *,
    cmd: UploadRecording,
    case: AssignedCase,
    stream: HashingStream,
    retention_years: int,
    labels: Mapping[str, str] | None = None,
) -> Upload:
    """Stream the recording into the store under a key derived from the request id. If
    the key is taken (a retry, or a crash before the commit), read the rest of the
    stream and answer with what the store holds; `record` compares the hashes."""
    check_uploader(case, principal.user_id)
    key = object_key(case.case_id, recording_id(principal.tenant, cmd.request_id))
    until = retain_until(ended(cmd), retention_years, stored=utcnow())
    chunks = iter(stream)
    first = next(chunks, None)
    if first is None:
        raise InvalidArgument(
            "EMPTY_RECORDING", "the upload carried no chunks", "上传内容为空", field="chunk"
        )
    objects.ensure_bucket(principal.tenant)
    try:
        stored = objects.put(
            principal.tenant,
            key,
            itertools.chain([first], chunks),
            metadata={
                **store_metadata(
                    cmd, case, recorder=principal.user_id, recorder_name=principal.name
                ),
                **(labels or {}),  # a session's fields, an intake, an image's note (Art 41)
            },
            retain_until=until,
        )
    except ObjectExists:
        stream.drain()
        stored = objects.head(principal.tenant, key)
    else:
        if (stored.sha256, stored.size) != (stream.sha256, stream.size):
            raise StoreMismatch(
                f"{key}: store has {stored.sha256}/{stored.size}, sent "
                f"{stream.sha256}/{stream.size}"
            )
    return _upload(stored, until)


def _upload(stored: StoredObject, until: datetime) -> Upload:
    return Upload(
        key=stored.key,
        sha256=stored.sha256,
        size=stored.size,
        retain_until=stored.retain_until or until,
        stored_at=utcnow(),
    )


def record(
    uow: UnitOfWork,
    principal: Principal,
    *,
    cmd: UploadRecording,
    case: AssignedCase,
    upload: Upload,
    sent_sha256: str,
) -> Recording:
    """Record the stored recording with its labels and append it to the case's ledger."""
    check_same_bytes(upload.sha256, sent_sha256)
    rec = new_recording(
        cmd,
        case,
        upload,
        tenant=uow.tenant,
        recorder=principal.user_id,
        recorder_name=principal.name,
    )
    uow.add(rec)
    # The off-site copy is a task committed with the recording: a crash after this
    # commit cannot lose it; the copier makes it, after a restart too (Art 41).
    uow.add(
        new_copy(
            recording_id=rec.id,
            tenant=uow.tenant,
            case_id=rec.case_id,
            key=rec.object_key,
            sha256=rec.sha256,
            now=utcnow(),
        )
    )
    ledger.append(
        uow,
        case_id=rec.case_id,
        service=SERVICE,
        action="recording.stored",
        actor=ledger.actor_of(principal, "handler"),
        payload=_payload(rec),
        refs=[rec.sha256],
    )
    return rec


def _payload(rec: Recording) -> dict[str, object]:
    return {
        "recording": f"cases/{rec.case_id}/recordings/{rec.id}",
        "sha256": rec.sha256,
        "size": rec.size,
        "kind": rec.kind,
        "case_number": rec.case_number,
        "party": rec.party,
        "handler": rec.handler_name,
        "recorder": rec.recorder,
        "device": rec.device,
        "place": rec.place,
        "start_time": rec.start_time,
        "end_time": rec.end_time,
        "stored_at": rec.stored_at,
        "late": rec.late,
        "object_key": rec.object_key,
        "retain_until": rec.retain_until,
        "confidentiality": rec.confidentiality,
        "related_document": rec.related_document,
    }


def load(uow: UnitOfWork, case_id: str, rec_id: str) -> Recording:
    rec = orm.get(uow, case_id, rec_id)
    if rec is None:
        raise not_found("recording", f"cases/{case_id}/recordings/{rec_id}")
    return rec


def of_case(uow: UnitOfWork, case_id: str) -> list[Recording]:
    return orm.of_case(uow, case_id)


def copy_pending(uow: UnitOfWork, rec_id: str) -> bool:
    """Whether the copier has yet to make the recording's off-site copy."""
    task = orm.copy_of(uow, rec_id)
    return task is not None and task.state == COPY_PENDING


def check_offsite_check(principal: Principal) -> None:
    principal.require_role("handler", "reviewer", action="checking the off-site copy")


def record_offsite_check(
    uow: UnitOfWork, principal: Principal, *, rec: Recording, offsite_sha256: str | None
) -> str:
    check_offsite_check(principal)
    state = offsite_state(rec.sha256, offsite_sha256, pending=copy_pending(uow, rec.id))
    ledger.append(
        uow,
        case_id=rec.case_id,
        service=SERVICE,
        action=f"recording.offsite_{state}",
        actor=ledger.actor_of(principal, principal.acting_role(("reviewer", "handler"))),
        payload={
            "recording": f"cases/{rec.case_id}/recordings/{rec.id}",
            "state": state,
            "sha256": rec.sha256,
            "offsite_sha256": offsite_sha256 or "",
        },
        refs=[rec.sha256, *([offsite_sha256] if offsite_sha256 else [])],
    )
    return state


def check_legal_hold(principal: Principal, reason: str) -> None:
    """The review department (案件审理部门) keeps the footage (Art 42, 44)."""
    principal.require_role("reviewer", action="placing or lifting a legal hold")
    require(reason, "reason", "what the hold is for", article="seed Art 45")


def record_legal_hold(
    uow: UnitOfWork, principal: Principal, *, rec: Recording, on: bool, reason: str
) -> None:
    ledger.append(
        uow,
        case_id=rec.case_id,
        service=SERVICE,
        action="recording.legal_hold_placed" if on else "recording.legal_hold_lifted",
        actor=ledger.actor_of(principal, "reviewer"),
        payload={
            "recording": f"cases/{rec.case_id}/recordings/{rec.id}",
            "on": on,
            "reason": reason,
        },
        refs=[rec.sha256],
    )


def check_retainer(principal: Principal) -> None:
    """Only the cases service, as it archives the file, sets footage's final lock."""
    if not principal.is_service:
        raise PermissionDenied(
            "SERVICE_ONLY",
            "only the cases service extends footage's retention, when it archives the file",
            "仅在案卷归档时由案件服务延长音、视频资料的保存期限",
            article="seed Art 43",
        )


def retain_case(
    uow: UnitOfWork,
    principal: Principal,
    store: ObjectStore,
    *,
    case_id: str,
    kind: str,
    years: int,
    now: datetime,
) -> tuple[datetime, int]:
    """Lock every recording of the case until `years` from now, the term of its file's
    kind (Art 43: kept as long as the file), where its lock ends sooner: the store's lock
    first (extending is idempotent, so a retry after a crash extends again), then the row
    and one ledger entry per recording. Returns the date and how many were extended."""
    until = retain_until(now, years, stored=now)
    extended = 0
    for rec in orm.of_case(uow, case_id):
        if rec.retain_until >= until:
            continue
        store.extend_retention(uow.tenant, rec.object_key, until)
        rec.retain_until = until
        ledger.append(
            uow,
            case_id=case_id,
            service=SERVICE,
            action="recording.retention_extended",
            actor=ledger.actor_of(principal, "service"),
            payload={
                "recording": f"cases/{case_id}/recordings/{rec.id}",
                "kind": kind,
                "years": years,
                "retain_until": until.isoformat(),
            },
            refs=[rec.sha256],
        )
        extended += 1
    return until, extended
