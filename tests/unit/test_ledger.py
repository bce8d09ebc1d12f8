"""The per-case hash chain (DESIGN §4; seed Art 45: no record may be altered)."""

from dataclasses import replace

from liuhen.platform.ledger import GENESIS, Entry, verify_chain


def chain(n: int) -> list[Entry]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        e = Entry(
            "jiangan",
            "c1",
            seq,
            "cases",
            f"step{seq}",
            {"user_id": "u"},
            "ab" * 32,
            [],
            f"2026-11-27T00:00:0{seq}.000000Z",
            prev,
        )
        e = replace(e, hash=e.computed_hash())
        out.append(e)
        prev = e.hash
    return out


def test_an_intact_chain_verifies():
    v = verify_chain(chain(5))
    assert v.ok and v.entries == 5 and v.head_hash == chain(5)[-1].hash


def test_art45_an_altered_entry_is_named():
    entries = chain(5)
    entries[2] = replace(entries[2], action="something else")
    v = verify_chain(entries)
    assert not v.ok and v.first_bad_seq == 3 and "altered" in v.detail


def test_art45_a_removed_entry_is_named():
    entries = chain(5)
    del entries[1]
    v = verify_chain(entries)
    assert not v.ok and v.first_bad_seq == 3


def test_art45_a_spliced_entry_with_a_recomputed_hash_breaks_the_next_link():
    entries = chain(5)
    forged = replace(entries[1], action="forged")
    entries[1] = replace(forged, hash=forged.computed_hash())
    v = verify_chain(entries)
    assert not v.ok and v.first_bad_seq == 3 and "link" in v.detail


def test_an_empty_ledger_verifies_with_the_genesis_head():
    assert verify_chain([]).head_hash == GENESIS
