"""Signing, witnessing and archiving the ledger log, each step one transaction followed
by its write under Object Lock (DESIGN §4; seed Art 45). The routing service runs these:
its worker signs every site's checkpoint at an interval, and its inbox hands it the
`checkpoint` and `cosignature` messages; the cases service signs on request."""

from __future__ import annotations

import json
import logging

from sqlalchemy.exc import IntegrityError

from liuhen.platform import checkpoints, tlog
from liuhen.platform.archive import Archive
from liuhen.platform.checkpoints import Signed
from liuhen.platform.db import Database
from liuhen.platform.logkeys import Keyring, site_of_origin
from liuhen.platform.note import Checkpoint, parse_note
from liuhen.platform.ports import PortError

log = logging.getLogger("liuhen.ledger")


def publish_checkpoint(db: Database, keys: Keyring, archive: Archive, tenant: str) -> Signed | None:
    """Sign the tenant's tree head if it grew (and send it to the witness), then write the
    checkpoint and the new leaf tiles under Object Lock."""
    try:
        signed = _sign(db, keys, tenant)
    except IntegrityError:  # another process signed this size first: take its checkpoint
        signed = _sign(db, keys, tenant)
    if signed is None or not signed.new:
        return signed
    size = signed.checkpoint.size
    try:
        with db.unit_of_work(tenant) as uow:
            log_id = tlog.log_id(uow)
            archive.put_checkpoint(tenant, log_id, size, signed.note)
            archive.put_tiles(
                tenant, log_id, signed.old_size, size, lambda b, e: tlog.leaf_hashes(uow, b, e)
            )
    except PortError as exc:  # the next checkpoint writes the tiles again
        log.warning("could not archive the checkpoint %d of %s: %s", size, tenant, exc)
    return signed


def _sign(db: Database, keys: Keyring, tenant: str) -> Signed | None:
    with db.unit_of_work(tenant) as uow:
        signed = checkpoints.sign_checkpoint(uow, keys)
        uow.commit()
    return signed


def apply_message(
    db: Database,
    keys: Keyring,
    archive: Archive,
    tenant: str,
    *,
    type: str,
    sender: str,
    payload: str,
) -> str:
    """Apply a `checkpoint` (at the witness) or a `cosignature` (at the log's site)."""
    with db.unit_of_work(tenant) as uow:
        if type == "checkpoint":
            detail = checkpoints.witness_checkpoint(uow, keys, sender=sender, payload=payload)
        else:
            detail = checkpoints.accept_cosignature(uow, keys, sender=sender, payload=payload)
        uow.commit()
    try:
        _archive(db, archive, tenant, type, detail, payload)
    except PortError as exc:
        log.warning("could not archive the %s from %s in %s: %s", type, sender, tenant, exc)
    return detail


def _archive(
    db: Database, archive: Archive, tenant: str, type: str, detail: str, payload: str
) -> None:
    if detail.startswith("FORK"):
        return
    body = json.loads(payload)
    if type == "checkpoint":
        text = parse_note(body["note"])[0]
        cp = Checkpoint.parse(text)
        with db.unit_of_work(tenant) as uow:
            rows = checkpoints.cosignatures(uow, cp.origin, cp.size)
        note = body["note"] + "".join(r.line for r in rows)
        archive.put_witnessed(tenant, site_of_origin(cp.origin), cp.size, cp.root, note)
        return
    with db.unit_of_work(tenant) as uow:
        row = uow.session.get(
            checkpoints.CheckpointRow,
            (tenant, checkpoints.OWN, body["origin"], int(body["size"])),
        )
        note = checkpoints.with_cosignatures(uow, row) if row is not None else ""
        log_id = tlog.log_id(uow)
    if note:
        archive.put_cosigned(tenant, log_id, int(body["size"]), note)
