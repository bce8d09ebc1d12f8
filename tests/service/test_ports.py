"""A server that cannot bind says which port, which process holds it, and which variable
moves it; in-process sites bind port 0 and read their ports back."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from liuhen.platform.config import Settings
from liuhen.platform.sockets import ephemeral_range
from services.run import start
from tests.support import Site


def test_a_taken_port_names_the_port_its_holder_and_the_variable(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(OSError) as refused:
            start("cases", Settings(home=tmp_path), address=f"127.0.0.1:{port}")
    message = str(refused.value)
    assert f"127.0.0.1:{port}" in message
    assert f"pid {os.getpid()}" in message
    assert "LIUHEN_CASES_PORT" in message


def test_a_site_in_process_serves_on_the_ports_it_bound(site: Site) -> None:
    ports = {s: r.port for s, r in site.running.items()}
    assert len(set(ports.values())) == 5 and 0 not in ports.values()
    assert dict(site.settings.ports) == ports
    for running in site.running.values():  # every service knows where its siblings are
        assert dict(running.platform.settings.ports) == ports


def test_free_ports_for_processes_lie_below_the_ephemeral_range() -> None:
    from liuhen.cli.processes import free_ports

    ports = free_ports(["a", "b", "c", "d", "e"])
    assert len(set(ports.values())) == 5
    assert all(10000 <= p < min(20000, ephemeral_range()[0]) for p in ports.values())
