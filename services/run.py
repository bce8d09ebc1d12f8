"""Start a service: bootstrap the adapters, build the server, start its workers.

Used by each service's `__main__` (the only place that reads the environment), by
`liuhen up`, and by the service tests, which start real servers on port 0.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc

from liuhen.platform import migrate, sequencer, telemetry
from liuhen.platform.aio import create_aio_server
from liuhen.platform.bootstrap import Platform, bootstrap
from liuhen.platform.catalogue import sites
from liuhen.platform.config import Settings
from liuhen.platform.printing import registry
from liuhen.platform.server import create_server

log = logging.getLogger("liuhen.run")


class Worker(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class Server(Protocol):
    """A grpc.Server, or the asyncio server of `liuhen.platform.aio`."""

    def start(self) -> None: ...
    def stop(self, grace: float | None) -> Any: ...


@dataclass
class Running:
    service: str
    server: Server
    port: int
    platform: Platform
    workers: Sequence[Worker] = field(default_factory=list)
    serving: bool = False

    def serve(self) -> None:
        self.server.start()
        for w in self.workers:
            w.start()
        self.serving = True
        log.info(
            "%s serving on port %d (%s profile)",
            self.service,
            self.port,
            self.platform.settings.profile,
        )

    def stop(self, grace: float = 2.0) -> None:
        if self.serving:
            for w in self.workers:
                w.stop()
        self.server.stop(grace).wait()
        self.platform.close()


def prepare_schema(settings: Settings) -> None:
    """Bring the schema to the latest migration (idempotent, safe from every process).
    On the stack the owner role migrates; the services' own role cannot run DDL."""
    if settings.profile == "embedded":
        migrate.upgrade(settings.db_url())
    elif settings.database_owner_url:
        migrate.upgrade(settings.database_owner_url, app_role=settings.database_app_role)


def bind(service: str, settings: Settings, address: str | None = None) -> Running:
    """Bootstrap a service and bind its port, without serving yet."""
    telemetry.configure(service, settings.otlp_endpoint)
    platform = bootstrap(settings, service)
    try:
        prepare_schema(settings)
        module = importlib.import_module(f"services.{service}.servicer")
        server, port = _server(module, service, platform, address or settings.bind_address(service))
    except BaseException:
        platform.close()  # e.g. the port is taken: release the database and log clients
        raise
    workers: Sequence[Worker] = [
        *getattr(module, "workers", lambda p: [])(platform),
        *getattr(server, "workers", ()),  # what an asyncio servicer registered
        # Ledger entries a crash left queued become leaves (docs/ledger.md §1), and the
        # prints it left unrendered are finished (docs/printing.md).
        sequencer.Worker(
            platform.db,
            lambda: list(sites()),
            settings.sequencer_interval_s,
            also=lambda t: registry.finish_pending(platform.db, platform.objects, t),
        ),
    ]
    return Running(service, server, port, platform, workers)


def _server(module: Any, service: str, platform: Platform, address: str) -> tuple[Server, int]:
    """The service's server, bound: asyncio if its module registers so
    (`register_async`), the threaded gRPC server otherwise."""
    port_variable = f"LIUHEN_{service.upper()}_PORT"
    if hasattr(module, "register_async"):
        return create_aio_server(
            service=service,
            verifier=platform.verifier,
            register=module.register_async(platform),
            address=address,
            port_variable=port_variable,
        )
    register: Callable[[grpc.Server], Sequence[str]] = module.register(platform)
    return create_server(
        service=service,
        verifier=platform.verifier,
        register=register,
        address=address,
        port_variable=port_variable,
    )


def start(service: str, settings: Settings, address: str | None = None) -> Running:
    running = bind(service, settings, address)
    running.serve()
    return running


def start_together(services: Sequence[str], settings: Settings) -> dict[str, Running]:
    """Start services in one process on ports the OS picks: every server binds port 0
    first, then each learns the ports its siblings got, then all serve. Nothing picks a
    "free" port and binds it later, when an outgoing connection may have taken it."""
    running: dict[str, Running] = {}
    try:
        for s in services:
            running[s] = bind(s, settings, f"{settings.host}:0")
        site = settings.with_ports({s: r.port for s, r in running.items()})
        for r in running.values():
            r.platform.settings = site
            r.serve()
    except BaseException:
        for r in running.values():
            r.stop(grace=0)
        raise
    return running


def main(service: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)  # its INFO is per-connection chatter
    running = start(service, Settings.from_env(services=(service,)))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    running.stop()
