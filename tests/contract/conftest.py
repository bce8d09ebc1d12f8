"""Fixtures shared by the contract suites: endpoints of the real stack, read from the
environment with the stack script's defaults. Real-adapter tests fail (never skip)
when a server does not answer: the CI starts the stack first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.support import stack_env


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    offsite_endpoint: str
    access_key: str
    secret_key: str
    admin_access_key: str
    admin_secret_key: str


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return stack_env()["LIUHEN_KAFKA_BOOTSTRAP"]


@pytest.fixture(scope="session")
def s3_settings() -> S3Settings:
    env = stack_env()
    return S3Settings(
        endpoint=env["LIUHEN_S3_ENDPOINT"],
        offsite_endpoint=env["LIUHEN_S3_OFFSITE_ENDPOINT"],
        access_key=env["LIUHEN_S3_ACCESS_KEY"],
        secret_key=env["LIUHEN_S3_SECRET_KEY"],
        admin_access_key=env["LIUHEN_S3_ADMIN_ACCESS_KEY"],
        admin_secret_key=env["LIUHEN_S3_ADMIN_SECRET_KEY"],
    )


@pytest.fixture
def unique() -> str:
    """A short suffix that keeps one run's topics, groups and buckets apart."""
    return uuid.uuid4().hex[:12]
