"""The ledger log over real gRPC on the embedded default (DESIGN §4; seed Art 45, 47): a
district's checkpoint is cosigned by the city over the message log and kept under
lock; a rewrite by the database's owner that recomputes every hash (the chain's and the
tree's) is named by `VerifyLedger`; a forked checkpoint raises an alarm at the witness."""

from __future__ import annotations

import json
import sqlite3

import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.paging import case_ledger
from liuhen.platform import checkpoints, ledger, merkle, tlog
from liuhen.platform.archive import Archive
from liuhen.platform.db import Database
from liuhen.platform.logkeys import Keyring, origin_of
from liuhen.platform.note import Checkpoint, format_note, sign
from liuhen.platform.objects import FileObjectStore
from liuhen.platform.outbox import OutboxRow
from liuhen.platform.polling import wait_for
from tests.service.test_enforcement import open_case
from tests.support import Site, rid

JA, CITY = "jiangan", "wuhan"


def verify(site: Site, case: str) -> cpb.VerifyLedgerResponse:
    request = cpb.VerifyLedgerRequest(case=case)
    return site.client("cases", JA, "handler1").VerifyLedger(request)


def witnessed_case(site: Site) -> tuple[str, int]:
    """A case whose every entry a checkpoint cosigned by the city covers."""
    case = open_case(site, JA)
    signed = site.client("cases", JA, "head1").SignCheckpoint(
        cpb.SignCheckpointRequest(request_id=rid())
    )
    assert signed.size > 0 and signed.note.startswith(f"{origin_of(JA)}\n{signed.size}\n")
    wait_for(lambda: verify(site, case).checkpoint_size == signed.size, "the city's cosignature")
    return case, signed.size


def test_art45_a_districts_checkpoint_is_cosigned_by_the_city_and_kept_under_lock(
    site: Site,
) -> None:
    case, size = witnessed_case(site)
    v = verify(site, case)
    assert v.ok and v.unwitnessed == 0, v.detail
    shown = case_ledger(site.client("cases", JA, "handler1"), case)
    assert sorted(e.leaf_index for e in shown) == list(range(len(shown)))
    archive = Archive(FileObjectStore(site.settings.home / "objects"))
    with Database(site.settings.db_url()).unit_of_work(JA) as uow:
        log = tlog.log_id(uow)
    # Each is written right after the transaction that made it commits.
    cosigned = wait_for(lambda: archive.cosigned(JA, log, size), "the locked cosigned copy")
    assert f"\u2014 {origin_of(CITY)}/witness " in cosigned
    assert archive.checkpoint(JA, log, size) is not None
    assert archive.leaf_hash(JA, log, 0, size) is not None
    root = Checkpoint.parse(cosigned.split("\n\n")[0] + "\n").root
    city_copy = wait_for(lambda: archive.witnessed(CITY, JA, size, root), "the city's copy")
    assert city_copy == cosigned
    proofs = site.client("cases", JA, "handler1").GetLedgerProofs(
        cpb.GetLedgerProofsRequest(case=case)
    )
    assert proofs.checkpoint == cosigned and len(proofs.verifier_keys) == 2
    root = Checkpoint.parse(proofs.checkpoint.split("\n\n")[0] + "\n").root
    for p in proofs.entries:
        entry = json.loads(p.entry_json)
        leaf = merkle.leaf_hash(bytes.fromhex(entry["hash"]))
        merkle.verify_inclusion(p.leaf_index, size, leaf, list(p.proof), root)


def rewrite_consistently(db_path: str, case_id: str, seq: int, *, tree: bool = True) -> None:
    """What the database's owner can do: change an entry, recompute the chain after it
    and (if `tree`) every stored subtree of the tenant's tree."""
    db = sqlite3.connect(db_path)
    with Database(f"sqlite:///{db_path}").unit_of_work(JA) as uow:
        entries = ledger.entries(uow, case_id)
    prev = entries[seq - 2].hash
    for e in entries[seq - 1 :]:
        forged = e.__class__(**{**e.__dict__, "prev_hash": prev, "hash": ""})
        if e.seq == seq:
            forged = forged.__class__(**{**forged.__dict__, "action": "forged.by.owner"})
        h = forged.computed_hash()
        db.execute(
            "UPDATE platform_ledger SET action=?, prev_hash=?, hash=? "
            "WHERE tenant_id=? AND case_id=? AND seq=?",
            (forged.action, prev, h, JA, case_id, e.seq),
        )
        prev = h
    if not tree:
        db.commit()
        db.close()
        return
    rows = db.execute(
        "SELECT hash FROM platform_ledger WHERE tenant_id=? ORDER BY leaf_index", (JA,)
    ).fetchall()
    db.execute("DELETE FROM platform_tlog_nodes WHERE tenant_id=?", (JA,))
    nodes: dict[tuple[int, int], bytes] = {}
    for index, (entry_hash,) in enumerate(rows):
        h = merkle.leaf_hash(bytes.fromhex(entry_hash))
        nodes[(0, index)] = h
        for sib, node in zip(merkle.left_siblings(index), merkle.completed_by(index), strict=True):
            h = merkle.node_hash(nodes[sib], h)
            nodes[node] = h
    db.executemany(
        "INSERT INTO platform_tlog_nodes (tenant_id, level, idx, hash) VALUES (?, ?, ?, ?)",
        [(JA, lv, ix, h) for (lv, ix), h in nodes.items()],
    )
    db.commit()
    db.close()


def test_art45_a_rewrite_by_the_database_owner_with_every_hash_recomputed_is_named(
    site: Site,
) -> None:
    case, _ = witnessed_case(site)
    case_id = case.removeprefix("cases/")
    rewrite_consistently(str(site.settings.home / "liuhen.db"), case_id, seq=2)
    with Database(site.settings.db_url()).unit_of_work(JA) as uow:
        assert ledger.verify(uow, case_id).ok  # the chain alone is fooled
    v = verify(site, case)
    assert not v.ok and v.first_bad_seq == 2, v.detail
    assert "rewritten" in v.detail and "Object Lock" in v.detail


def test_art45_a_rewritten_chain_whose_tree_was_left_alone_is_named_by_its_proof(
    site: Site,
) -> None:
    case, _ = witnessed_case(site)
    rewrite_consistently(
        str(site.settings.home / "liuhen.db"), case.removeprefix("cases/"), 3, tree=False
    )
    v = verify(site, case)
    assert not v.ok and v.first_bad_seq == 3 and "not the entry the witnessed log holds" in v.detail


def test_art45_47_a_forked_checkpoint_is_an_alarm_and_an_entry_at_the_witness(
    site: Site,
) -> None:
    witnessed_case(site)
    keys = Keyring(site.settings.home / "keys" / "log", generate=False)
    db = Database(site.settings.db_url())
    with db.unit_of_work(CITY) as uow:
        seen = checkpoints._latest(uow, checkpoints.WITNESSED, origin_of(JA))
        assert seen is not None
    forged = Checkpoint(origin_of(JA), seen.size, b"\x07" * 32)  # another root, same size
    note = format_note(forged.text(), [sign(forged.text(), keys.signer(JA))])
    payload = json.dumps({"note": note, "proofs": {str(seen.size): []}})
    with db.unit_of_work(CITY) as uow:
        detail = checkpoints.witness_checkpoint(uow, keys, sender=JA, payload=payload)
        uow.commit()
    assert detail.startswith("FORK")
    with db.unit_of_work(CITY) as uow:
        (alarm,) = checkpoints.alarms(uow)
        assert alarm.kind == "fork" and alarm.subject == origin_of(JA)
        (entry,) = ledger.entries(uow, f"tlog-{JA}")
        assert entry.action == "checkpoint.fork"
        assert len(checkpoints.cosignatures(uow, origin_of(JA), seen.size)) == 1  # no other
    listed = site.client("cases", CITY, "head1").ListLedgerAlarms(cpb.ListLedgerAlarmsRequest())
    assert [(a.kind, a.subject) for a in listed.alarms] == [("fork", origin_of(JA))]
    evidence = json.loads(listed.alarms[0].evidence_json)
    assert "FORK" in listed.alarms[0].detail and evidence["checkpoint"] == note
    assert evidence["last_witnessed"].startswith(f"{origin_of(JA)}\n{seen.size}\n")


def test_art45_a_checkpoint_from_a_site_the_city_does_not_witness_is_refused(site: Site) -> None:
    keys = Keyring(site.settings.home / "keys" / "log", generate=True)
    with (
        Database(site.settings.db_url()).unit_of_work("hongshan") as uow,
        pytest.raises(Exception, match="does not witness"),
    ):
        checkpoints.witness_checkpoint(uow, keys, sender=JA, payload="{}")


def test_art45_the_citys_own_log_is_witnessed_by_a_district(site: Site) -> None:
    db = Database(site.settings.db_url())
    with db.unit_of_work(CITY) as uow:
        ledger.append(
            uow,
            case_id="city-case",
            service="cases",
            action="case.opened",
            actor=checkpoints.WITNESS_ACTOR,
            payload={"n": 1},
        )
        uow.commit()
    signed = site.client("cases", CITY, "head1").SignCheckpoint(
        cpb.SignCheckpointRequest(request_id=rid())
    )
    assert signed.size == 1

    def cosigned() -> str | None:
        with db.unit_of_work(CITY) as uow:
            head = checkpoints.latest_witnessed(uow)
        return head.note if head is not None else None

    note = wait_for(cosigned, "jiangan's cosignature of the city's checkpoint")
    assert f"\u2014 {origin_of(JA)}/witness " in note


def test_art45_a_checkpoint_lost_on_the_way_does_not_stop_the_next_being_cosigned(
    site: Site,
) -> None:
    case, first = witnessed_case(site)
    db = Database(site.settings.db_url())
    keys = Keyring(site.settings.home / "keys" / "log", generate=False)

    def grow() -> None:
        with db.unit_of_work(JA) as uow:
            ledger.append(
                uow,
                case_id=case.removeprefix("cases/"),
                service="cases",
                action="note.added",
                actor=checkpoints.WITNESS_ACTOR,
                payload={},
            )
            uow.commit()

    grow()
    with db.unit_of_work(JA) as uow:
        lost = checkpoints.sign_checkpoint(uow, keys)
        uow.session.flush()
        for row in uow.session.query(OutboxRow).filter_by(tenant_id=JA, type="checkpoint"):
            row.state = "sent"  # never reaches the city
        uow.commit()
    assert lost is not None and lost.checkpoint.size > first
    grow()
    signed = site.client("cases", JA, "head1").SignCheckpoint(
        cpb.SignCheckpointRequest(request_id=rid())
    )
    wait_for(lambda: verify(site, case).checkpoint_size == signed.size, "a cosignature again")
    assert verify(site, case).ok
