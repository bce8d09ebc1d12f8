"""The list queries that read a tenant's deadlines are served by an index on PostgreSQL
(DESIGN §5: ListDeadlines `overdue_only` and `open_only` for a whole tenant), and a text
search of ListCases walks the order's index until its page is full instead of reading
every case of the tenant; checked on the plan PostgreSQL makes, with sequential scans
priced out so that the plan shows which index can serve the query whatever the table's
size."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import postgresql

from liuhen.platform import deadlines, listing
from liuhen.platform.migrate import upgrade
from services.cases.lists import CASES, case_fields
from tests.stack.conftest import STACK_ENV

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def tenant() -> Iterator[str]:
    """A tenant of its own with 6,000 deadlines (one in ten open, half of those past
    due), written by COPY and analysed, so the planner prices a tenant of some size."""
    upgrade(STACK_ENV["LIUHEN_DATABASE_OWNER_URL"])
    name = "plans" + uuid.uuid4().hex[:8]
    owner = STACK_ENV["LIUHEN_DATABASE_OWNER_URL"].replace("postgresql+psycopg", "postgresql")
    start, now = date(2026, 1, 5), datetime(2026, 1, 5, tzinfo=UTC)
    with psycopg.connect(owner) as conn:
        columns = "id, tenant_id, case_id, rule, subject, officer, started_on, due_on, unit, "
        columns += "amount, provisional, met_at, created"
        # COPY does not run under row-level security; the owner lifts it for itself in
        # this transaction only (the services' role is bound by it either way).
        conn.execute("ALTER TABLE platform_deadlines NO FORCE ROW LEVEL SECURITY")
        with conn.cursor().copy(f"COPY platform_deadlines ({columns}) FROM STDIN") as copy:
            for i in range(6000):
                case = f"case-{i // 3}"
                due = start + timedelta(days=(-30 if i % 20 == 0 else 30))
                met = None if i % 10 == 0 else now
                copy.write_row((str(uuid.uuid4()), name, case, "investigation_completed",
                                f"cases/{case}", "u1", start, due, "working_day", 30, False,
                                met, now))  # fmt: skip
        conn.execute("ALTER TABLE platform_deadlines FORCE ROW LEVEL SECURITY")
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE platform_deadlines")
    yield name
    with psycopg.connect(owner) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (name,))
        conn.execute("DELETE FROM platform_deadlines WHERE tenant_id = %s", (name,))


def plan(tenant: str, statement: object) -> str:
    sql = str(
        statement.compile(  # type: ignore[attr-defined]
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
    )
    engine = create_engine(STACK_ENV["LIUHEN_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": tenant})
            return "\n".join(str(r[0]) for r in conn.execute(text("EXPLAIN " + sql)))
    finally:
        engine.dispose()


def test_design5_a_tenants_overdue_deadlines_are_read_by_an_index(tenant: str) -> None:
    got = plan(tenant, deadlines.query_statement(tenant, due_before=date(2026, 1, 5)))
    assert "ix_platform_deadlines_tenant_open" in got, got
    assert "Seq Scan" not in got, got


def test_design5_a_tenants_open_deadlines_are_read_by_an_index(tenant: str) -> None:
    got = plan(tenant, deadlines.query_statement(tenant, open_only=True))
    assert "ix_platform_deadlines_tenant_open" in got, got
    assert "Seq Scan" not in got, got


def test_design5_a_cases_open_deadlines_are_read_by_the_per_case_index(tenant: str) -> None:
    got = plan(tenant, deadlines.query_statement(tenant, case_id="case-7", open_only=True))
    assert "ix_platform_deadlines_open" in got, got
    assert "Seq Scan" not in got, got


@pytest.fixture(scope="module")
def cases_tenant() -> Iterator[str]:
    """A tenant of its own with 6,000 cases, one in ten of them a 物流 employer, written
    by COPY and analysed."""
    upgrade(STACK_ENV["LIUHEN_DATABASE_OWNER_URL"])
    name = "plans" + uuid.uuid4().hex[:8]
    owner = STACK_ENV["LIUHEN_DATABASE_OWNER_URL"].replace("postgresql+psycopg", "postgresql")
    filed = datetime(2026, 1, 5, tzinfo=UTC)
    columns = "id, tenant_id, case_number, party, party_address, complainant, registered_by, "
    columns += "filing_drafted_by, filing_approved_by, filed_at, state, handler, handler_name, "
    columns += "reviewer, major, av_reasons"
    with psycopg.connect(owner) as conn:
        conn.execute("ALTER TABLE cases_cases NO FORCE ROW LEVEL SECURITY")
        with conn.cursor().copy(f"COPY cases_cases ({columns}) FROM STDIN") as copy:
            for i in range(6000):
                word = "物流" if i % 10 == 0 else "建筑"
                copy.write_row((str(uuid.uuid4()), name, f"{name}-{i}", f"武汉某{word}公司{i}",
                                "某路1号", "张三", "u1", "u1", "u2",
                                filed + timedelta(minutes=i), "investigating", "u1", "甲",
                                "u2", False, ""))  # fmt: skip
        conn.execute("ALTER TABLE cases_cases FORCE ROW LEVEL SECURITY")
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE cases_cases")
    yield name
    with psycopg.connect(owner) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (name,))
        conn.execute("DELETE FROM cases_cases WHERE tenant_id = %s", (name,))


class Statement:
    """A session that keeps the statement a List method would run (and finds nothing)."""

    def __init__(self) -> None:
        self.statement: object = None

    def scalars(self, statement: object) -> list[object]:
        self.statement = statement
        return []


def test_design5_a_text_search_of_cases_walks_the_order_index(cases_tenant: str) -> None:
    """`employer : "物流"` pages by the (tenant, filed_at, id) index, stopping when the page
    is full, rather than reading every case of the tenant to sort them (bench.city)."""
    session = Statement()
    listing.list_page(session, cases_tenant, CASES, case_fields(date(2026, 1, 5)),
                      filter_text='employer : "物流"', order_by="", page_size=50,
                      token="")  # fmt: skip
    got = plan(cases_tenant, session.statement)
    assert "Index Scan Backward using ix_cases_cases_list_filed" in got, got
    assert "Bitmap" not in got and "Sort" not in got and "Seq Scan" not in got, got
