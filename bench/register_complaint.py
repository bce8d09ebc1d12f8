"""RegisterComplaint throughput and latency with 16 concurrent callers on the embedded
default, beside a bare grpcio echo servicer measured in the same run.

Prints figures and the ratio (goal: ≥ 0.5× the echo throughput). Run: `make bench`.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.intake.v1 import intake_pb2_grpc
from tests.support import running_site

CALLERS = 16
SECONDS = 8.0


class Echo(health_pb2_grpc.HealthServicer):
    """The baseline: a grpcio servicer that does nothing but answer."""

    def Check(self, request, context):  # type: ignore[no-untyped-def]
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


def load(call: Callable[[], object]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + SECONDS

    def caller() -> None:
        mine = []
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            call()
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - t0), latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    health_pb2_grpc.add_HealthServicer_to_server(Echo(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    echo_stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
    echo_rps, echo_lat = load(lambda: echo_stub.Check(health_pb2.HealthCheckRequest()))
    server.stop(0)

    with running_site(Path(tempfile.mkdtemp(prefix="liuhen-bench-")), services=("intake",)) as site:
        token = site.token("jiangan", "intake1")
        stub = intake_pb2_grpc.IntakeServiceStub(site.channel("intake"))
        md = [("authorization", f"Bearer {token}")]

        def register() -> object:
            return stub.RegisterComplaint(
                pb.RegisterComplaintRequest(
                    request_id=str(uuid.uuid4()),
                    source=pb.SOURCE_PHONE,
                    kind=pb.INTAKE_KIND_COMPLAINT,
                    complainant=pb.Person(name="张三"),
                    employer=pb.Employer(name="某公司"),
                    violation="拖欠工资",
                ),
                metadata=md,
            )

        rps, lat = load(register)

    print(f"{CALLERS} callers, {SECONDS:.0f} s each, same run")
    print(
        f"echo (bare grpcio):  {echo_rps:8.0f} calls/s  p50 {pct(echo_lat, 50):6.2f} ms  "
        f"p99 {pct(echo_lat, 99):6.2f} ms"
    )
    print(
        f"RegisterComplaint:   {rps:8.0f} calls/s  p50 {pct(lat, 50):6.2f} ms  "
        f"p99 {pct(lat, 99):6.2f} ms"
    )
    print(f"ratio RegisterComplaint/echo throughput: {rps / echo_rps:.3f} (goal ≥ 0.5)")


if __name__ == "__main__":
    main()
