"""The sequencer of each tenant's ledger log (DESIGN §4; seed Art 45; docs/ledger.md §1).

A command appends its ledger entry to the case's chain under the case's lock only, with
no leaf index: the entry is *queued*. The sequencer makes queued entries leaves of the
tenant's Merkle log (tlog.py), in order, in batches, in a short transaction of its own
under the tenant's log lock, as Trillian's sequencer does for its queued leaves:

- right after a transaction that appended entries commits (`request`, best effort:
  one thread of the process runs a pass for every commit announced before it began,
  the others wait for it, so a command answers once its entries are leaves); on
  SQLite, whose single writer is the tenant's lock, inside that transaction instead;
- by a periodic pass in each service (`Worker`), so that an entry a crash left queued
  (between the command's commit and its sequencing) is integrated all the same;
- before a checkpoint is signed (checkpoints.sign_checkpoint).

Several processes may sequence one tenant at once: the tenant's lock (a PostgreSQL
advisory transaction lock; SQLite's single writer) lets one at a time in, and each reads
the queued entries only once it holds it, so an entry integrated by another is no longer
queued; the UPDATE that sets an index requires it still NULL (and a trigger refuses to
change it once set, migration 0020), so a leaf is never given twice.

Order: queued entries are taken by their time, then case and seq; within a case they
keep their chain's order even if two replicas' clocks disagree (each case's entries are
put back, in seq order, into the places its entries took in the batch).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import text

from liuhen.platform import tlog
from liuhen.platform.db import Database, UnitOfWork

log = logging.getLogger("liuhen.ledger")

BATCH = 2000  # entries integrated per transaction
WAIT_S = 5.0  # how often a thread waiting for another's pass looks again

_QUEUED = text(
    "SELECT case_id, seq, hash, time FROM platform_ledger "
    "WHERE tenant_id = :t AND leaf_index IS NULL ORDER BY time, case_id, seq LIMIT :n"
)
_SET = text(
    "UPDATE platform_ledger SET leaf_index = :i "
    "WHERE tenant_id = :t AND case_id = :c AND seq = :s AND leaf_index IS NULL"
)


def in_order(rows: Sequence[Any]) -> list[Any]:
    """Rows (case_id, seq, ...) in their batch order, each case's in seq order."""
    places: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        places[r[0]].append(i)
    out: list[Any] = list(rows)
    for idxs in places.values():
        for i, r in zip(idxs, sorted((rows[i] for i in idxs), key=lambda r: r[1]), strict=True):
            out[i] = r
    return out


def integrate(uow: UnitOfWork, limit: int = BATCH) -> int:
    """In the caller's transaction: take the tenant's log lock and make up to `limit`
    queued entries leaves, in order. Returns how many; the caller commits."""
    tlog.lock_tree(uow)
    session = uow.session
    rows = list(session.execute(_QUEUED, {"t": uow.tenant, "n": limit}))
    leaves = [
        (tlog.append_leaf(uow, bytes.fromhex(entry_hash)), case_id, seq)
        for case_id, seq, entry_hash, _time in in_order(rows)
    ]
    session.flush()  # the leaves first: PostgreSQL's trigger checks each index names one
    for index, case_id, seq in leaves:
        done = session.execute(_SET, {"i": index, "t": uow.tenant, "c": case_id, "s": seq})
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise RuntimeError(f"ledger entry {case_id}/{seq} was sequenced by another")
    return len(rows)


def run(new_uow: Callable[[], UnitOfWork], limit: int = BATCH) -> int:
    """One sequencing transaction; returns how many entries it integrated."""
    with new_uow() as uow:
        n = integrate(uow, limit)
        if n:
            uow.commit()
    return n


def drain(new_uow: Callable[[], UnitOfWork]) -> int:
    """Sequence until nothing is queued (the periodic pass, tests, after a crash)."""
    total = 0
    while n := run(new_uow):
        total += n
    return total


class _Gate:
    """Group sequencing for one database and tenant in a process: each commit announces
    itself (`announced`); one thread at a time (the leader) runs a pass, which covers
    every commit announced before it began; the others wait for a pass that covers
    theirs, or lead the next one. So a call returns once its entries are leaves, one
    pass serves many commits, and no thread runs more than one pass."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.leading = False
        self.announced = 0
        self.covered = 0  # every commit announced up to this number was sequenced


_gates: weakref.WeakKeyDictionary[Any, dict[str, _Gate]] = weakref.WeakKeyDictionary()
_gates_lock = threading.Lock()


def _gate(factory: Any, tenant: str) -> _Gate:
    with _gates_lock:
        by_tenant = _gates.setdefault(factory, {})
        return by_tenant.setdefault(tenant, _Gate())


def request(uow: UnitOfWork) -> None:
    """After `uow` committed ledger entries: return once a pass that began after the
    commit has run (this thread's, or another's that it waited for). Best effort: a
    failed pass is logged and its entries left to the next pass or the periodic one."""
    gate = _gate(uow.factory, uow.tenant)
    with gate.cond:
        gate.announced += 1
        mine = gate.announced
        while gate.leading and gate.covered < mine:
            gate.cond.wait(WAIT_S)
        if gate.covered >= mine:
            return
        gate.leading = True
        begun = gate.announced  # >= mine: this pass covers every commit up to here
    try:
        run(uow.another)
        with gate.cond:
            gate.covered = max(gate.covered, begun)
    except Exception:
        log.exception("sequencing the ledger of %s failed; the periodic pass retries", uow.tenant)
    finally:
        with gate.cond:
            gate.leading = False
            gate.cond.notify_all()


def after_commit(uow: UnitOfWork) -> None:
    """Have `uow`'s entries sequenced once it commits (ledger.append calls this). On
    SQLite the transaction already holds the only writer, which is the tenant's log lock
    there: its entries are integrated in it, just before it commits, at no extra wait
    (a second transaction per command only queued for the writer again)."""
    if uow.session.get_bind().dialect.name == "sqlite":
        uow.before_commit.setdefault("sequencer", lambda: _integrate_all(uow))
    else:
        uow.after_commit.setdefault("sequencer", lambda: request(uow))


def _integrate_all(uow: UnitOfWork) -> None:
    while integrate(uow) == BATCH:
        pass


class Worker:
    """The periodic pass of a service: every `interval_s`, sequence every tenant's queued
    entries (those a crash, or a failed best-effort pass, left queued)."""

    def __init__(
        self,
        db: Database,
        tenants: Callable[[], Sequence[str]],
        interval_s: float,
        also: Callable[[str], object] | None = None,
    ):
        self.db = db
        self.tenants = tenants
        self.interval_s = interval_s
        self.also = also  # more per-tenant catching up (e.g. prints a crash left unfinished)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        total = 0
        for tenant in self.tenants():
            if self._stopping.is_set():
                break
            try:
                total += drain(lambda t=tenant: self.db.unit_of_work(t))  # type: ignore[misc]
                if self.also is not None:
                    self.also(tenant)
            except Exception:
                log.exception("the periodic pass over %s failed; retrying next round", tenant)
        return total

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="liuhen-sequencer")
        self._thread.start()

    def _loop(self) -> None:
        while True:  # a first pass at start: what a crash left queued
            self.run_once()
            if self._stopping.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
