"""Stack tests run against the real servers that `make test` starts (deploy/stack):
PostgreSQL, Kafka, Ceph RGW and Keycloak. They fail, never skip, when one is missing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from liuhen.platform.config import Settings
from tests.support import Site, running_site

ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = ROOT / "deploy" / "stack" / "stack.sh"

_DEFAULTS = {
    "LIUHEN_PROFILE": "stack",
    "LIUHEN_DATABASE_URL": "postgresql+psycopg://liuhen_app:liuhen_app@127.0.0.1:55432/liuhen",
    "LIUHEN_DATABASE_OWNER_URL": (
        "postgresql+psycopg://liuhen_owner:liuhen_owner@127.0.0.1:55432/liuhen"
    ),
    "LIUHEN_KAFKA_BOOTSTRAP": "127.0.0.1:59092",
    "LIUHEN_S3_ENDPOINT": "127.0.0.1:57480",
    "LIUHEN_S3_OFFSITE_ENDPOINT": "127.0.0.1:57481",
    "LIUHEN_S3_ACCESS_KEY": "liuhen-app",
    "LIUHEN_S3_SECRET_KEY": "liuhen-app-secret-key",
    "LIUHEN_KEYCLOAK_URL": "http://127.0.0.1:58080",
    "LIUHEN_LOG_KEYS_DIR": str(Path.home() / ".cache" / "liuhen-stack" / "run" / "ledger-keys"),
}
# The local stack's addresses, unless the environment points at other servers.
STACK_ENV = {key: os.environ.get(key, default) for key, default in _DEFAULTS.items()}
STACK_ENV["LIUHEN_PROFILE"] = "stack"


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
    base = Settings.from_env({**STACK_ENV, "LIUHEN_HOME": str(tmp_path)})
    with running_site(tmp_path, base=base) as site:
        yield site
