"""No default port of Liuhen or its stack lies in the kernel's ephemeral range, where an
outgoing connection may hold it when a server comes to bind (issue: ports that cannot
collide)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from liuhen.platform.config import DEFAULT_CONSOLE_PORT, DEFAULT_PORTS
from liuhen.platform.sockets import ephemeral_range
from tests.support import STACK_SCRIPT

CHART_VALUES = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "liuhen" / "values.yaml"


def _outside_ephemeral(ports: dict[str, int]) -> dict[str, int]:
    low, high = ephemeral_range()
    return {name: port for name, port in ports.items() if low <= port <= high}


def test_the_range_is_read_from_the_kernel() -> None:
    text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    assert ephemeral_range() == (int(text[0]), int(text[1]))


def test_service_defaults_lie_outside_the_ephemeral_range() -> None:
    assert set(DEFAULT_PORTS) == {"intake", "cases", "media", "routing", "enforcement"}
    assert _outside_ephemeral(dict(DEFAULT_PORTS)) == {}


def test_the_console_default_lies_outside_the_ephemeral_range_apart_from_the_services() -> None:
    assert DEFAULT_CONSOLE_PORT == 21150
    assert DEFAULT_CONSOLE_PORT not in DEFAULT_PORTS.values()
    assert _outside_ephemeral({"console": DEFAULT_CONSOLE_PORT}) == {}


def test_stack_servers_lie_outside_the_ephemeral_range() -> None:
    out = subprocess.run(
        ["bash", str(STACK_SCRIPT), "ports"], capture_output=True, text=True, check=True
    ).stdout
    ports = {name: int(port) for name, port in (line.split() for line in out.splitlines())}
    assert len(ports) == 8  # postgres, kafka + controller, mon, two gateways, keycloak + mgmt
    assert _outside_ephemeral(ports) == {}


def test_chart_ports_are_the_service_defaults_and_outside_the_range() -> None:
    values = yaml.safe_load(CHART_VALUES.read_text())
    ports = {name: svc["port"] for name, svc in values["services"].items()}
    assert ports == dict(DEFAULT_PORTS)
    assert _outside_ephemeral(ports) == {}
