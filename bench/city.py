"""A city's data: 14 tenants (Wuhan's districts and the city, sites.yaml) × N cases each,
with documents, deadlines and ledger entries, generated deterministically (seeded) and
loaded fast (COPY on PostgreSQL, executemany in one transaction on SQLite). Then, for
one tenant, through the cases service over gRPC beside a bare indexed SELECT of the same
rows through the driver, on the same database, in the same run:

- ListCases `state = "investigating"`, page of 50, and the page after it (keyset token);
- ListCases text search `employer : "<word>"` (LIKE '%word%'), page of 50;
- ListDeadlines `overdue = true` for the tenant, page of 50 (index 0016);
- GetCase (the case's own fields: documents, deadlines and ledger are listed apart).

Proportions per case: 4 documents (3 effective, 1 draft), 3 deadlines (one met, one
open, and for one case in ten an open one past due), 6 ledger entries.
Target (issue 13): p99 ≤ 3× the bare query and flat from 1,000 to 50,000 cases a tenant.

Sizes: `python -m bench.city 1000 10000` (cases per tenant, one database per size;
LIUHEN_BENCH_CITY_SIZES, default "1000,10000"; 50,000 × 14 = 700,000 cases is a
parameter: it takes minutes to generate here). `LIUHEN_BENCH_CITY_ROUNDS` calls per query
(default 200). Each size writes one JSON line per query.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.common import emit, figures, profile, show, site, stack_env
from liuhen.cases.v1 import cases_pb2 as pb

TENANTS = (
    "wuhan",
    "jiangan",
    "jianghan",
    "qiaokou",
    "hanyang",
    "wuchang",
    "qingshan",
    "hongshan",
    "dongxihu",
    "hannan",
    "caidian",
    "jiangxia",
    "huangpi",
    "xinzhou",
)
MEASURED = "jiangan"
STATES = (
    "open",
    "investigating",
    "investigating",
    "investigating",
    "rectifying",
    "rectified",
    "penalty_proposed",
    "closed",
)
DOC_TYPES = ("interview_record", "inquiry_notice", "inspection_record", "rectification_order")
WORDS = ("建筑", "餐饮", "物流", "电子", "纺织", "保安", "家政", "商贸", "酒店", "制造")
TODAY = date(2026, 6, 1)  # overdue deadlines fell due before it; open ones fall due at FUTURE
FUTURE = date(2099, 12, 31)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
HANDLERS = [str(uuid.UUID(int=i)) for i in range(1, 41)]


def uid(rng: random.Random) -> str:
    """A version-4 UUID's text from the generator (what uuid.UUID would print, cheaper)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


# A document's content and its SHA-256 depend only on its place in the case.
CONTENTS = [json.dumps({"summary": f"第{d + 1}份"}, ensure_ascii=False) for d in range(4)]
CONTENT_SHA256 = [hashlib.sha256(c.encode()).hexdigest() for c in CONTENTS]


def rows(tenant: str, n: int, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of one tenant's `n` cases, the same for the same (tenant, n, seed)."""
    rng = random.Random(f"{seed}/{tenant}/{n}")
    out: dict[str, list[tuple[Any, ...]]] = {
        "cases_cases": [],
        "cases_documents": [],
        "platform_deadlines": [],
        "platform_ledger": [],
    }
    span = (TODAY - EPOCH.date()).days * 86400
    for i in range(n):
        cid = uid(rng)
        filed = EPOCH + timedelta(seconds=rng.randrange(span))
        handler = rng.choice(HANDLERS)
        word = rng.choice(WORDS)
        out["cases_cases"].append(
            (
                cid,
                tenant,
                f"{tenant}劳监立〔{filed.year}〕{i + 1}号",
                f"武汉某{word}有限公司{i}",
                "武汉市某区某路1号",
                "张三",
                "intake1",
                "intake1",
                "head1",
                filed,
                rng.choice(STATES),
                handler,
                "承办人甲",
                rng.choice(HANDLERS),
                rng.random() < 0.05,
                "",
            )
        )
        for d in range(4):
            drafted = filed + timedelta(days=d + 1)
            out["cases_documents"].append(
                (
                    uid(rng),
                    cid,
                    tenant,
                    DOC_TYPES[d],
                    1,
                    "effective" if d < 3 else "draft",
                    CONTENTS[d],
                    CONTENT_SHA256[d],
                    handler,
                    "handler",
                    "",
                    "",
                    "",
                    drafted,
                    drafted if d < 3 else None,
                    "",
                )
            )
        for k, rule in enumerate(
            ("filing_approval_submitted", "investigation_completed", "rectification_period")
        ):
            started = filed.date()
            overdue = k == 2 and rng.random() < 0.1
            due = (
                TODAY - timedelta(days=rng.randrange(1, 60))
                if overdue
                else (started + timedelta(days=30) if k < 2 else FUTURE)
            )
            met = filed + timedelta(days=3 + k) if k < 2 else None
            out["platform_deadlines"].append(
                (
                    uid(rng),
                    tenant,
                    cid,
                    rule,
                    f"cases/{cid}",
                    handler,
                    started,
                    due,
                    "working_day",
                    30,
                    False,
                    met,
                    filed,
                )
            )
        prev = "0" * 64
        for seq in range(1, 7):
            h = f"{rng.getrandbits(256):064x}"
            out["platform_ledger"].append(
                (
                    tenant,
                    cid,
                    seq,
                    "cases",
                    "document.drafted",
                    '{"name":"承办人甲","role":"handler"}',
                    h,
                    "[]",
                    filed + timedelta(days=seq),
                    prev,
                    h,
                    None,  # not in the tenant's Merkle log: a later append starts at leaf 0
                )
            )
            prev = h
    return out


COLUMNS = {
    "cases_cases": "id, tenant_id, case_number, party, party_address, complainant, "
    "registered_by, filing_drafted_by, filing_approved_by, filed_at, state, handler, "
    "handler_name, reviewer, major, av_reasons",
    "cases_documents": "id, case_id, tenant_id, type, version, state, content_json, "
    "content_sha256, drafted_by, drafted_role, chain, approvals, from_site, drafted_at, "
    "effective_at, supersedes",
    "platform_deadlines": "id, tenant_id, case_id, rule, subject, officer, started_on, due_on, "
    "unit, amount, provisional, met_at, created",
    "platform_ledger": "tenant_id, case_id, seq, service, action, actor_json, payload_sha256, "
    "refs_json, time, prev_hash, hash, leaf_index",
}


def sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return v


def load_sqlite(path: str, n: int, seed: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    for tenant in TENANTS:
        for table, data in rows(tenant, n, seed).items():
            marks = ", ".join("?" * len(data[0]))
            conn.executemany(
                f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})",
                ([sqlite_value(v) for v in r] for r in data),
            )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(owner_url: str, n: int, seed: int) -> None:
    """COPY every tenant's rows, LIUHEN_BENCH_CITY_WORKERS tenants at a time (2), into
    tables whose secondary indexes are dropped for the load and built again after it
    (one sorted build each instead of a random insert per row), then ANALYZE."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import psycopg

    url = owner_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = [
            (name, definition)
            for table in COLUMNS
            for name, definition in conn.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                (table,),
            )
        ]
        try:
            for table in COLUMNS:
                # COPY does not run under row-level security: the owner lifts it for
                # itself during the load (the services' role stays bound by it).
                conn.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            for name, _ in indexes:
                conn.execute(f"DROP INDEX {name}")
            workers = int(os.environ.get("LIUHEN_BENCH_CITY_WORKERS", "2"))
            spawn = multiprocessing.get_context("spawn")  # not a fork of gRPC's threads
            with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
                list(pool.map(_copy_tenant, [(url, t, n, seed) for t in TENANTS]))
        finally:
            conn.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                conn.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            for table in COLUMNS:
                conn.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        conn.execute("ANALYZE")


def _copy_tenant(job: tuple[str, str, int, int]) -> None:
    import psycopg

    url, tenant, n, seed = job
    with psycopg.connect(url) as conn:
        for table, data in rows(tenant, n, seed).items():
            with conn.cursor().copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                for r in data:
                    copy.write_row(r)


class Bare:
    """The same rows through the driver, by the same indexes."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        else:
            import psycopg

            self.conn = psycopg.connect(
                url.replace("postgresql+psycopg", "postgresql"), autocommit=True
            )
            self.conn.execute("SELECT set_config('app.tenant_id', %s, false)", (MEASURED,))
        self.mark = "?" if self.sqlite else "%s"

    def q(self, sql: str, *args: Any) -> list[Any]:
        return list(self.conn.execute(sql.replace("?", self.mark), args).fetchall())

    def plan(self, sql: str, *args: Any) -> str:
        prefix = "EXPLAIN QUERY PLAN " if self.sqlite else "EXPLAIN "
        got = self.conn.execute(prefix + sql.replace("?", self.mark), args).fetchall()
        return " | ".join(str(r[-1]) if self.sqlite else str(r[0]) for r in got)


LIST_STATE = (
    "SELECT * FROM cases_cases WHERE tenant_id = ? AND state = ? "
    "ORDER BY filed_at DESC, id DESC LIMIT 51"
)
LIST_NEXT = (
    "SELECT * FROM cases_cases WHERE tenant_id = ? AND state = ? AND filed_at < ? "
    "ORDER BY filed_at DESC, id DESC LIMIT 51"
)
LIST_TEXT = (
    "SELECT * FROM cases_cases WHERE tenant_id = ? AND party LIKE ? "
    "ORDER BY filed_at DESC, id DESC LIMIT 51"
)
# The same search as ListCases runs it on PostgreSQL (listing.Contains: strpos, so that
# the page walks the (tenant_id, filed_at, id) index; LIKE '%..%' read the whole tenant).
LIST_TEXT_PG = (
    "SELECT * FROM cases_cases WHERE tenant_id = ? AND strpos(party, ?) > 0 "
    "ORDER BY filed_at DESC, id DESC LIMIT 51"
)
OVERDUE = (
    "SELECT * FROM platform_deadlines WHERE tenant_id = ? AND met_at IS NULL "
    "AND due_on < ? ORDER BY due_on, id LIMIT 51"
)
GET = "SELECT * FROM cases_cases WHERE id = ? AND tenant_id = ?"


def timed(call: Callable[[], object], rounds: int) -> tuple[float, list[float], int]:
    lat = []
    t0 = time.perf_counter()
    for _ in range(rounds):
        s = time.perf_counter()
        call()
        lat.append(time.perf_counter() - s)
    return rounds / (time.perf_counter() - t0), lat, 0


def cycle(items: list[str]) -> Iterator[str]:
    while True:
        yield from items


def measure(n: int, seed: int, rounds: int) -> None:
    t0 = time.perf_counter()
    with site(("cases",)) as s:
        db_url = s.settings.db_url()
        if profile() == "stack" and reuse():
            pass  # the city of this size is in the database already (a run cut short)
        elif profile() == "stack":
            load_postgres(stack_env()["LIUHEN_DATABASE_OWNER_URL"], n, seed)
        else:
            load_sqlite(db_url.removeprefix("sqlite:///"), n, seed)
        generated = time.perf_counter() - t0
        cases = s.client("cases", MEASURED, "head1")
        bare = Bare(db_url)
        ids = [
            r[0]
            for r in bare.q("SELECT id FROM cases_cases WHERE tenant_id = ? LIMIT 500", MEASURED)
        ]
        pick = cycle(ids)
        first = cases.ListCases(
            pb.ListCasesRequest(
                parent=f"tenants/{MEASURED}", filter='state = "investigating"', page_size=50
            )
        )
        last_filed = bare.q(LIST_STATE.replace("*", "filed_at"), MEASURED, "investigating")[49][0]
        text_sql, text_args = (
            (LIST_TEXT, (MEASURED, "%物流%")) if bare.sqlite else (LIST_TEXT_PG, (MEASURED, "物流"))
        )

        queries: dict[str, tuple[Callable[[], object], Callable[[], object], str, tuple[Any, ...]]]
        queries = {
            "ListCases state page 1": (
                lambda: cases.ListCases(
                    pb.ListCasesRequest(
                        parent=f"tenants/{MEASURED}", filter='state = "investigating"', page_size=50
                    )
                ),
                lambda: bare.q(LIST_STATE, MEASURED, "investigating"),
                LIST_STATE,
                (MEASURED, "investigating"),
            ),
            "ListCases state page 2": (
                lambda: cases.ListCases(
                    pb.ListCasesRequest(
                        parent=f"tenants/{MEASURED}",
                        filter='state = "investigating"',
                        page_size=50,
                        page_token=first.next_page_token,
                    )
                ),
                lambda: bare.q(LIST_NEXT, MEASURED, "investigating", last_filed),
                LIST_NEXT,
                (MEASURED, "investigating", last_filed),
            ),
            "ListCases employer text": (
                lambda: cases.ListCases(
                    pb.ListCasesRequest(
                        parent=f"tenants/{MEASURED}", filter='employer : "物流"', page_size=50
                    )
                ),
                lambda: bare.q(text_sql, *text_args),
                text_sql,
                text_args,
            ),
            "ListDeadlines overdue": (
                lambda: cases.ListDeadlines(
                    pb.ListDeadlinesRequest(
                        parent=f"tenants/{MEASURED}", filter="overdue = true", page_size=50
                    )
                ),
                lambda: bare.q(OVERDUE, MEASURED, date.today()),
                OVERDUE,
                (MEASURED, date.today()),
            ),
            "GetCase": (
                lambda: cases.GetCase(pb.GetCaseRequest(name=f"cases/{next(pick)}")),
                lambda: bare.q(GET, next(pick), MEASURED),
                GET,
                (ids[0], MEASURED),
            ),
        }
        only = [q for q in os.environ.get("LIUHEN_BENCH_CITY_ONLY", "").split(",") if q]
        for name, (svc, raw, sql, args) in queries.items():
            if only and not any(name.startswith(q) for q in only):
                continue
            # A new token per query: on a loaded machine a size's run outlasts one.
            cases = s.client("cases", MEASURED, "head1")
            svc()
            raw()  # warm
            base = figures(*timed(raw, rounds))
            got = figures(*timed(svc, rounds))
            emit(
                "city",
                f"{n:>6} cases/tenant  {name:<24} service {show(got)} | bare {show(base)} | "
                f"p99 ratio {got['p99_ms'] / base['p99_ms']:.1f}",
                query=name,
                cases_per_tenant=n,
                tenants=len(TENANTS),
                generate_s=round(generated, 1),
                rounds=rounds,
                result=got,
                bare_select=base,
                ratio_p99=round(got["p99_ms"] / base["p99_ms"], 2),
                bare_plan=bare.plan(sql, *args)[:300],
                target_met=got["p99_ms"] <= 3 * base["p99_ms"],
            )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [
        int(x) for x in os.environ.get("LIUHEN_BENCH_CITY_SIZES", "1000,10000").split(",")
    ]
    rounds = int(os.environ.get("LIUHEN_BENCH_CITY_ROUNDS", "200"))
    for n in sizes:
        if profile() == "stack" and not reuse():
            reset_private_db()
        measure(n, seed=13, rounds=rounds)


def reuse() -> bool:
    """LIUHEN_BENCH_CITY_REUSE=1: measure the city the private database holds (one size,
    made by an earlier run) without making it again; LIUHEN_BENCH_CITY_ONLY=a,b: only the
    queries whose names start so."""
    return os.environ.get("LIUHEN_BENCH_CITY_REUSE") == "1"


def reset_private_db() -> None:
    """Each size starts from an empty schema: the tables of the database that
    LIUHEN_DATABASE_URL names are emptied (never the stack's own `liuhen`)."""
    import psycopg

    owner = stack_env()["LIUHEN_DATABASE_OWNER_URL"].replace("postgresql+psycopg", "postgresql")
    if owner.rsplit("/", 1)[1] == "liuhen":
        raise SystemExit("bench.city on the stack needs a private database (privdb.sh)")
    try:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(
                "TRUNCATE cases_cases, cases_documents, platform_deadlines, platform_ledger"
            )
    except psycopg.errors.UndefinedTable:
        pass


if __name__ == "__main__":
    main()
