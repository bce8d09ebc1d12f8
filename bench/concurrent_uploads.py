"""Concurrent uploads: `LIUHEN_BENCH_UPLOADS` (32) UploadRecording streams of
`LIUHEN_BENCH_UPLOAD_EACH_MIB` each at once, from several districts (four streams per
officer, the per-officer limit), into the media service running as a process. Reports
the aggregate throughput, and the worst latency of the media server's gRPC health check
while they run beside its latency when the server is idle (measured in the same run).

Defaults: 64 MiB each embedded; 1 MiB each on the stack, whose RGW keeps everything in a
1 GiB memstore shared by every session (32 × 64 MiB with its off-site replica is 4 GiB;
docs/performance.md).

Run: `python -m bench.concurrent_uploads` (or `make bench`, `make bench-stack`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.common import emit, pct, profile
from bench.procs import RssSampler, assigned_case, services, spied, upload

UPLOADS = int(os.environ.get("LIUHEN_BENCH_UPLOADS", "32"))
EACH = int(
    float(os.environ.get("LIUHEN_BENCH_UPLOAD_EACH_MIB", "1" if profile() == "stack" else "64"))
    * 1024
    * 1024
)
CHUNK = 256 * 1024
PER_OFFICER = 4  # LIUHEN_MEDIA_UPLOADS_PER_CALLER's default
TENANTS = (
    "jiangan",
    "jianghan",
    "qiaokou",
    "hanyang",
    "wuchang",
    "qingshan",
    "hongshan",
    "dongxihu",
)


def chunks(size: int) -> Iterator[bytes]:
    block = os.urandom(CHUNK)
    for offset in range(0, size, CHUNK):
        yield block[: min(CHUNK, size - offset)]


class HealthProbe:
    """grpc.health.v1 Check on the media server every `every_s`, each latency kept."""

    def __init__(self, address: str, every_s: float = 0.02) -> None:
        self._stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
        self.every_s = every_s
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def check(self) -> float:
        t0 = time.perf_counter()
        self._stub.Check(health_pb2.HealthCheckRequest(), timeout=60)
        return time.perf_counter() - t0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.latencies.append(self.check())
            self._stop.wait(self.every_s)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    from liuhen.cli.demo import Officer

    officers = -(-UPLOADS // PER_OFFICER)
    tenants = TENANTS[:officers]
    home = Path(tempfile.mkdtemp(prefix="liuhen-bench-"))
    try:
        with services(home, ("intake", "cases", "media")) as running:
            settings = running.settings
            cases = {t: assigned_case(settings, t) for t in tenants}
            callers = {t: Officer(settings, t, "handler1") for t in tenants}
            probe = HealthProbe(settings.address("media"))
            probe.check()  # connect
            idle = [probe.check() for _ in range(200)]
            failures: list[BaseException] = []

            def one(i: int) -> None:
                t = tenants[i // PER_OFFICER]
                try:
                    upload(callers[t], cases[t], chunks(EACH))
                except BaseException as exc:  # counted, reported
                    failures.append(exc)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(UPLOADS)]
            with (
                RssSampler(running.pid("media")) as rss,
                spied("concurrent-media", running.pid("media")),
                probe,
            ):
                t0 = time.perf_counter()
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                elapsed = time.perf_counter() - t0
    finally:
        shutil.rmtree(home, ignore_errors=True)
    total_mib = EACH * (UPLOADS - len(failures)) / 2**20
    busy = probe.latencies
    worst, idle_p50, idle_p99 = max(busy) * 1000, pct(idle, 50), pct(idle, 99)
    idle_worst = max(idle) * 1000
    emit(
        "concurrent_uploads",
        f"{UPLOADS} × {EACH / 2**20:.0f} MiB from {len(tenants)} districts: "
        f"{total_mib / elapsed:.1f} MiB/s aggregate in {elapsed:.1f} s, {len(failures)} failed "
        f"(media RSS +{rss.growth:.0f} MiB) | health check during ({len(busy)} checks): p50 "
        f"{pct(busy, 50):.1f} ms, worst {worst:.1f} ms | idle (200 checks): p50 {idle_p50:.2f} "
        f"ms, p99 {idle_p99:.2f} ms, worst {idle_worst:.2f} ms (worst during / idle p99 "
        f"{worst / idle_p99:.1f}×)",
        uploads=UPLOADS,
        each_mib=EACH / 2**20,
        tenants=len(tenants),
        aggregate_mib_s=round(total_mib / elapsed, 1),
        seconds=round(elapsed, 2),
        failed=len(failures),
        failures=sorted({repr(f)[:200] for f in failures}),
        media_rss_growth_mib=round(rss.growth, 1),
        health_busy_p50_ms=round(pct(busy, 50), 2),
        health_busy_worst_ms=round(worst, 2),
        health_busy_checks=len(busy),
        health_idle_p50_ms=round(idle_p50, 2),
        health_idle_p99_ms=round(idle_p99, 2),
        health_idle_worst_ms=round(idle_worst, 2),
        ratio_worst_to_idle_p99=round(worst / idle_p99, 1),
    )


if __name__ == "__main__":
    main()
