"""Verifying a case's ledger chain (liuhen/platform/ledger.py `verify`: read every entry,
recompute each hash and link) on a case of 10,000 entries, beside raw SHA-256 over the
same canonical bytes measured in the same run. Target (issue 13): ≥ 0.5×.

Also reported, to split where the time goes: the read alone (`ledger.chain_rows`), the
recompute alone over the rows already read (`ledger.verify_rows`), and the Entry path
(`verify_chain` over Entry objects, as the hash is defined; what `verify` falls back to
when the fast path cannot vouch for an entry). Run: `python -m bench.ledger_verify
[ENTRIES]` (default 10,000).
"""

from __future__ import annotations

import hashlib
import sys
import time

from bench.common import database, emit
from liuhen.platform import ledger

TENANT = "jiangan"
ACTOR = {"user_id": "u-1", "username": "handler1", "name": "承办人甲", "role": "handler",
         "certificate_no": "JA-0201"}  # fmt: skip


def fill(db: object, case_id: str, count: int, batch: int = 500) -> float:
    t0 = time.perf_counter()
    for start in range(0, count, batch):
        with db.unit_of_work(TENANT) as uow:  # type: ignore[attr-defined]
            for i in range(start, min(count, start + batch)):
                ledger.append(
                    uow,
                    case_id=case_id,
                    service="cases",
                    action="case.document_drafted",
                    actor=ACTOR,
                    payload={"n": i, "text": "拖欠工资" * 4},
                    refs=(hashlib.sha256(b"%d" % i).hexdigest(),),
                )
            uow.commit()
    return time.perf_counter() - t0


def best(fn: object, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    db = database()
    case_id = "bench-ledger-case"
    built = fill(db, case_id, count)
    with db.unit_of_work(TENANT) as uow:
        entries = ledger.entries(uow, case_id)
    inputs = [ledger.canonical(e.body()) for e in entries]

    def verify() -> None:
        with db.unit_of_work(TENANT) as uow:
            result = ledger.verify(uow, case_id)
        assert result.ok and result.entries == count, result

    def raw() -> None:
        for data in inputs:
            hashlib.sha256(data).hexdigest()

    def read() -> None:
        with db.unit_of_work(TENANT) as uow:
            ledger.chain_rows(uow, case_id)

    with db.unit_of_work(TENANT) as uow:
        rows = ledger.chain_rows(uow, case_id)
    assert ledger.verify_rows(TENANT, case_id, rows) is not None  # the fast path decides

    t_verify = best(verify)
    t_read = best(read)
    t_fast = best(lambda: ledger.verify_rows(TENANT, case_id, rows))
    t_chain = best(lambda: ledger.verify_chain(entries))
    t_raw = best(raw)
    emit(
        "ledger_verify",
        f"{count} entries: verify {t_verify * 1000:.1f} ms (read {t_read * 1000:.1f} ms, "
        f"recompute {t_fast * 1000:.1f} ms; Entry path {t_chain * 1000:.1f} ms) | raw "
        f"SHA-256 {t_raw * 1000:.2f} ms | ratio {t_raw / t_verify:.4f}",
        entries=count,
        database=db.dialect,
        fill_s=round(built, 2),
        verify_ms=round(t_verify * 1000, 1),
        read_only_ms=round(t_read * 1000, 1),
        recompute_only_ms=round(t_fast * 1000, 1),
        entry_path_ms=round(t_chain * 1000, 1),
        raw_sha256_ms=round(t_raw * 1000, 2),
        bytes_hashed=sum(map(len, inputs)),
        ratio=round(t_raw / t_verify, 4),
        ratio_recompute_only=round(t_raw / t_fast, 4),
        target_met=t_raw / t_verify >= 0.5,
    )
    db.dispose()


if __name__ == "__main__":
    main()
