"""PostgreSQL row-level security keeps the sites apart even when a query forgets the
tenant filter (DESIGN §3: a `jiangan` token can never act on `hongshan` data; the
database enforces it again). Runs as the services' role (NOSUPERUSER NOBYPASSRLS)
against the stack's database, migrated as its owner; fails when PostgreSQL is down."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from liuhen.platform import ledger
from liuhen.platform.db import Database, utcnow
from services.cases.orm import cases
from services.schema import metadata
from tests.contract.test_database_contract import ACTOR, APP_URL, migrate_postgres

pytestmark = pytest.mark.stack

JIANGAN, HONGSHAN = "jiangan", "hongshan"
INSUFFICIENT_PRIVILEGE = "42501"  # also the SQLSTATE of a row-level security violation


def case_row(tenant: str, case_id: str) -> dict[str, object]:
    return {
        "id": case_id,
        "tenant_id": tenant,
        "case_number": f"test-{case_id[:8]}",
        "party": "某公司",
        "party_address": "某路1号",
        "complainant": "张三",
        "registered_by": "u-1",
        "filed_at": utcnow(),
        "state": "registered",
        "handler": "",
        "handler_name": "",
        "reviewer": "",
    }


@pytest.fixture(scope="module")
def db() -> Iterator[Database]:
    migrate_postgres()
    database = Database(os.environ.get("LIUHEN_DATABASE_URL", APP_URL))
    yield database
    database.dispose()


@pytest.fixture
def case_ids(db: Database) -> dict[str, str]:
    """One case and its first ledger entry per tenant, each written by its own tenant."""
    ids = {}
    for tenant in (JIANGAN, HONGSHAN):
        case_id = str(uuid.uuid4())
        with db.unit_of_work(tenant) as uow:
            uow.session.execute(insert(cases).values(**case_row(tenant, case_id)))
            ledger.append(
                uow,
                case_id=case_id,
                service="cases",
                action="register",
                actor=ACTOR,
                payload={"case": case_id},
            )
            uow.commit()
        ids[tenant] = case_id
    return ids


def refused(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", "") == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("table", ["cases_cases", "platform_ledger"])
def test_an_unfiltered_select_sees_only_the_own_tenants_rows(
    db: Database, case_ids: dict[str, str], table: str
) -> None:
    with db.unit_of_work(JIANGAN) as uow:
        seen = uow.session.execute(text(f"SELECT * FROM {table}")).mappings().all()
    tenants = {r["tenant_id"] for r in seen}
    seen_cases = {r["id"] if table == "cases_cases" else r["case_id"] for r in seen}
    assert tenants == {JIANGAN}
    assert case_ids[JIANGAN] in seen_cases
    assert case_ids[HONGSHAN] not in seen_cases
    with db.unit_of_work(HONGSHAN) as uow:
        theirs = uow.session.execute(text(f"SELECT tenant_id FROM {table}")).scalars().all()
    assert set(theirs) == {HONGSHAN}


def test_a_connection_without_a_tenant_sees_nothing(db: Database, case_ids: dict[str, str]) -> None:
    with db.engine.connect() as conn:
        for table in ("cases_cases", "platform_ledger"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_writing_another_tenants_row_is_refused_by_the_policy(db: Database) -> None:
    case_id = str(uuid.uuid4())
    with db.unit_of_work(JIANGAN) as uow, pytest.raises(DBAPIError) as caught:
        uow.session.execute(insert(cases).values(**case_row(HONGSHAN, case_id)))
    assert refused(caught.value) and "row-level security" in str(caught.value.orig)
    with db.unit_of_work(JIANGAN) as uow, pytest.raises(DBAPIError) as caught:
        uow.session.execute(
            text(
                "INSERT INTO platform_ledger (tenant_id, case_id, seq, service, action, actor_json,"
                " payload_sha256, refs_json, time, prev_hash, hash) VALUES ('hongshan', :c, 1,"
                " 'cases', 'forged', '{}', '', '[]', now(), :g, :g)"
            ),
            {"c": case_id, "g": ledger.GENESIS},
        )
    assert refused(caught.value) and "row-level security" in str(caught.value.orig)


def test_a_row_cannot_be_moved_to_or_changed_in_another_tenant(
    db: Database, case_ids: dict[str, str]
) -> None:
    with db.unit_of_work(JIANGAN) as uow, pytest.raises(DBAPIError) as caught:
        uow.session.execute(
            text("UPDATE cases_cases SET tenant_id = 'hongshan' WHERE id = :i"),
            {"i": case_ids[JIANGAN]},
        )
    assert refused(caught.value)
    with db.unit_of_work(JIANGAN) as uow:
        changed = uow.session.execute(
            text("UPDATE cases_cases SET party = 'x' WHERE id = :i"), {"i": case_ids[HONGSHAN]}
        )
        deleted = uow.session.execute(
            text("DELETE FROM cases_cases WHERE id = :i"), {"i": case_ids[HONGSHAN]}
        )
        uow.commit()
    assert changed.rowcount == 0 and deleted.rowcount == 0
    with db.unit_of_work(HONGSHAN) as uow:
        party = uow.session.execute(
            text("SELECT party FROM cases_cases WHERE id = :i"), {"i": case_ids[HONGSHAN]}
        ).scalar()
    assert party == "某公司"


def test_every_tenant_table_forces_row_level_security(db: Database) -> None:
    tenant_tables = {t.name for t in metadata().sorted_tables if "tenant_id" in t.c}
    with db.engine.connect() as conn:
        forced = set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_policies p ON p.tablename = c.relname"
                    " WHERE c.relrowsecurity AND c.relforcerowsecurity"
                    " AND p.policyname = 'tenant_isolation' AND p.cmd = 'ALL'"
                    " AND p.schemaname = current_schema()"
                    " AND c.relnamespace = current_schema()::regnamespace"
                )
            ).scalars()
        )
    assert tenant_tables and tenant_tables <= forced
