"""The per-case hash chain (DESIGN §4; seed Art 45: no record may be altered)."""

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import text

from liuhen.platform import ledger
from liuhen.platform.db import Database
from liuhen.platform.ledger import (
    _BODY_AT,
    _CANONICAL_STRINGS,
    _PLAIN_STRINGS,
    GENESIS,
    Entry,
    _is_canonical_actor,
    _verify_rows,
    canonical,
    canonical_row,
    verify_chain,
)
from liuhen.platform.migrate import upgrade


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


# The fast verification (ledger.verify) assembles each entry's canonical bytes from its
# stored columns instead of json.dumps of its body; the hash must stay the same.

TRICKY = ['"', "\\", "/", "\x00", "\x01", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1f",
          "\x7f", "\u2028", "拖", "欠", "工资", "劳动监察", "é", "😀", " ", "a", "Z", "0",
          "{", "}", "[", "]", ",", ":", "\\u0041", "'"]  # fmt: skip


def tricky(rng: random.Random, most: int = 12) -> str:
    return "".join(rng.choice(TRICKY) for _ in range(rng.randrange(most + 1)))


def tricky_entry(rng: random.Random, seq: int) -> Entry:
    actor = {tricky(rng, 6) or "k": tricky(rng) for _ in range(rng.randrange(6))}
    refs = [tricky(rng) for _ in range(rng.choice((0, 0, 1, 2, 5)))]
    return Entry(
        tricky(rng) or "t",
        tricky(rng) or "c",
        seq,
        tricky(rng),
        tricky(rng),
        actor,
        tricky(rng),
        refs,
        f"2026-11-27T00:00:{seq % 60:02d}.{rng.randrange(10**6):06d}Z",
        tricky(rng),
    )


def test_art45_the_fast_canonical_bytes_are_those_of_the_bodys_json() -> None:
    rng = random.Random(45)
    for seq in range(1, 3001):
        e = tricky_entry(rng, seq)
        actor_json, refs_json = canonical(e.actor).decode(), canonical(e.refs).decode()
        got = canonical_row(e.tenant_id, e.case_id, e.seq, e.service, e.action, actor_json,
                            e.payload_sha256, refs_json, e.time, e.prev_hash)  # fmt: skip
        assert got == canonical(e.body()), e
        # As the verification's loop writes it: the time's digits unescaped, `Z` after.
        string = json.encoder.encode_basestring  # type: ignore[attr-defined]
        loop = _BODY_AT(string(e.action), actor_json, string(e.case_id),
                        string(e.payload_sha256), string(e.prev_hash), refs_json, e.seq,
                        string(e.service), string(e.tenant_id), e.time[:-1]).encode()  # fmt: skip
        assert loop == got
        # What append stores passes the fast path's checks of the stored form.
        assert _is_canonical_actor(actor_json), actor_json
        assert _CANONICAL_STRINGS.match(refs_json), refs_json


def test_art45_a_stored_form_that_is_not_canonical_is_left_to_the_slow_path() -> None:
    for refs in ('["a", "b"]', '["\\/"]', '["\\u00e9"]', '["\\u001F"]', '["\\u000a"]',
                 '[1]', '"ab"', "[ ]", '["a",]', '["\n"]', '{"a":"b"}'):  # fmt: skip
        assert _CANONICAL_STRINGS.match(refs) is None, refs
        assert _PLAIN_STRINGS.match(refs) is None, refs
    for actor in ('{"b":"1","a":"2"}', '{"a": "1"}', '{"a":"\\u00e9"}', '["a"]', "{", ""):
        assert not _is_canonical_actor(actor), actor


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One migrated SQLite database for the module; each test writes a case of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('ledger')}/ledger.db"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def new_case() -> str:
    return str(uuid.uuid4())


def appended(db: Database, case: str, count: int, seed: int = 45) -> None:
    rng = random.Random(seed)
    with db.unit_of_work("jiangan") as uow:
        for i in range(count):
            e = tricky_entry(rng, i + 1)
            ledger.append(uow, case_id=case, service=e.service, action=e.action,
                          actor=e.actor, payload={"n": i, "text": e.payload_sha256},
                          refs=e.refs)  # fmt: skip
        uow.commit()


def tamper(db: Database, case: str, seq: int, column: str, value: str) -> None:
    with db.engine.begin() as conn:  # the database's owner, past the services' code
        conn.execute(
            text(f"UPDATE platform_ledger SET {column} = :v WHERE case_id = :c AND seq = :s"),
            {"v": value, "c": case, "s": seq},
        )


def test_art45_the_fast_verification_agrees_with_the_chain_on_tricky_entries(
    db: Database,
) -> None:
    case = new_case()
    appended(db, case, 300)
    with db.unit_of_work("jiangan") as uow:
        fast = _verify_rows(uow, case)
        slow = verify_chain(ledger.entries(uow, case))
        assert fast is not None and fast == slow and fast.ok and fast.entries == 300
        assert ledger.verify(uow, case) == slow


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [
        ("action", "case.closed", "altered"),
        ("actor_json", '{"name":"某人"}', "altered"),
        ("refs_json", "[]", "altered"),
        ("refs_json", '["\\u00e9"]', "altered"),
        ("time", "2026-11-27 00:00:00.000001", "altered"),
        ("prev_hash", "0" * 64, "link"),
        ("hash", "f" * 64, "altered"),
    ],
)
def test_art45_a_tampered_entry_is_named_at_its_seq(
    db: Database, column: str, value: str, why: str
) -> None:
    case = new_case()
    appended(db, case, 120)
    tamper(db, case, 77, column, value)
    with db.unit_of_work("jiangan") as uow:
        got = ledger.verify(uow, case)
        assert got == verify_chain(ledger.entries(uow, case))
    assert not got.ok and got.first_bad_seq == 77 and why in got.detail, got


def test_art45_an_equivalent_stored_form_verifies_as_before(db: Database) -> None:
    """A stored actor or refs in another JSON form of the same value verified before the
    fast path (the hash is over the value's canonical form) and still does."""
    case = new_case()
    appended(db, case, 40)
    with db.unit_of_work("jiangan") as uow:
        e = ledger.entries(uow, case)[9]
    tamper(db, case, 10, "actor_json", json.dumps(dict(e.actor), indent=1, ensure_ascii=True))
    tamper(db, case, 10, "refs_json", json.dumps(list(e.refs), ensure_ascii=True) + " ")
    with db.unit_of_work("jiangan") as uow:
        assert _verify_rows(uow, case) is None  # not the form the fast path splices in
        got = ledger.verify(uow, case)
    assert got.ok and got.entries == 40, got


def test_art45_a_missing_entry_is_named(db: Database) -> None:
    case = new_case()
    appended(db, case, 30)
    with db.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM platform_ledger WHERE case_id = :c AND seq = 12"), {"c": case}
        )
    with db.unit_of_work("jiangan") as uow:
        got = ledger.verify(uow, case)
    assert not got.ok and got.first_bad_seq == 13 and "missing" in got.detail, got
