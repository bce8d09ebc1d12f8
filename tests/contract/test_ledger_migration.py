"""Migration 0009 makes the entries of a database that already holds some into leaves of
each tenant's log, in the order they were appended (DESIGN §4; seed Art 45)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from liuhen.platform import ledger, merkle, sequencer, tlog
from liuhen.platform.db import Database
from liuhen.platform.migrate import config, upgrade

ACTOR = {"user_id": "u", "username": "h", "name": "承办人", "role": "handler", "certificate_no": ""}


def test_art45_existing_entries_become_leaves_in_the_order_they_were_appended(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'liuhen.db'}"
    command.upgrade(config(url), "0008")
    db = Database(url)
    rows = [("jiangan", "c1", 1), ("jiangan", "c2", 1), ("hongshan", "c9", 1), ("jiangan", "c1", 2)]
    prev = {"c1": ledger.GENESIS, "c2": ledger.GENESIS, "c9": ledger.GENESIS}
    with db.engine.begin() as conn:
        for second, (tenant, case, seq) in enumerate(rows):
            e = ledger.Entry(
                tenant,
                case,
                seq,
                "cases",
                "step",
                ACTOR,
                "ab" * 32,
                [],
                f"2026-11-27T00:00:0{second}.000000Z",
                prev[case],
            )
            h = e.computed_hash()
            conn.execute(
                text(
                    "INSERT INTO platform_ledger (tenant_id, case_id, seq, service, action, "
                    "actor_json, payload_sha256, refs_json, time, prev_hash, hash) VALUES "
                    "(:t, :c, :s, 'cases', 'step', :a, :p, '[]', :time, :prev, :h)"
                ),
                {
                    "t": tenant,
                    "c": case,
                    "s": seq,
                    "a": ledger.canonical(ACTOR).decode(),
                    "p": "ab" * 32,
                    "time": f"2026-11-27 00:00:0{second}.000000+00:00",
                    "prev": prev[case],
                    "h": h,
                },
            )
            prev[case] = h
    db.dispose()
    upgrade(url)
    db = Database(url)
    with db.unit_of_work("jiangan") as uow:
        entries = [*ledger.entries(uow, "c1"), *ledger.entries(uow, "c2")]
        order = sorted(entries, key=lambda e: e.leaf_index)
        assert [(e.case_id, e.seq) for e in order] == [("c1", 1), ("c2", 1), ("c1", 2)]
        leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in order]
        assert tlog.size(uow) == 3 and tlog.root(uow, 3) == merkle.root_of(leaves)
        assert ledger.verify(uow, "c1").ok
        appended = ledger.append(
            uow, case_id="c2", service="cases", action="next", actor=ACTOR, payload={}
        )
        assert appended.queued  # a leaf once the sequencer integrates it
        assert sequencer.integrate(uow) == 1
        assert [e.leaf_index for e in ledger.entries(uow, "c2")] == [1, 3]
    with db.unit_of_work("hongshan") as uow:
        assert [e.leaf_index for e in ledger.entries(uow, "c9")] == [0]
    db.dispose()
