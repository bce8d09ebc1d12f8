"""One contract for relational state (DESIGN §2, §4, §8), run on SQLite and on
PostgreSQL, each built by the same Alembic migrations: the ledger is a gap-free hash
chain even under concurrent appends, a retried request returns its first result, and a
unit of work that does not commit leaves nothing. On PostgreSQL the services' role may
neither update nor delete a ledger entry (seed Art 45).

Every test uses its own tenant and case ids, so runs can share one database."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from google.protobuf.wrappers_pb2 import StringValue
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from liuhen.platform import audit, checkpoints, ledger, merkle, sequencer, tlog
from liuhen.platform.db import Database, IdempotencyRecord, UnitOfWork, idempotent
from liuhen.platform.errors import AlreadyExists
from liuhen.platform.logkeys import Keyring
from liuhen.platform.migrate import upgrade
from services.intake.orm import next_case_seq
from services.schema import metadata
from tests.support import stack_env

OWNER_URL = stack_env()["LIUHEN_DATABASE_OWNER_URL"]
APP_URL = stack_env()["LIUHEN_DATABASE_URL"]
ACTOR = {
    "user_id": "u-1",
    "username": "handler1",
    "name": "承办人甲",
    "role": "handler",
    "certificate_no": "JA-0201",
}


def new_tenant() -> str:
    return f"t{uuid.uuid4().hex[:20]}"


def new_case() -> str:
    return str(uuid.uuid4())


def append_committed(db: Database, tenant: str, case: str, action: str) -> ledger.Entry:
    with db.unit_of_work(tenant) as uow:
        entry = ledger.append(
            uow,
            case_id=case,
            service="cases",
            action=action,
            actor=ACTOR,
            payload={"action": action},
        )
        uow.commit()
    return entry


def append_crashed(db: Database, tenant: str, case: str, action: str) -> ledger.Entry:
    """Append and commit, then "crash" before the sequencer's pass after the commit."""
    with db.unit_of_work(tenant) as uow:
        entry = ledger.append(
            uow, case_id=case, service="cases", action=action, actor=ACTOR, payload={}
        )
        uow.before_commit.clear()  # SQLite: sequenced in the command's transaction
        uow.commit()
        uow.after_commit.clear()  # the process died between the commit and its sequencing
    return entry


def leaves_in_order(db: Database, tenant: str, cases: list[str]) -> list[ledger.Entry]:
    with db.unit_of_work(tenant) as uow:
        return sorted(
            (e for c in cases for e in ledger.entries(uow, c)), key=lambda e: e.leaf_index
        )


def migrate_postgres() -> None:
    """Migrate the stack's database as its owner; fail (never skip) if it is down."""
    url = OWNER_URL
    try:
        upgrade(url)
    except OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable ({exc.orig}); start it with "
            "`bash deploy/stack/stack.sh up postgres`"
        )


class DatabaseContract:
    """Subclass once per backend and provide the `db` fixture (a migrated database,
    connected as the services connect)."""

    @pytest.fixture
    def db(self) -> Iterator[Database]:
        raise NotImplementedError

    def test_migrated_schema_matches_the_models(self, db: Database) -> None:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata())
        assert diff == [], "the models changed without a migration (add a revision)"

    def test_chain_appended_over_several_transactions_verifies(self, db: Database) -> None:
        tenant, case = new_tenant(), new_case()
        for round_ in range(3):
            with db.unit_of_work(tenant) as uow:
                for i in range(2):
                    ledger.append(
                        uow,
                        case_id=case,
                        service="cases",
                        action=f"step{round_}.{i}",
                        actor=ACTOR,
                        payload={"round": round_, "i": i},
                        refs=[f"sha256:{round_}{i}"],
                    )
                uow.commit()
        with db.unit_of_work(tenant) as uow:
            chain = ledger.entries(uow, case)
            result = ledger.verify(uow, case)
        assert [e.seq for e in chain] == [1, 2, 3, 4, 5, 6]
        assert chain[0].prev_hash == ledger.GENESIS
        assert result.ok and result.entries == 6 and result.head_hash == chain[-1].hash

    def test_art11_concurrent_first_filings_of_a_year_get_distinct_numbers(
        self, db: Database
    ) -> None:
        """The year's case-number row is made by whichever filing comes first; the others
        wait on it and take the next numbers, none refused, none given twice (Art 11)."""
        tenant, threads = new_tenant(), 6
        numbers: list[int] = []
        errors: list[BaseException] = []
        start = threading.Barrier(threads)

        def worker() -> None:
            try:
                start.wait()
                with db.unit_of_work(tenant) as uow:
                    number = next_case_seq(uow, 2026)
                    uow.commit()
                numbers.append(number)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
        assert errors == []
        assert sorted(numbers) == list(range(1, threads + 1))

    def test_concurrent_appends_to_one_case_make_a_gap_free_chain(self, db: Database) -> None:
        tenant, case = new_tenant(), new_case()
        threads, per_thread = 4, 5
        errors: list[BaseException] = []
        start = threading.Barrier(threads)

        def worker(n: int) -> None:
            try:
                start.wait()
                for i in range(per_thread):
                    append_committed(db, tenant, case, f"w{n}.{i}")
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
        assert errors == []
        with db.unit_of_work(tenant) as uow:
            chain = ledger.entries(uow, case)
            result = ledger.verify(uow, case)
        assert [e.seq for e in chain] == list(range(1, threads * per_thread + 1))
        assert sorted(e.action for e in chain) == sorted(
            f"w{n}.{i}" for n in range(threads) for i in range(per_thread)
        )
        assert result.ok, result.detail
        with db.unit_of_work(tenant) as uow:
            size = tlog.size(uow)
        assert sorted(e.leaf_index for e in chain) == list(range(size)) == list(range(20))

    def test_art45_every_entry_is_a_leaf_of_the_tenant_log_with_a_proof(self, db: Database) -> None:
        tenant, cases = new_tenant(), [new_case(), new_case()]
        for i in range(11):
            append_committed(db, tenant, cases[i % 2], f"step{i}")
        append_committed(db, new_tenant(), cases[0], "another tenant's own log")
        with db.unit_of_work(tenant) as uow:
            entries = sorted(
                (e for c in cases for e in ledger.entries(uow, c)), key=lambda e: e.leaf_index
            )
            leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in entries]
            assert [e.leaf_index for e in entries] == list(range(11)) and tlog.size(uow) == 11
            for size in (1, 6, 11):
                root = tlog.root(uow, size)
                assert root == merkle.root_of(leaves[:size])
                for e in entries[:size]:
                    proof = tlog.inclusion_proof(uow, e.leaf_index, size)
                    merkle.verify_inclusion(e.leaf_index, size, leaves[e.leaf_index], proof, root)
            merkle.verify_consistency(
                6, 11, tlog.root(uow, 6), tlog.root(uow, 11), tlog.consistency_proof(uow, 6, 11)
            )

    def test_art45_entries_a_crash_left_queued_are_integrated_by_the_periodic_pass(
        self, db: Database, tmp_path: Path
    ) -> None:
        """A crash between a command's commit and its sequencing leaves its entries in
        the chain but queued: not in the log, so not witnessed, without a proof; the
        service's periodic pass makes them leaves, in order."""
        tenant, cases = new_tenant(), [new_case(), new_case()]
        append_committed(db, tenant, cases[0], "open")
        queued = [append_crashed(db, tenant, cases[i % 2], f"step{i}") for i in range(5)]
        with db.unit_of_work(tenant) as uow:
            assert [e.leaf_index for e in ledger.entries(uow, cases[1])] == [-1, -1]
            assert tlog.size(uow) == 1 and ledger.verify(uow, cases[0]).ok
            assert all(e.queued for e in queued)
            checked = audit.verify_case(uow, cases[1], Keyring(tmp_path, generate=True), None)
            assert checked.verification.ok and checked.unwitnessed == 2
        worker = sequencer.Worker(db, lambda: [tenant], interval_s=60)
        assert worker.run_once() == 5
        assert worker.run_once() == 0  # integrating is idempotent: nothing is queued now
        entries = leaves_in_order(db, tenant, cases)
        assert [e.leaf_index for e in entries] == list(range(6))
        assert [e.action for e in entries] == ["open"] + [f"step{i}" for i in range(5)]
        with db.unit_of_work(tenant) as uow:
            leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in entries]
            assert tlog.size(uow) == 6 and tlog.root(uow, 6) == merkle.root_of(leaves)

    def test_art45_two_sequencers_at_once_give_each_entry_one_leaf_in_order(
        self, db: Database
    ) -> None:
        """Several replicas sequence one tenant at the same moment: the tenant's log lock
        lets one in at a time and the other finds nothing left, so every queued entry
        is one leaf, each case's in its chain's order."""
        tenant, cases = new_tenant(), [new_case() for _ in range(3)]
        for i in range(12):
            append_crashed(db, tenant, cases[i % 3], f"step{i}")
        other = Database(db.url)  # another process's pool
        start, done, errors = threading.Barrier(2), [], []

        def sequence(database: Database) -> None:
            try:
                start.wait()
                done.append(sequencer.drain(lambda: database.unit_of_work(tenant)))
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        pool = [threading.Thread(target=sequence, args=(d,)) for d in (db, other)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
        other.dispose()
        assert errors == [] and sorted(done) == [0, 12]
        entries = leaves_in_order(db, tenant, cases)
        assert [e.leaf_index for e in entries] == list(range(12))
        assert [e.action for e in entries] == [f"step{i}" for i in range(12)]
        with db.unit_of_work(tenant) as uow:
            leaves = [merkle.leaf_hash(bytes.fromhex(e.hash)) for e in entries]
            assert tlog.size(uow) == 12 and tlog.root(uow, 12) == merkle.root_of(leaves)
            for c in cases:
                chain = ledger.entries(uow, c)
                assert [e.leaf_index for e in chain] == sorted(e.leaf_index for e in chain)

    def test_art45_signing_a_checkpoint_integrates_queued_entries_first(
        self, db: Database, tmp_path: Path
    ) -> None:
        tenant, case = "jiangan", new_case()  # a site: its log has an origin and a witness
        keys = Keyring(tmp_path, generate=True)
        with db.unit_of_work(tenant) as uow:
            before = tlog.size(uow)
        append_crashed(db, tenant, case, "open")
        with db.unit_of_work(tenant) as uow:
            signed = checkpoints.sign_checkpoint(uow, keys)
            uow.commit()
        assert signed is not None and signed.checkpoint.size >= before + 1
        with db.unit_of_work(tenant) as uow:
            (entry,) = ledger.entries(uow, case)
            assert 0 <= entry.leaf_index < signed.checkpoint.size

    def test_a_replayed_request_id_returns_the_first_result(self, db: Database) -> None:
        tenant, case, request_id = new_tenant(), new_case(), str(uuid.uuid4())
        calls: list[int] = []

        def work(uow: UnitOfWork) -> StringValue:
            calls.append(1)
            ledger.append(
                uow,
                case_id=case,
                service="cases",
                action="open",
                actor=ACTOR,
                payload={"n": len(calls)},
            )
            return StringValue(value=f"result {len(calls)}")

        def call(request: str) -> StringValue:
            return idempotent(
                db,
                tenant=tenant,
                service="cases",
                method="OpenCase",
                user_id="u-1",
                request=StringValue(value=request),
                request_id=request_id,
                response_type=StringValue,
                work=work,
            )

        first = call("open case 1")
        assert call("open case 1") == first == StringValue(value="result 1")
        with pytest.raises(AlreadyExists):
            call("open case 2")
        assert len(calls) == 1
        with db.unit_of_work(tenant) as uow:
            assert [e.seq for e in ledger.entries(uow, case)] == [1]

    def test_a_unit_of_work_left_without_commit_leaves_nothing(self, db: Database) -> None:
        tenant, case = new_tenant(), new_case()
        with db.unit_of_work(tenant) as uow:
            ledger.append(
                uow, case_id=case, service="cases", action="open", actor=ACTOR, payload={}
            )
            uow.add(
                IdempotencyRecord(
                    tenant_id=tenant,
                    service="cases",
                    request_id="r-1",
                    method="OpenCase",
                    fingerprint="f",
                    response=b"",
                )
            )
            uow.session.flush()
        with pytest.raises(RuntimeError), db.unit_of_work(tenant) as uow:
            ledger.append(
                uow, case_id=case, service="cases", action="open", actor=ACTOR, payload={}
            )
            raise RuntimeError("the handler failed")

        def failing(uow: UnitOfWork) -> StringValue:
            ledger.append(
                uow, case_id=case, service="cases", action="open", actor=ACTOR, payload={}
            )
            raise RuntimeError("the handler failed")

        with pytest.raises(RuntimeError):
            idempotent(
                db,
                tenant=tenant,
                service="cases",
                method="OpenCase",
                user_id="u-1",
                request=StringValue(value="x"),
                request_id="r-2",
                response_type=StringValue,
                work=failing,
            )
        with db.unit_of_work(tenant) as uow:
            assert ledger.entries(uow, case) == []
            assert (
                uow.session.scalar(
                    select(func.count())
                    .select_from(IdempotencyRecord)
                    .where(IdempotencyRecord.tenant_id == tenant)
                )
                == 0
            )
        # The failed request left no record, so its retry runs.
        retried = idempotent(
            db,
            tenant=tenant,
            service="cases",
            method="OpenCase",
            user_id="u-1",
            request=StringValue(value="x"),
            request_id="r-2",
            response_type=StringValue,
            work=lambda uow: StringValue(value="done"),
        )
        assert retried.value == "done"


class TestSqliteDatabase(DatabaseContract):
    @pytest.fixture
    def db(self, tmp_path: Path) -> Iterator[Database]:
        url = f"sqlite:///{tmp_path / 'liuhen.db'}"
        upgrade(url)
        upgrade(url)  # a second run (every service migrates at start) is a no-op
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture(scope="module")
def postgres_db() -> Iterator[Database]:
    migrate_postgres()
    database = Database(APP_URL)
    yield database
    database.dispose()


@pytest.mark.stack
class TestPostgresDatabase(DatabaseContract):
    """As the services' role (NOSUPERUSER NOBYPASSRLS), after migrating as the owner."""

    @pytest.fixture
    def db(self, postgres_db: Database) -> Database:
        return postgres_db

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE platform_ledger SET action = 'forged' WHERE case_id = :case",
            "DELETE FROM platform_ledger WHERE case_id = :case",
            "TRUNCATE platform_ledger",
        ],
    )
    def test_the_app_role_cannot_alter_or_remove_ledger_entries(
        self, db: Database, statement: str
    ) -> None:
        """Art 45: a trace cannot be altered or destroyed; the role has INSERT, SELECT."""
        tenant, case = new_tenant(), new_case()
        append_committed(db, tenant, case, "open")
        with db.unit_of_work(tenant) as uow:
            with pytest.raises(DBAPIError) as refused:
                uow.session.execute(text(statement), {"case": case})
            assert refused.value.orig is not None
            assert getattr(refused.value.orig, "sqlstate", "") == "42501"  # insufficient_privilege
            assert "permission denied" in str(refused.value.orig)
        with db.unit_of_work(tenant) as uow:
            result = ledger.verify(uow, case)
        assert result.ok and result.entries == 1

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE platform_tlog_nodes SET hash = hash WHERE tenant_id = :tenant",
            "DELETE FROM platform_tlog_nodes WHERE tenant_id = :tenant",
            "UPDATE platform_ledger SET leaf_index = leaf_index + 1 WHERE tenant_id = :tenant",
        ],
    )
    def test_the_app_role_cannot_rewrite_the_tenant_log(self, db: Database, statement: str) -> None:
        """Art 45: the Merkle log's stored subtrees are as append-only as the entries."""
        tenant = new_tenant()
        append_committed(db, tenant, new_case(), "open")
        with db.unit_of_work(tenant) as uow, pytest.raises(DBAPIError) as refused:
            uow.session.execute(text(statement), {"tenant": tenant})
        assert getattr(refused.value.orig, "sqlstate", "") == "42501"

    def test_art45_an_append_waits_for_its_case_only_not_the_tenant(self, db: Database) -> None:
        """A command holds its case's lock, not the tenant's log lock: while one
        transaction that appended to a case is still open, another case of the tenant
        appends and commits; a second append to the same case waits for the first."""
        tenant, busy, other = new_tenant(), new_case(), new_case()
        with db.unit_of_work(tenant) as holder:
            ledger.append(
                holder, case_id=busy, service="cases", action="open", actor=ACTOR, payload={}
            )
            holder.session.flush()
            append_committed(db, tenant, other, "not blocked by the other case")
            with db.unit_of_work(tenant) as same:
                same.session.execute(text("SET LOCAL lock_timeout = '200ms'"))
                with pytest.raises(OperationalError) as waited:
                    ledger.append(
                        same, case_id=busy, service="cases", action="x", actor=ACTOR, payload={}
                    )
                assert getattr(waited.value.orig, "sqlstate", "") == "55P03"  # lock_not_available
            holder.commit()
        entries = leaves_in_order(db, tenant, [busy, other])
        assert [(e.case_id, e.leaf_index) for e in entries] == [(other, 0), (busy, 1)]

    def test_art45_the_app_role_sets_a_leaf_index_only_to_the_entrys_own_leaf(
        self, db: Database
    ) -> None:
        """The role may UPDATE only `leaf_index`, once, from queued to the index of the
        stored leaf that is this entry's hash (migration 0020's trigger)."""
        tenant, case = new_tenant(), new_case()
        append_committed(db, tenant, case, "open")  # leaf 0
        append_crashed(db, tenant, case, "queued")
        with db.unit_of_work(tenant) as uow, pytest.raises(DBAPIError) as refused:
            uow.session.execute(
                text("UPDATE platform_ledger SET leaf_index = 0 WHERE case_id = :c AND seq = 2"),
                {"c": case},
            )
        assert "is not leaf 0 of the log" in str(refused.value.orig)
        assert sequencer.drain(lambda: db.unit_of_work(tenant)) == 1
        assert [e.leaf_index for e in leaves_in_order(db, tenant, [case])] == [0, 1]

    def test_art45_a_prints_pdf_hash_is_set_once_and_nothing_else_changes(
        self, db: Database
    ) -> None:
        """The print is inserted pending (its PDF rendered after the commit); the role may
        set `pdf_sha256` once, from empty, and change nothing else (migration 0020)."""
        from datetime import UTC, datetime

        from liuhen.platform.printing.registry import PrintRow

        tenant, document = new_tenant(), f"cases/{new_case()}/documents/{new_case()}"
        with db.unit_of_work(tenant) as uow:
            uow.add(
                PrintRow(
                    tenant_id=tenant, document=document, case_id=new_case(), type="t",
                    series="", year=2026, seq=None, number="", code="C", sheet_json="{}",
                    pdf_sha256="", object_key="k", ledger_seq=1, ledger_hash="h",
                    issued_at=datetime.now(UTC),
                )
            )  # fmt: skip
            uow.commit()
        set_hash = "UPDATE platform_prints SET pdf_sha256 = :h WHERE document = :d"
        with db.unit_of_work(tenant) as uow:
            uow.session.execute(text(set_hash), {"h": "ab" * 32, "d": document})
            uow.commit()
        for statement, h in (
            (set_hash, "cd" * 32),
            ("UPDATE platform_prints SET number = 'forged' WHERE document = :d", ""),
        ):
            with db.unit_of_work(tenant) as uow, pytest.raises(DBAPIError) as refused:
                uow.session.execute(text(statement), {"h": h, "d": document})
            assert getattr(refused.value.orig, "sqlstate", "") == "42501"
