"""What every benchmark shares: a closed-loop load of N callers, percentiles, the one JSON
line each writes, the machine it ran on, and the site it measures (embedded default or
the local stack, `LIUHEN_BENCH_PROFILE=stack`).

Results go to stdout and are appended, one JSON object a line, to
`bench/results.jsonl` (or `LIUHEN_BENCH_RESULTS`). None of this is a timed assertion.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("LIUHEN_BENCH_RESULTS", ROOT / "bench" / "results.jsonl"))


def profile() -> str:
    """`embedded` (SQLite, local folders, embedded issuer) or `stack` (PostgreSQL, RGW,
    Kafka, Keycloak of deploy/stack)."""
    return os.environ.get("LIUHEN_BENCH_PROFILE", "embedded")


def seconds(default: float = 5.0) -> float:
    return float(os.environ.get("LIUHEN_BENCH_SECONDS", default))


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def pct(values: list[float], q: int) -> float:
    """The q-th percentile in milliseconds."""
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def load(
    call: Callable[[], object], callers: int, duration: float
) -> tuple[float, list[float], int]:
    """A closed loop: `callers` threads call as fast as answers come for `duration`
    seconds. Returns calls/s, every latency (s), and how many calls failed."""
    stop_at = time.perf_counter() + duration
    return _threads(lambda: call if time.perf_counter() < stop_at else None, callers)


def drain(calls: list[Callable[[], object]], callers: int) -> tuple[float, list[float], int]:
    """`callers` threads work through a fixed list of distinct calls (each done once,
    e.g. approving prepared drafts). Returns calls/s, latencies (s), failures."""
    todo, lock = iter(calls), threading.Lock()

    def next_call() -> Callable[[], object] | None:
        with lock:
            return next(todo, None)

    return _threads(next_call, callers)


def _threads(
    next_call: Callable[[], Callable[[], object] | None], callers: int
) -> tuple[float, list[float], int]:
    """`callers` threads each take the next call until there is none, timing each."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def caller() -> None:
        mine: list[float] = []
        failed = 0
        while (call := next_call()) is not None:
            t0 = time.perf_counter()
            try:
                call()
            except Exception:
                failed += 1
                continue
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - t0), latencies, errors[0]


def show(f: dict[str, float]) -> str:
    return f"{f['per_s']:8.1f}/s p50 {f['p50_ms']:8.2f} ms p99 {f['p99_ms']:8.2f} ms"


def figures(rate: float, latencies: list[float], errors: int = 0) -> dict[str, float]:
    return {
        "per_s": round(rate, 1),
        "p50_ms": round(pct(latencies, 50), 2),
        "p99_ms": round(pct(latencies, 99), 2),
        "calls": len(latencies),
        "errors": errors,
    }


def emit(bench: str, summary: str = "", **fields: Any) -> dict[str, Any]:
    """Print one result (its summary line, else its JSON) and append it as one JSON line
    to RESULTS."""
    line = {
        "bench": bench,
        "profile": profile(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **fields,
    }
    text = json.dumps(line, ensure_ascii=False)
    print(f"[{bench} {profile()}] {summary}" if summary else text, flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(text + "\n")
    return line


def stack_env() -> dict[str, str]:
    """The stack's settings with the database that `LIUHEN_DATABASE_URL` names (a private
    one from privdb.sh, or the stack's own)."""
    from tests.support import stack_env as env

    return {**env(), "LIUHEN_PROFILE": "stack"}


@contextmanager
def site(services: tuple[str, ...], **overrides: Any) -> Iterator[Any]:
    """The services in-process on the benchmark's profile."""
    from liuhen.platform.config import SERVICES, Settings
    from tests.support import running_site

    home = Path(tempfile.mkdtemp(prefix="liuhen-bench-"))
    try:
        if profile() == "stack":
            from liuhen.platform.logkeys import generate_all

            env = stack_env()
            generate_all(Path(env["LIUHEN_LOG_KEYS_DIR"]))
            base = Settings.from_env({**env, "LIUHEN_HOME": str(home)}, services=SERVICES)
            with running_site(home, services=services, base=base, **overrides) as s:
                yield s
        else:
            with running_site(home, services=services, **overrides) as s:
                yield s
    finally:
        shutil.rmtree(home, ignore_errors=True)  # the site's database and objects


@contextmanager
def py_spy(name: str) -> Iterator[None]:
    """With LIUHEN_BENCH_PYSPY=1, sample this process with py-spy while the block runs
    and write bench/profiles/<name>.txt (collapsed stacks, for docs/performance.md)."""
    if os.environ.get("LIUHEN_BENCH_PYSPY") != "1":
        yield
        return
    out = ROOT / "bench" / "profiles" / f"{name}-{profile()}.txt"
    out.parent.mkdir(exist_ok=True)
    exe = Path(sys.executable).parent / "py-spy"
    proc = subprocess.Popen(
        [str(exe), "record", "-r", "200", "-f", "raw", "-o", str(out), "-p", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    try:
        yield
    finally:
        proc.send_signal(2)
        proc.wait(timeout=60)


def database() -> Any:
    """A migrated database on the benchmark's profile: a new SQLite file, or the stack's
    PostgreSQL database that LIUHEN_DATABASE_URL names (migrated by its owner role)."""
    from liuhen.platform.db import Database
    from liuhen.platform.migrate import upgrade

    if profile() == "stack":
        env = stack_env()
        upgrade(env["LIUHEN_DATABASE_OWNER_URL"])
        return Database(env["LIUHEN_DATABASE_URL"])
    url = f"sqlite:///{tempfile.mkdtemp(prefix='liuhen-bench-')}/liuhen.db"
    upgrade(url)
    return Database(url)
