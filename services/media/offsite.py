"""The copies of a recording, with I/O: the copier that makes each pending off-site
copy (a durable task, resumed after a restart; seed Art 41 异地备份) and the fixity
check that re-hashes both copies (seed Art 45). A finding is logged as an alarm and
appended to the case's ledger."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

from liuhen.platform import ledger
from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.catalogue import sites
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.faults import fault_point
from liuhen.platform.ports import FixityMismatch, ObjectNotFound, ObjectStore, PortError
from services.media import orm, report_orm
from services.media.copies import COPY_DONE, COPY_FAILED, INTACT, OffsiteCopy, fixity
from services.media.model import Recording

log = logging.getLogger("liuhen.media.offsite")
SERVICE = "media"
MEDIA_ACTOR: Mapping[str, str] = {
    "user_id": "service:liuhen-media",
    "username": "liuhen-media",
    "name": "音视频服务 media",
    "role": "service",
    "certificate_no": "",
}


def _name(case_id: str, rec_id: str) -> str:
    return f"cases/{case_id}/recordings/{rec_id}"


def alarm(tenant: str, name: str, state: str, detail: str) -> None:
    """What operators watch for: stored footage that changed or went missing."""
    log.error("ALARM fixity %s: %s/%s %s", state, tenant, name, detail)


def record_copy(uow: UnitOfWork, task_id: str, offsite_sha256: str | None, detail: str) -> None:
    """The copier's outcome for one task: copied (and in the ledger), or a finding."""
    task = orm.copy_of(uow, task_id)
    if task is None or task.state != "pending":
        return  # another copier finished it
    task.attempts += 1
    if offsite_sha256 is None and not detail:
        return  # the store replicates by itself and has not yet: try again later
    ok = offsite_sha256 == task.sha256
    task.state, task.done_at = (COPY_DONE if ok else COPY_FAILED), utcnow()
    task.offsite_sha256, task.detail = offsite_sha256 or "", detail
    task.fixity_checked_at = task.done_at  # copying hashed the primary bytes too
    name = _name(task.case_id, task.recording_id)
    if not ok:
        alarm(uow.tenant, name, "copy_refused", detail or f"off-site hash {offsite_sha256}")
        report_orm.add_finding(
            uow,
            recording_id=task.recording_id,
            case_id=task.case_id,
            state="copy_refused",
            detail=detail or f"off-site hash {offsite_sha256}",
            found_at=task.done_at or utcnow(),
            offsite_sha256=offsite_sha256 or "",
        )
    ledger.append(
        uow,
        case_id=task.case_id,
        service=SERVICE,
        action="recording.offsite_copied" if ok else "recording.fixity_failed",
        actor=MEDIA_ACTOR,
        payload={
            "recording": name,
            "sha256": task.sha256,
            "offsite_sha256": offsite_sha256 or "",
            "detail": detail,
        },
        refs=[task.sha256],
    )


def copy_one(objects: ObjectStore, task: OffsiteCopy) -> tuple[str | None, str]:
    """Make one copy: (its hash or None, a finding's detail or "")."""
    try:
        return objects.copy_offsite(task.tenant_id, task.object_key), ""
    except FixityMismatch as exc:
        return None, str(exc)
    except ObjectNotFound:
        return None, "the primary copy is missing"


class OffsiteCopier:
    """Worker: makes the pending off-site copies of every tenant, at start (what a
    crash left), whenever an upload commits (`nudge`) and every `interval_s`."""

    def __init__(self, platform: Platform, interval_s: float) -> None:
        self.platform, self.interval_s = platform, interval_s
        self._wake, self._stopped = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="liuhen-media-copier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def nudge(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                self.run_once()
                self.sweep_fixity()
            except Exception:  # a store or database that is down: retried next round
                log.exception("off-site copier round failed")
            self._wake.wait(self.interval_s)

    def sweep_fixity(self, now: datetime | None = None) -> int:
        """Re-hash both copies of the recordings due at `now` (each about once every
        `fixity_interval_s`); returns how many were checked."""
        s, now = self.platform.settings, now or utcnow()
        before = now - timedelta(seconds=s.fixity_interval_s)
        checked = 0
        for tenant in sites():
            with self.platform.db.unit_of_work(tenant) as uow:
                due = orm.due_for_fixity(uow, before, s.fixity_batch)
            for task in due:
                if self._stopped.is_set():
                    return checked
                primary, found = rehash(self.platform.objects, tenant, task.object_key)
                with self.platform.db.unit_of_work(tenant) as uow:
                    record_sweep(uow, task.recording_id, primary, found, now)
                    uow.commit()
                checked += 1
        return checked

    def run_once(self) -> int:
        """Try every pending copy once; returns how many were tried."""
        tried = 0
        for tenant in sites():
            with self.platform.db.unit_of_work(tenant) as uow:
                tasks = orm.pending_copies(uow)
            for task in tasks:
                if self._stopped.is_set():
                    return tried
                fault_point(self.platform.settings.test_fault, "offsite.copy")
                offsite, detail = copy_one(self.platform.objects, task)
                with self.platform.db.unit_of_work(tenant) as uow:
                    record_copy(uow, task.recording_id, offsite, detail)
                    uow.commit()
                tried += 1
        return tried


def rehash(objects: ObjectStore, tenant: str, key: str) -> tuple[str | None, str | None]:
    """Both copies re-hashed from their bytes (None for a copy that is not there)."""
    try:
        primary: str | None = objects.primary_sha256(tenant, key)
    except (ObjectNotFound, PortError):
        primary = None
    return primary, objects.replica_sha256(tenant, key)


def _fixity_entry(
    uow: UnitOfWork,
    *,
    case_id: str,
    name: str,
    sha256: str,
    primary: str | None,
    offsite: str | None,
    actor: Mapping[str, str],
    always: bool,
    copied: bool,
    now: datetime | None = None,
) -> str:
    """Judge both copies; a finding is an alarm, a ledger entry (Art 45) and a row the
    supervision report lists (Art 47); an intact result is entered only when `always`
    (a check someone asked for)."""
    state = fixity(sha256, primary, offsite, copied=copied)
    if state != INTACT:
        detail = f"recorded {sha256}, primary {primary}, off-site {offsite}"
        alarm(uow.tenant, name, state, detail)
        report_orm.add_finding(
            uow,
            recording_id=name.rsplit("/", 1)[-1],
            case_id=case_id,
            state=state,
            detail=detail,
            found_at=now or utcnow(),
            primary_sha256=primary or "",
            offsite_sha256=offsite or "",
        )
    if state != INTACT or always:
        ledger.append(
            uow,
            case_id=case_id,
            service=SERVICE,
            action="recording.fixity_verified" if state == INTACT else "recording.fixity_failed",
            actor=actor,
            payload={
                "recording": name,
                "state": state,
                "sha256": sha256,
                "primary_sha256": primary or "",
                "offsite_sha256": offsite or "",
            },
            refs=[sha256],
        )
    return state


def record_fixity(
    uow: UnitOfWork,
    principal: Principal,
    *,
    rec: Recording,
    primary: str | None,
    offsite: str | None,
) -> str:
    """CheckFixity: the check of both copies, entered in the case's ledger."""
    principal.require_role("handler", "reviewer", action="checking the fixity of a recording")
    return _fixity_entry(
        uow,
        case_id=rec.case_id,
        name=_name(rec.case_id, rec.id),
        sha256=rec.sha256,
        primary=primary,
        offsite=offsite,
        actor=ledger.actor_of(principal, principal.acting_role(("reviewer", "handler"))),
        always=True,
        copied=_copied(uow, rec.id),
    )


def _copied(uow: UnitOfWork, rec_id: str) -> bool:
    task = orm.copy_of(uow, rec_id)
    return task is not None and task.state == COPY_DONE


def record_sweep(
    uow: UnitOfWork, rec_id: str, primary: str | None, offsite: str | None, now: datetime
) -> None:
    """The periodic check of one recording: only its findings go to the ledger."""
    task = orm.copy_of(uow, rec_id)
    if task is None:
        return
    task.fixity_checked_at = now
    _fixity_entry(
        uow,
        case_id=task.case_id,
        name=_name(task.case_id, rec_id),
        sha256=task.sha256,
        primary=primary,
        offsite=offsite,
        actor=MEDIA_ACTOR,
        always=False,
        copied=task.state == COPY_DONE,
        now=now,
    )


def clean_staging(objects: ObjectStore) -> None:
    """Remove what interrupted uploads left behind (at the service's start)."""
    removed = objects.clean_staging()
    if removed:
        log.warning("removed %d partial upload(s) left by an interrupted upload", removed)
