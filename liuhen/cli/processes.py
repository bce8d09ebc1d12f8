"""Start the five services and the console as separate processes and stop them cleanly
(`liuhen up`)."""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from liuhen.platform.config import SERVICES, Settings
from liuhen.platform.sockets import ephemeral_range


def free_ports(services: Sequence[str]) -> dict[str, int]:
    """Ports for services started as separate processes, which must know each other's
    ports before they start. Drawn from 10000-19999, below the kernel's ephemeral range
    (so that no outgoing connection can take one between this choice and the service's
    bind) and apart from the default ports of the services and the stack (20000-29999);
    checked free now."""
    top = max(11000, min(20000, ephemeral_range()[0]))
    rng = random.SystemRandom()
    ports: dict[str, int] = {}
    while len(ports) < len(services):
        port = rng.randrange(10000, top)
        if port in ports.values():
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports[services[len(ports)]] = port
    return ports


def serving(address: str, timeout: float = 1.0) -> bool:
    try:
        with grpc.insecure_channel(address) as ch:
            reply = health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout
            )
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.RpcError:
        return False


def console_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.console_port}"


def console_serving(settings: Settings, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{console_url(settings)}/healthz", timeout=timeout) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def all_serving(settings: Settings) -> bool:
    return all(serving(settings.address(s), 0.5) for s in SERVICES)


class ServiceProcesses:
    def __init__(
        self, settings: Settings, env: Mapping[str, str] | None = None, log_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self.env = {**os.environ, **(env or {})}
        self.log_dir = log_dir or settings.home / "logs"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, timeout: float = 60.0, *, console: bool = True) -> None:
        """The five services, then (unless `console` is False) the console in front of
        them; returns once each answers its health check."""
        self._start_services(timeout)
        if console:
            self._start_console(timeout)

    def _start_console(self, timeout: float) -> None:
        log = (self.log_dir / "console.log").open("ab")
        env = dict(self.env)
        if self.settings.profile == "stack" and not env.get("LIUHEN_CONSOLE_SECRET"):
            # A key for this run's cookies only: a restart signs everyone out.
            env["LIUHEN_CONSOLE_SECRET"] = secrets.token_urlsafe(32)
        self.procs["console"] = subprocess.Popen(
            [sys.executable, "-m", "liuhen.console"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while not console_serving(self.settings, 0.5):
            if self.procs["console"].poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = (self.log_dir / "console.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the console did not start:\n{tail}")
            time.sleep(0.1)

    def _start_services(self, timeout: float) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Migrate once, before five processes race for it.
        from services.run import prepare_schema

        prepare_schema(self.settings)
        for s in SERVICES:
            log = (self.log_dir / f"{s}.log").open("ab")
            self.procs[s] = subprocess.Popen(
                [sys.executable, "-m", f"services.{s}"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        pending = set(SERVICES)
        while pending:
            for s in list(pending):
                if self.procs[s].poll() is not None:
                    self.stop()
                    tail = (self.log_dir / f"{s}.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"service {s} exited at start:\n{tail}")
                if serving(self.settings.address(s), 0.5):
                    pending.discard(s)
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"services not serving after {timeout:.0f}s: {sorted(pending)}")
            time.sleep(0.1)

    def stop(self, grace: float = 10.0) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + grace
        for p in self.procs.values():
            try:
                p.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()


def env_for(settings: Settings) -> dict[str, str]:
    env = {
        "LIUHEN_PROFILE": settings.profile,
        "LIUHEN_HOME": str(settings.home),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(Path.cwd()), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    for s in SERVICES:
        env[f"LIUHEN_{s.upper()}_PORT"] = str(settings.ports[s])
    env["LIUHEN_CONSOLE_PORT"] = str(settings.console_port)
    return env
