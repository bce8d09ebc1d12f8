"""Commands under load: RegisterComplaint and a document approval (ApproveFiling: the
filing approval, 立案审批表, approved by the head; seed Art 41) with 16 and 64 callers,
beside, in the same run and on the same database:

- bare: a grpcio servicer (16 worker threads, as the services have) that takes the same
  RegisterComplaintRequest and does the one durable INSERT + commit of the same
  intake row, through the bare driver (sqlite3 with the service's WAL pragmas and one
  writer at a time on the embedded default; psycopg on the stack, one connection per
  worker, the tenant set for row-level security in the same transaction);
- echo: a grpcio servicer that only answers (information: what gRPC alone costs).

Target (issue 13): ≥ 0.5× the bare throughput and p99 ≤ 3× the bare p99.
Run: `make bench` (embedded) or `make bench-stack`; `LIUHEN_BENCH_SECONDS` sets each
load's length (default 5), `LIUHEN_BENCH_APPROVALS` how many drafts each approval run
works through (default 300).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Callable
from concurrent import futures
from datetime import UTC, datetime
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.common import drain, emit, figures, load, profile, py_spy, seconds, show, site
from liuhen.intake.v1 import intake_pb2 as pb
from tests.support import rid

CALLERS = (16, 64)
TENANT = "jiangan"
COLUMNS = (
    "id, tenant_id, source, kind, complainant_name, anonymous, gender, contact, "
    "employer_name, employer_address, violation, received_at, registered_by, state, "
    "filing_due_on, filing_due_provisional, within_jurisdiction, filing_summary, "
    "filing_drafted_by, filing_approved_by, case_number, reported_within_two_years, "
    "time_barred, from_site, referring_agency, sender_intake, inbound_message_id, origin_json"
)


def request() -> pb.RegisterComplaintRequest:
    return pb.RegisterComplaintRequest(
        request_id=rid(),
        source=pb.SOURCE_PHONE,
        kind=pb.INTAKE_KIND_COMPLAINT,
        complainant=pb.Person(name="张三"),
        employer=pb.Employer(name="某公司"),
        violation="拖欠工资",
    )


def row(req: pb.RegisterComplaintRequest, sqlite: bool) -> tuple[Any, ...]:
    now = datetime.now(UTC)
    received = now.isoformat(sep=" ") if sqlite else now
    due = now.date().isoformat() if sqlite else now.date()
    return (
        str(uuid.uuid4()),
        TENANT,
        "phone",
        "complaint",
        req.complainant.name,
        False,
        "",
        "",
        req.employer.name,
        "",
        req.violation,
        received,
        "bench",
        "registered",
        due,
        False,
        False,
        "",
        "",
        "",
        "",
        False,
        False,
        "",
        "",
        "",
        "",
        "{}",
    )


class BareInsert:
    """One INSERT + commit per call, straight through the driver."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self.local = threading.local()
        self.lock = threading.Lock()  # SQLite: one writer per process, as the service
        marks = ", ".join(["?" if self.sqlite else "%s"] * len(COLUMNS.split(",")))
        self.sql = f"INSERT INTO intake_intakes ({COLUMNS}) VALUES ({marks})"

    def connection(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.sqlite:
                conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA busy_timeout=30000")
            else:
                import psycopg

                conn = psycopg.connect(self.url.replace("postgresql+psycopg", "postgresql"))
            self.local.conn = conn
        return conn

    def insert(
        self, req: pb.RegisterComplaintRequest, context: object
    ) -> pb.RegisterComplaintResponse:
        conn = self.connection()
        if self.sqlite:
            with self.lock:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(self.sql, row(req, True))
                conn.execute("COMMIT")
        else:
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (TENANT,))
                conn.execute(self.sql, row(req, False))
        return pb.RegisterComplaintResponse()


class Echo(health_pb2_grpc.HealthServicer):  # type: ignore[misc]
    def Check(self, request: object, context: object) -> health_pb2.HealthCheckResponse:
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


def bare_server(db_url: str) -> tuple[grpc.Server, Callable[[], object]]:
    bare = BareInsert(db_url)
    handler = grpc.method_handlers_generic_handler(
        "bench.Bare",
        {
            "Insert": grpc.unary_unary_rpc_method_handler(
                bare.insert,
                request_deserializer=pb.RegisterComplaintRequest.FromString,
                response_serializer=pb.RegisterComplaintResponse.SerializeToString,
            )
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    call = grpc.insecure_channel(f"127.0.0.1:{port}").unary_unary(
        "/bench.Bare/Insert",
        request_serializer=pb.RegisterComplaintRequest.SerializeToString,
        response_deserializer=pb.RegisterComplaintResponse.FromString,
    )
    return server, lambda: call(request(), timeout=60)


def echo_server() -> tuple[grpc.Server, Callable[[], object]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    health_pb2_grpc.add_HealthServicer_to_server(Echo(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    return server, lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=60)


def drafted(desk: Any, count: int) -> list[str]:
    """`count` intakes with their filing approval drafted (setup, 16 callers)."""
    names: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        intake = desk.RegisterComplaint(request()).intake
        desk.DraftFilingApproval(
            pb.DraftFilingApprovalRequest(
                request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="立案"
            )
        )
        with lock:
            names.append(intake.name)

    drain([one] * count, 16)
    return names


def main() -> None:
    duration = seconds()
    approvals = int(os.environ.get("LIUHEN_BENCH_APPROVALS", "300"))
    with site(("intake",)) as s:
        db_url = s.settings.db_url()
        desk = s.client("intake", TENANT, "intake1")
        head = s.client("intake", TENANT, "head1")
        bare, bare_call = bare_server(db_url)
        echo, echo_call = echo_server()
        for callers in CALLERS:
            base = figures(*load(bare_call, callers, duration))
            info = figures(*load(echo_call, callers, duration))
            with py_spy(f"register-{callers}"):
                reg = figures(*load(lambda: desk.RegisterComplaint(request()), callers, duration))
            names = drafted(desk, approvals)
            calls = [
                (
                    lambda n=n: head.ApproveFiling(
                        pb.ApproveFilingRequest(request_id=rid(), intake=n)
                    )
                )
                for n in names
            ]
            with py_spy(f"approve-{callers}"):
                appr = figures(*drain(calls, callers))
            for name, got in (("RegisterComplaint", reg), ("ApproveFiling", appr)):
                emit(
                    "commands",
                    f"{name:<18} {callers:>2} callers {show(got)} | bare INSERT {show(base)} | "
                    f"echo {info['per_s']:.0f}/s | ratio {got['per_s'] / base['per_s']:.3f}, "
                    f"p99 {got['p99_ms'] / base['p99_ms']:.1f}x",
                    command=name,
                    callers=callers,
                    seconds=duration,
                    database=db_url.split(":", 1)[0],
                    result=got,
                    bare_insert=base,
                    echo=info,
                    ratio_throughput=round(got["per_s"] / base["per_s"], 3),
                    ratio_p99=round(got["p99_ms"] / base["p99_ms"], 2),
                    ratio_echo=round(got["per_s"] / info["per_s"], 3),
                    target_met=got["per_s"] >= 0.5 * base["per_s"]
                    and got["p99_ms"] <= 3 * base["p99_ms"],
                )
        bare.stop(0)
        echo.stop(0)
    print(f"commands on the {profile()} profile: done")


if __name__ == "__main__":
    main()
