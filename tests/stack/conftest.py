"""Stack tests run against the real servers that `make test` starts (deploy/stack):
PostgreSQL, Kafka, Ceph RGW and Keycloak. They fail, never skip, when one is missing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from liuhen.platform.config import SERVICES, Settings
from tests.support import STACK_SCRIPT, Site, running_site, stack_env

# The local stack's addresses, unless the environment points at other servers.
STACK_ENV = {**stack_env(), "LIUHEN_PROFILE": "stack"}


@pytest.fixture(scope="session", autouse=True)
def ledger_keys() -> None:
    """The sites' ledger keys in the stack's key folder (`liuhen ledger keys DIR`)."""
    from liuhen.platform.logkeys import generate_all

    generate_all(Path(STACK_ENV["LIUHEN_LOG_KEYS_DIR"]))


def stack(*args: str) -> None:
    """Drive the local stack (e.g. restart the Kafka broker in the middle of a test)."""
    subprocess.run(["bash", str(STACK_SCRIPT), *args], check=True, timeout=600)


@pytest.fixture
def stack_site(tmp_path: Path) -> Iterator[Site]:
    """The five services in-process on the stack profile (real adapters)."""
    base = Settings.from_env({**STACK_ENV, "LIUHEN_HOME": str(tmp_path)}, services=SERVICES)
    with running_site(tmp_path, base=base) as site:
        yield site
