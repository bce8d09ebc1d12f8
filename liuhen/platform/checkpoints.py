"""Signed checkpoints of each site's ledger log and their witnesses (DESIGN §4; seed
Art 45, 47; docs/ledger.md).

A site signs its tree head (C2SP tlog-checkpoint, note.py) at an interval and on
request, and sends it to its witness (sites.yaml `witnesses`: the city for each
district, a district for the city) as a `checkpoint` message, with consistency proofs
from its previous checkpoint and from the last one cosigned. The witness checks the
proof from the last checkpoint it saw of that log and cosigns (tlog-cosignature),
sending the cosignature back; a checkpoint that does not extend the last one is a fork:
an alarm (platform_alarms, for the Art 47 report) and an entry in the witness's own
ledger, never a cosignature.
All three tables are append-only.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.platform import ledger, merkle, outbox, sequencer, tlog
from liuhen.platform.catalogue import witness_of
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime, utcnow
from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from liuhen.platform.logkeys import Keyring, origin_of
from liuhen.platform.note import (
    Checkpoint,
    NoteError,
    Signature,
    cosign,
    format_note,
    open_checkpoint,
    parse_note,
    sign,
    verify_signature,
)

OWN, WITNESSED = "own", "witnessed"
WITNESS_ACTOR = {
    "user_id": "service:liuhen-witness",
    "username": "liuhen-witness",
    "name": "账本见证 ledger witness",
    "role": "service",
    "certificate_no": "",
}


class CheckpointRow(Base):
    """A checkpoint this site signed of its own log, or saw of a log it witnesses."""

    __tablename__ = "platform_checkpoints"
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    origin: Mapped[str] = mapped_column(String(128), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(UtcDateTime())


class CosignatureRow(Base):
    """A witness's cosignature line on a checkpoint (kept by the log and the witness)."""

    __tablename__ = "platform_cosignatures"
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    origin: Mapped[str] = mapped_column(String(128), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    witness: Mapped[str] = mapped_column(String(128), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(UtcDateTime())


class AlarmRow(Base):
    """A finding for the Art 47 report: e.g. a fork of a witnessed log."""

    __tablename__ = "platform_alarms"
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(UtcDateTime())


@dataclass(frozen=True)
class Signed:
    checkpoint: Checkpoint
    note: str  # with every signature known: the log's, then the witnesses'
    new: bool = False
    old_size: int = 0  # the size of the checkpoint before it


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def _latest(uow: UnitOfWork, role: str, origin: str) -> CheckpointRow | None:
    return uow.session.scalar(
        select(CheckpointRow)
        .where(
            CheckpointRow.tenant_id == uow.tenant,
            CheckpointRow.role == role,
            CheckpointRow.origin == origin,
        )
        .order_by(CheckpointRow.size.desc())
        .limit(1)
    )


def _row(uow: UnitOfWork, role: str, origin: str, size: int) -> CheckpointRow | None:
    return uow.session.get(CheckpointRow, (uow.tenant, role, origin, size))


def sign_checkpoint(uow: UnitOfWork, keys: Keyring) -> Signed | None:
    """Sign the tree head if the log grew since the last checkpoint, and send it with a
    consistency proof to the witness; None while the log is empty. Queued ledger entries
    are integrated first (sequencer.py), under the tenant's log lock, which is then held
    until the checkpoint commits."""
    origin = origin_of(uow.tenant)
    while sequencer.integrate(uow) == sequencer.BATCH:
        pass
    size = tlog.size(uow)
    last = _latest(uow, OWN, origin)
    if size == 0:
        return None
    if last is not None and last.size == size:
        return Signed(Checkpoint.parse(parse_note(last.note)[0]), with_cosignatures(uow, last))
    checkpoint = Checkpoint(origin, size, tlog.root(uow, size))
    note = format_note(checkpoint.text(), [sign(checkpoint.text(), keys.signer(uow.tenant))])
    uow.add(
        CheckpointRow(
            tenant_id=uow.tenant,
            role=OWN,
            origin=origin,
            size=size,
            root_hash=checkpoint.root.hex(),
            note=note,
            time=utcnow(),
        )
    )
    old = last.size if last is not None else 0
    # From the last checkpoint signed and from the last one cosigned: the witness has
    # seen one of them, even if a message in between was lost or is still on its way.
    starts = {old, *witnessed_sizes(uow)[-1:]} - {0}
    proofs = {str(n): [_b64(p) for p in tlog.consistency_proof(uow, n, size)] for n in starts}
    outbox.enqueue(
        uow,
        type="checkpoint",
        recipient=witness_of(uow.tenant),
        payload_json=json.dumps({"note": note, "proofs": proofs}),
    )
    return Signed(checkpoint, note, new=True, old_size=old)


def cosignatures(uow: UnitOfWork, origin: str, size: int) -> list[CosignatureRow]:
    return list(
        uow.session.scalars(
            select(CosignatureRow)
            .where(
                CosignatureRow.tenant_id == uow.tenant,
                CosignatureRow.origin == origin,
                CosignatureRow.size == size,
            )
            .order_by(CosignatureRow.witness)
        )
    )


def with_cosignatures(uow: UnitOfWork, row: CheckpointRow) -> str:
    return row.note + "".join(c.line for c in cosignatures(uow, row.origin, row.size))


def latest_witnessed(uow: UnitOfWork) -> Signed | None:
    """The newest own checkpoint the witness has cosigned, with every signature."""
    origin = origin_of(uow.tenant)
    size = uow.session.scalar(
        select(CosignatureRow.size)
        .join(
            CheckpointRow,
            (CheckpointRow.tenant_id == CosignatureRow.tenant_id)
            & (CheckpointRow.origin == CosignatureRow.origin)
            & (CheckpointRow.size == CosignatureRow.size)
            & (CheckpointRow.role == OWN),
        )
        .where(CosignatureRow.tenant_id == uow.tenant, CosignatureRow.origin == origin)
        .order_by(CosignatureRow.size.desc())
        .limit(1)
    )
    row = _row(uow, OWN, origin, size) if size is not None else None
    if row is None:
        return None
    return Signed(Checkpoint.parse(parse_note(row.note)[0]), with_cosignatures(uow, row))


def witnessed_sizes(uow: UnitOfWork) -> list[int]:
    """The sizes of the own checkpoints a witness cosigned, ascending."""
    origin = origin_of(uow.tenant)
    return sorted(
        set(
            uow.session.scalars(
                select(CosignatureRow.size).where(
                    CosignatureRow.tenant_id == uow.tenant, CosignatureRow.origin == origin
                )
            )
        )
    )


# --- the witness ----------------------------------------------------------------------


def witness_checkpoint(uow: UnitOfWork, keys: Keyring, *, sender: str, payload: str) -> str:
    """At the witness (uow.tenant): check a site's checkpoint against the last one seen of
    its log, cosign it and send the cosignature back; a fork raises an alarm instead."""
    if witness_of(sender) != uow.tenant:
        raise FailedPrecondition(
            "NOT_THE_WITNESS",
            f"{uow.tenant} does not witness the log of {sender}",
            f"{uow.tenant} 不是 {sender} 账本的见证方",
            article="sites.yaml witnesses",
        )
    note_text, checkpoint, proofs = _read_message(keys, sender, payload)
    fork = _fork(uow, checkpoint, proofs)
    if fork:
        return _alarm(uow, sender, checkpoint, note_text, fork)
    if _row(uow, WITNESSED, checkpoint.origin, checkpoint.size) is None:
        uow.add(
            CheckpointRow(
                tenant_id=uow.tenant,
                role=WITNESSED,
                origin=checkpoint.origin,
                size=checkpoint.size,
                root_hash=checkpoint.root.hex(),
                note=note_text,
                time=utcnow(),
            )
        )
    text = checkpoint.text()
    cosig = cosign(text, keys.signer(uow.tenant, "witness"), int(utcnow().timestamp()))
    _keep_cosignature(uow, checkpoint, cosig)
    outbox.enqueue(
        uow,
        type="cosignature",
        recipient=sender,
        payload_json=json.dumps(
            {"origin": checkpoint.origin, "size": checkpoint.size, "line": cosig.line()}
        ),
    )
    return f"cosigned {checkpoint.origin} at size {checkpoint.size}"


def _read_message(
    keys: Keyring, sender: str, payload: str
) -> tuple[str, Checkpoint, dict[int, list[bytes]]]:
    """The note, its checkpoint (signed by the sender's log key), and the consistency
    proofs by the size they start from; INVALID_ARGUMENT for anything else."""
    try:
        body = json.loads(payload)
        note_text = str(body["note"])
        checkpoint, _ = open_checkpoint(note_text, keys.log_key(sender))
        proofs = {
            int(n): [base64.b64decode(p, validate=True) for p in hashes]
            for n, hashes in dict(body.get("proofs", {})).items()
        }
        return note_text, checkpoint, proofs
    except (NoteError, KeyError, ValueError, TypeError) as exc:
        raise InvalidArgument(
            "BAD_CHECKPOINT",
            f"not a checkpoint signed by {sender}: {exc}",
            f"不是 {sender} 签名的检查点：{exc}",
            article="Art 45",
        ) from exc


def _fork(uow: UnitOfWork, cp: Checkpoint, proofs: dict[int, list[bytes]]) -> str:
    """Why `cp` does not extend the last checkpoint seen of its log ("" if it does)."""
    same = _row(uow, WITNESSED, cp.origin, cp.size)
    if same is not None:
        return "" if same.root_hash == cp.root.hex() else f"two roots for size {cp.size}"
    last = _latest(uow, WITNESSED, cp.origin)
    if last is None:
        return ""  # the first checkpoint seen of this log
    if cp.size < last.size:
        return f"size {cp.size} is below the size {last.size} already witnessed"
    proof = proofs.get(last.size)
    if proof is None:
        offered = ", ".join(str(n) for n in sorted(proofs)) or "none"
        raise FailedPrecondition(
            "PROOF_FROM_ANOTHER_SIZE",
            f"consistency proofs start at {offered}; the witness last saw {last.size}",
            f"一致性证明起点 {offered} 与见证方最近所见 {last.size} 不符",
            article="Art 45",
        )
    try:
        merkle.verify_consistency(last.size, cp.size, bytes.fromhex(last.root_hash), cp.root, proof)
    except merkle.ProofError as exc:
        return f"does not extend the checkpoint of size {last.size}: {exc}"
    return ""


def _alarm(uow: UnitOfWork, sender: str, cp: Checkpoint, note_text: str, why: str) -> str:
    last = _latest(uow, WITNESSED, cp.origin)
    evidence = {"checkpoint": note_text, "last_witnessed": last.note if last else ""}
    detail = f"FORK of {cp.origin} at size {cp.size}: {why}"
    uow.add(
        AlarmRow(
            tenant_id=uow.tenant,
            id=str(uuid.uuid4()),
            kind="fork",
            subject=cp.origin,
            detail=detail,
            evidence=json.dumps(evidence, ensure_ascii=False),
            time=utcnow(),
        )
    )
    ledger.append(
        uow,
        case_id=f"tlog-{sender}",
        service="routing",
        action="checkpoint.fork",
        actor=WITNESS_ACTOR,
        payload=evidence,
    )
    return detail


def _keep_cosignature(uow: UnitOfWork, cp: Checkpoint, cosig: Signature) -> None:
    key = (uow.tenant, cp.origin, cp.size, cosig.name)
    if uow.session.get(CosignatureRow, key) is None:
        uow.add(
            CosignatureRow(
                tenant_id=uow.tenant,
                origin=cp.origin,
                size=cp.size,
                witness=cosig.name,
                line=cosig.line(),
                time=utcnow(),
            )
        )


def accept_cosignature(uow: UnitOfWork, keys: Keyring, *, sender: str, payload: str) -> str:
    """At the log's site: keep the witness's cosignature once it verifies."""
    body = json.loads(payload)
    origin, size = str(body.get("origin", "")), int(body.get("size", 0))
    own = _row(uow, OWN, origin, size)
    if sender != witness_of(uow.tenant) or own is None:
        raise FailedPrecondition(
            "UNEXPECTED_COSIGNATURE",
            f"{sender} is not the witness of this log, or size {size} was never signed",
            f"{sender} 不是本账本的见证方，或未签署规模 {size} 的检查点",
            article="Art 45",
        )
    text = parse_note(own.note)[0]
    _, sigs = parse_note(text + "\n" + str(body.get("line", "")))
    if not sigs or verify_signature(text, sigs[0], keys.witness_key(sender)) is None:
        raise InvalidArgument(
            "BAD_COSIGNATURE",
            f"the cosignature from {sender} does not verify",
            f"{sender} 的联署签名无法验证",
            article="Art 45",
        )
    _keep_cosignature(uow, Checkpoint.parse(text), sigs[0])
    return f"cosigned by {sender} at size {size}"


def alarms(uow: UnitOfWork) -> list[AlarmRow]:
    return list(
        uow.session.scalars(
            select(AlarmRow).where(AlarmRow.tenant_id == uow.tenant).order_by(AlarmRow.time)
        )
    )
