"""Services as separate processes on the benchmark's profile (embedded, or the local stack
with the database LIUHEN_DATABASE_URL names), started one by one so that a benchmark runs
only those it needs: on the shared stack a routing process would join the sites' Kafka
consumer groups and take other sessions' messages. Also: the RSS of a process, sampled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc

from bench.common import profile, stack_env


@dataclass
class Procs:
    settings: Any  # liuhen.platform.config.Settings
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def pid(self, service: str) -> int:
        return self.procs[service].pid


def profile_env(home: Path, **env_extra: str) -> tuple[Any, dict[str, str]]:
    """The settings of a site under `home` on the benchmark's profile (free ports), and
    the environment its processes run with."""
    from liuhen.cli.processes import env_for, free_ports
    from liuhen.platform.config import SERVICES, Settings

    base: dict[str, str] = {"LIUHEN_HOME": str(home)}
    if profile() == "stack":
        from liuhen.platform.logkeys import generate_all

        base = {**stack_env(), **base}
        generate_all(Path(base["LIUHEN_LOG_KEYS_DIR"]))
    base.update(env_extra)
    settings = Settings.from_env(base, services=SERVICES).with_ports(free_ports(SERVICES))
    # Only this site's LIUHEN_* settings: an embedded run must not inherit a database
    # URL exported for the stack (e.g. by privdb.sh).
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    return settings, {**inherited, **base, **env_for(settings)}


@contextmanager
def services(home: Path, names: tuple[str, ...], **env_extra: str) -> Iterator[Procs]:
    """`names` started as processes (`python -m services.<name>`) under `home`; the
    others keep ports where nothing listens."""
    from liuhen.cli.processes import serving
    from services.run import prepare_schema

    settings, env = profile_env(home, **env_extra)
    prepare_schema(settings)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    running = Procs(settings)
    try:
        for s in names:
            log = (home / "logs" / f"{s}.log").open("ab")
            running.procs[s] = subprocess.Popen(
                [sys.executable, "-m", f"services.{s}"], env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 90
        for s in names:
            while not serving(settings.address(s), 0.5):
                if running.procs[s].poll() is not None or time.monotonic() > deadline:
                    tail = (home / "logs" / f"{s}.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{s} did not start:\n{tail}")
                time.sleep(0.1)
        yield running
    finally:
        for p in running.procs.values():
            p.terminate()
        for p in running.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def rss_mib(pid: int, field_name: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler:
    """The process's RSS every `every_s` while the block runs: `.before`, `.peak`."""

    def __init__(self, pid: int, every_s: float = 0.05) -> None:
        self.pid, self.every_s = pid, every_s
        self.before = self.peak = rss_mib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak = max(self.peak, rss_mib(self.pid))

    def __enter__(self) -> RssSampler:
        self.before = self.peak = rss_mib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib(self.pid))

    @property
    def growth(self) -> float:
        return self.peak - self.before


def assigned_case(settings: Any, tenant: str) -> str:
    """A filed case of `tenant` with handler1 as its handler."""
    from tests.support import Site, file_case

    return file_case(Site(settings, {}), tenant)


def recording(case: str, chunks: Iterator[bytes]) -> Iterator[Any]:
    """An UploadRecording request stream: the metadata, then the chunks."""
    from liuhen.cli.demo import rid
    from liuhen.media.v1 import media_pb2 as mpb
    from liuhen.platform.db import utcnow

    now = utcnow()
    meta = mpb.RecordingMetadata(
        request_id=rid(),
        case=case,
        kind="video",
        device="bench",
        place="bench",
        content_type="video/mp4",
    )
    meta.start_time.FromDatetime(now - timedelta(hours=1))
    meta.end_time.FromDatetime(now - timedelta(minutes=1))
    yield mpb.UploadRecordingRequest(metadata=meta)
    for c in chunks:
        yield mpb.UploadRecordingRequest(chunk=c)


@contextmanager
def spied(name: str, pid: int) -> Iterator[None]:
    """With LIUHEN_BENCH_PYSPY=1, py-spy samples process `pid` (all its threads, idle
    ones too) while the block runs into bench/profiles/<name>-<profile>.txt."""
    if os.environ.get("LIUHEN_BENCH_PYSPY") != "1":
        yield
        return
    from bench.common import ROOT

    out = ROOT / "bench" / "profiles" / f"{name}-{profile()}.txt"
    out.parent.mkdir(exist_ok=True)
    exe = Path(sys.executable).parent / "py-spy"
    cmd = [str(exe), "record", "-r", "100", "-f", "raw", "-o", str(out), "-p", str(pid)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        yield
    finally:
        proc.send_signal(2)
        proc.wait(timeout=60)


def upload(officer: Any, case: str, chunks: Iterator[bytes], timeout_s: float = 3600.0) -> Any:
    """UploadRecording as `officer` (liuhen.cli.demo.Officer), with a deadline long enough
    for a large or slowed upload (the Officer's own calls have 30 s)."""
    from liuhen.media.v1 import media_pb2_grpc

    channel = officer.channels.setdefault(
        "media", grpc.insecure_channel(officer.settings.address("media"))
    )
    stub = media_pb2_grpc.MediaServiceStub(channel)
    return stub.UploadRecording(
        recording(case, chunks), metadata=officer.metadata, timeout=timeout_s
    )
