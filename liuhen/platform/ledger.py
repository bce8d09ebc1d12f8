"""The per-case ledger: a hash chain of every step (DESIGN §4; seed Art 2, Art 45).

Each entry commits to the previous entry's hash, so changing, removing or splicing any
entry breaks every hash after it. `verify_chain` recomputes the chain and names the
first entry that does not match. Entries are only ever inserted (on PostgreSQL the
services' role holds INSERT and SELECT only on this table).

A chain alone proves nothing against the database's owner, who can rewrite an entry and
every hash after it; so every entry also becomes a leaf of the tenant's Merkle log
(tlog.py): appended here under the case's lock only, queued (no leaf index), it is made
a leaf by the sequencer (sequencer.py) right after the commit, in a short transaction
of its own under the tenant's lock, its leaf index then kept on the entry. Checking a
case against the log's signed and witnessed checkpoints is `liuhen.platform.audit`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.platform import sequencer
from liuhen.platform.auth import Principal
from liuhen.platform.db import Base, UnitOfWork, UtcDateTime, utcnow

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """The canonical JSON bytes that hashes are taken over."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LedgerRow(Base):
    __tablename__ = "platform_ledger"
    __table_args__ = (UniqueConstraint("tenant_id", "leaf_index", name="uq_platform_ledger_leaf"),)
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    service: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    actor_json: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    refs_json: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(UtcDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The entry's leaf in the tenant's Merkle log (tlog.py).
    leaf_index: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


@dataclass(frozen=True)
class Entry:
    tenant_id: str
    case_id: str
    seq: int
    service: str
    action: str
    actor: Mapping[str, str]
    payload_sha256: str
    refs: Sequence[str]
    time: str  # ISO 8601, UTC, microseconds
    prev_hash: str
    hash: str = ""
    # Not part of the hash: the log's position, set by the sequencer; -1 while queued.
    leaf_index: int = -1

    @property
    def queued(self) -> bool:
        """Not yet a leaf of the tenant's log (the sequencer has not integrated it)."""
        return self.leaf_index < 0

    def body(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "case_id": self.case_id,
            "seq": self.seq,
            "service": self.service,
            "action": self.action,
            "actor": dict(self.actor),
            "payload_sha256": self.payload_sha256,
            "refs": list(self.refs),
            "time": self.time,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        return sha256_hex(canonical(self.body()))


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad_seq: int = 0
    detail: str = ""
    head_hash: str = GENESIS


def verify_chain(entries: Iterable[Entry]) -> Verification:
    """Recompute the chain; name the first entry whose link or hash does not match."""
    prev, count = GENESIS, 0
    for expected_seq, entry in enumerate(entries, start=1):
        count = expected_seq
        if entry.seq != expected_seq:
            return Verification(
                False,
                count,
                entry.seq,
                f"entry {entry.seq} is out of "
                f"sequence (expected {expected_seq}): an entry is missing",
            )
        if entry.prev_hash != prev:
            return Verification(
                False, count, entry.seq, f"entry {entry.seq} does not link to the entry before it"
            )
        if entry.computed_hash() != entry.hash:
            return Verification(
                False,
                count,
                entry.seq,
                f"entry {entry.seq} was altered: its hash does not match its content",
            )
        prev = entry.hash
    return Verification(True, count, 0, "", prev)


def actor_of(principal: Principal, role: str = "") -> dict[str, str]:
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "name": principal.name,
        "role": role or ",".join(sorted(principal.roles)),
        "certificate_no": principal.certificate_no,
    }


def _entry(row: LedgerRow) -> Entry:
    return Entry(
        row.tenant_id,
        row.case_id,
        row.seq,
        row.service,
        row.action,
        json.loads(row.actor_json),
        row.payload_sha256,
        json.loads(row.refs_json),
        _time_text(row.time),
        row.prev_hash,
        row.hash,
        -1 if row.leaf_index is None else row.leaf_index,
    )


def append(
    uow: UnitOfWork,
    *,
    case_id: str,
    service: str,
    action: str,
    actor: Mapping[str, str],
    payload: Any,
    refs: Sequence[str] = (),
) -> Entry:
    """Append one entry to the case's chain inside the caller's transaction, queued for
    the tenant's log: the sequencer makes it a leaf once the transaction commits."""
    session = uow.session
    head = uow.ledger_heads.get(case_id)
    if head is None:
        lock_case(uow, case_id)
        with session.no_autoflush:  # this transaction's own entries are in ledger_heads
            last = session.scalar(
                select(LedgerRow)
                .where(LedgerRow.tenant_id == uow.tenant, LedgerRow.case_id == case_id)
                .order_by(LedgerRow.seq.desc())
                .limit(1)
            )
        head = (last.seq, last.hash) if last else (0, GENESIS)
    now = utcnow()
    entry = Entry(
        tenant_id=uow.tenant,
        case_id=case_id,
        seq=head[0] + 1,
        service=service,
        action=action,
        actor=dict(actor),
        payload_sha256=sha256_hex(canonical(payload)),
        refs=list(refs),
        time=now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        prev_hash=head[1],
    )
    entry = replace(entry, hash=entry.computed_hash())
    session.add(
        LedgerRow(
            tenant_id=entry.tenant_id,
            case_id=case_id,
            seq=entry.seq,
            service=service,
            action=action,
            actor_json=canonical(entry.actor).decode(),
            payload_sha256=entry.payload_sha256,
            refs_json=canonical(entry.refs).decode(),
            time=now,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
            leaf_index=None,
        )
    )
    uow.ledger_heads[case_id] = (entry.seq, entry.hash)
    sequencer.after_commit(uow)
    return entry


def lock_case(uow: UnitOfWork, case_id: str) -> None:
    """Serialise appends to one case's chain until the transaction ends: on PostgreSQL an
    advisory transaction lock on (tenant, case) (two-key form, so it never meets the
    tenant log's one-key lock); on SQLite the single writer already does."""
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:t), hashtext(:c))"),
            {"t": uow.tenant, "c": case_id},
        )


def entries(uow: UnitOfWork, case_id: str) -> list[Entry]:
    """The case's chain, oldest first. Read as plain rows, not as mapped objects: building
    an object per entry was four fifths of verifying a long chain (docs/performance.md);
    selected from the mapped class, so that this transaction's own entries flush first."""
    table = LedgerRow.__table__
    rows = uow.session.execute(
        select(*table.columns)
        .select_from(LedgerRow)
        .where(LedgerRow.tenant_id == uow.tenant, LedgerRow.case_id == case_id)
        .order_by(LedgerRow.seq)
    )
    return [_entry(r) for r in rows]  # type: ignore[arg-type]


def verify(uow: UnitOfWork, case_id: str) -> Verification:
    """`verify_chain(entries(uow, case_id))`, faster: the canonical bytes of each entry are
    assembled from its stored columns (`canonical_row`) without building an Entry. Any
    entry the fast path cannot vouch for (a link, a hash or a stored form it does not
    expect) sends the whole case to `verify_chain`, which then names what is wrong."""
    fast = _verify_rows(uow, case_id)
    return fast if fast is not None else verify_chain(entries(uow, case_id))


# The body's keys in the order `canonical` sorts them; `seq` is the only number.
_TEMPLATE = (
    '{{"action":{},"actor":{},"case_id":{},"payload_sha256":{},"prev_hash":{},"refs":{},'
    '"seq":{},"service":{},"tenant_id":{},"time":{}}}'
)
_BODY = _TEMPLATE.format
# The same with the time written in unescaped: checked to be digits, '-', ':', '.', 'T'.
_BODY_AT = _TEMPLATE.replace('"time":{}', '"time":"{}Z"').format
# How json.dumps(ensure_ascii=False) writes a string (the C encoder it uses itself).
_string: Any = json.encoder.encode_basestring
# A list of strings exactly as `canonical` writes it: nothing escaped but what json.dumps
# escapes, and that as it escapes it (short escapes, else \u00xx in lower case). The
# first pattern is the common case (no escape at all), quicker to match.
_PLAIN_STRINGS = re.compile(r'\[(?:"[^"\\\x00-\x1f]*"(?:,"[^"\\\x00-\x1f]*")*)?\]\Z')
_CHAR = r'(?:[^"\\\x00-\x1f]|\\["\\bfnrt]|\\u00(?:0[0-7bef]|1[0-9a-f]))'
_CANONICAL_STRINGS = re.compile(rf'\[(?:"{_CHAR}*"(?:,"{_CHAR}*")*)?\]\Z')
# SQLite's stored form of a time (SQLAlchemy's DateTime), read back by the ORM as UTC.
_SQLITE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\Z")
_UTC = "+00:00"


def _time_text(value: datetime) -> str:
    """The entry's time as hashed: ISO 8601 with microseconds, `Z` for UTC."""
    if value.tzinfo:
        return value.isoformat(timespec="microseconds").replace("+00:00", "Z")
    return value.isoformat(timespec="microseconds") + "Z"


def canonical_row(
    tenant_id: str,
    case_id: str,
    seq: int,
    service: str,
    action: str,
    actor_json: str,
    payload_sha256: str,
    refs_json: str,
    time: str,
    prev_hash: str,
) -> bytes:
    """`canonical(entry.body())` assembled from the stored columns: actor_json and
    refs_json are spliced in as stored, so they must be in canonical form already (as
    `append` writes them; `_verify_rows` checks it before relying on it)."""
    return _BODY(
        _string(action),
        actor_json,
        _string(case_id),
        _string(payload_sha256),
        _string(prev_hash),
        refs_json,
        int(seq),
        _string(service),
        _string(tenant_id),
        _string(time),
    ).encode()


def chain_rows(uow: UnitOfWork, case_id: str) -> list[tuple[Any, ...]]:
    """The columns of the case's entries that their hashes cover, oldest first, as the
    driver gives them (seq, service, action, actor_json, payload_sha256, refs_json, time,
    prev_hash, hash, and the entry's leaf_index in the log): no ORM row or object per
    entry."""
    session = uow.session
    session.flush()  # this transaction's own entries, as `entries` sees them
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "SELECT seq, service, action, actor_json, payload_sha256, refs_json, time, "
            f"prev_hash, hash, leaf_index FROM platform_ledger WHERE tenant_id = {mark} "
            f"AND case_id = {mark} ORDER BY seq",
            (uow.tenant, case_id),
        )
        return list(cursor.fetchall())
    finally:
        cursor.close()


@dataclass(frozen=True)
class Leaf:
    """Where an entry sits in the tenant's log: what an audit checks against it."""

    seq: int
    hash: str
    leaf_index: int


def leaves(rows: Iterable[Sequence[Any]]) -> list[Leaf]:
    """The entries of `chain_rows` as leaves of the tenant's log."""
    return [Leaf(r[0], r[8], -1 if r[9] is None else r[9]) for r in rows]


def _verify_rows(uow: UnitOfWork, case_id: str) -> Verification | None:
    return verify_rows(uow.tenant, case_id, chain_rows(uow, case_id))


def verify_rows(tenant: str, case_id: str, rows: Iterable[Sequence[Any]]) -> Verification | None:
    """The case's chain verified from `chain_rows`, or None where this fast path cannot
    decide: a broken link or hash, a stored form it does not expect. Then the caller's
    slow path (Entry by Entry, as the hash is defined) gives the answer and its detail."""
    tenant_q, case_q = _string(tenant), _string(case_id)
    actors: dict[str, bool] = {}  # actor_json -> stored in canonical form
    names: dict[str, str] = {}  # a service's or an action's name -> its JSON string
    plain_refs, sqlite_time = _PLAIN_STRINGS.match, _SQLITE_TIME.match
    sha256, body, string = hashlib.sha256, _BODY_AT, _string
    prev, seq = GENESIS, 0
    for seq, (n, service, action, actor, payload, refs, at, prev_hash, stored, _) in enumerate(
        rows, start=1
    ):
        if n != seq or prev_hash != prev:
            return None
        ok = actors.get(actor)
        if ok is None:
            ok = actors[actor] = _is_canonical_actor(actor)
        if not ok or (plain_refs(refs) is None and _CANONICAL_STRINGS.match(refs) is None):
            return None
        if type(at) is str:  # SQLite: the ORM reads this form back as this time in UTC
            if sqlite_time(at) is None:
                return None
            at = at.replace(" ", "T")
        else:  # PostgreSQL: an aware datetime, as the ORM gives it
            at = at.isoformat(timespec="microseconds")
            if not at.endswith(_UTC):
                return None
            at = at[:-6]
        service_q = names.get(service) or names.setdefault(service, string(service))
        action_q = names.get(action) or names.setdefault(action, string(action))
        data = body(
            action_q,
            actor,
            case_q,
            string(payload),
            string(prev_hash),
            refs,
            n,
            service_q,
            tenant_q,
            at,
        ).encode()
        if sha256(data).hexdigest() != stored:
            return None
        prev = stored
    return Verification(True, seq, 0, "", prev)


def _is_canonical_actor(actor_json: str) -> bool:
    try:
        actor = json.loads(actor_json)
    except ValueError:
        return False
    return isinstance(actor, dict) and canonical(actor).decode() == actor_json
