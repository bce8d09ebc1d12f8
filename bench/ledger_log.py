"""The tenant ledger log (liuhen/platform/tlog.py) on the embedded SQLite: appends and
proofs on a tree of a million leaves, beside raw SHA-256 over the same bytes measured in
the same run (docs/ledger.md).

- build: a million leaves, their subtrees computed and bulk-inserted (setup, timed too);
- append: leaves appended one at a time through `tlog.append_leaf`, 100 per transaction
  (what `ledger.append` does for each entry), beside SHA-256 of the same leaf and node
  inputs;
- proof: an inclusion proof of a random leaf and a consistency proof, each read from the
  stored subtrees in its own transaction, and verified, beside SHA-256 of the hashes the
  proof folds.

Run: `make bench` (or `python -m bench.ledger_log [LEAVES]`).
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from liuhen.platform import merkle, tlog
from liuhen.platform.db import Database
from liuhen.platform.migrate import upgrade

TENANT = "jiangan"


def build(path: Path, leaves: int) -> float:
    """Fill the tree with `leaves` leaves straight through SQLite (setup)."""
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    rows: list[tuple[str, int, int, bytes]] = []
    frontier: dict[tuple[int, int], bytes] = {}
    for index in range(leaves):
        h = merkle.leaf_hash(hashlib.sha256(index.to_bytes(8, "big")).digest())
        rows.append((TENANT, 0, index, h))
        frontier[(0, index)] = h
        for sib, node in zip(merkle.left_siblings(index), merkle.completed_by(index), strict=True):
            h = merkle.node_hash(frontier.pop(sib), h)
            frontier[node] = h
            rows.append((TENANT, node[0], node[1], h))
        frontier.pop((0, index - 1), None)
        if len(rows) > 200_000:
            db.executemany("INSERT INTO platform_tlog_nodes VALUES (?, ?, ?, ?)", rows)
            rows.clear()
    db.executemany("INSERT INTO platform_tlog_nodes VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    return time.perf_counter() - t0


def raw_sha256(inputs: list[bytes]) -> float:
    t0 = time.perf_counter()
    for data in inputs:
        hashlib.sha256(data).digest()
    return time.perf_counter() - t0


def bench_append(db: Database, count: int, batch: int = 100) -> tuple[float, list[bytes]]:
    """Seconds for `count` appends, and the bytes they hashed (for the baseline)."""
    entries = [hashlib.sha256(b"entry %d" % i).digest() for i in range(count)]
    t0 = time.perf_counter()
    for start in range(0, count, batch):
        with db.unit_of_work(TENANT) as uow:
            for e in entries[start : start + batch]:
                tlog.append_leaf(uow, e)
            uow.commit()
    elapsed = time.perf_counter() - t0
    with db.unit_of_work(TENANT) as uow:
        size = tlog.size(uow)
    inputs = []
    for i, e in enumerate(entries):
        index = size - count + i
        inputs.append(b"\x00" + e)
        inputs += [b"\x01" + bytes(64)] * len(merkle.completed_by(index))
    return elapsed, inputs


def bench_proofs(db: Database, rounds: int) -> tuple[list[float], list[float], list[bytes]]:
    rng = random.Random(45)
    with db.unit_of_work(TENANT) as uow:
        size = tlog.size(uow)
        root = tlog.root(uow, size)
    inclusion, consistency, inputs = [], [], []
    for _ in range(rounds):
        index, old = rng.randrange(size), rng.randrange(1, size)
        t0 = time.perf_counter()
        with db.unit_of_work(TENANT) as uow:
            proof = tlog.inclusion_proof(uow, index, size)
            leaf = tlog.leaf_hashes(uow, index, index + 1)[0]
        merkle.verify_inclusion(index, size, leaf, proof, root)
        inclusion.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with db.unit_of_work(TENANT) as uow:
            cproof = tlog.consistency_proof(uow, old, size)
            old_root = tlog.root(uow, old)
        merkle.verify_consistency(old, size, old_root, root, cproof)
        consistency.append(time.perf_counter() - t0)
        inputs += [b"\x01" + bytes(64)] * (len(proof) + 2 * len(cproof))
    return inclusion, consistency, inputs


def ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    leaves = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = Path(tempfile.mkdtemp(prefix="liuhen-bench-")) / "liuhen.db"
    upgrade(f"sqlite:///{path}")
    built = build(path, leaves)
    db = Database(f"sqlite:///{path}")
    appends = 10_000
    append_s, append_inputs = bench_append(db, appends)
    append_raw = raw_sha256(append_inputs)
    inclusion, consistency, proof_inputs = bench_proofs(db, 500)
    proof_raw = raw_sha256(proof_inputs)
    proof_s = sum(inclusion) + sum(consistency)
    print(f"tree of {leaves:,} leaves built in {built:.1f} s (setup, bulk insert)")
    print(
        f"append (100 per transaction): {appends / append_s:9.0f} leaves/s; raw SHA-256 of "
        f"the same inputs {len(append_inputs) / append_raw:11.0f} hashes/s; "
        f"ratio {append_raw / append_s:.4f}"
    )
    print(
        f"inclusion proof + verify: p50 {ms(inclusion, 50):.2f} ms  p99 {ms(inclusion, 99):.2f} ms"
        f"  ({len(inclusion) / sum(inclusion):.0f}/s)"
    )
    print(
        f"consistency proof + verify: p50 {ms(consistency, 50):.2f} ms  "
        f"p99 {ms(consistency, 99):.2f} ms  ({len(consistency) / sum(consistency):.0f}/s)"
    )
    print(
        f"proofs: raw SHA-256 of the hashes they fold {proof_raw * 1000:.2f} ms in all, "
        f"ratio {proof_raw / proof_s:.4f} of the proofs' time (reads dominate)"
    )
    db.dispose()


if __name__ == "__main__":
    main()
