"""Fixtures shared by the contract suites: endpoints of the real stack, read from the
environment with the stack script's defaults. Real-adapter tests fail (never skip)
when a server does not answer: the CI starts the stack first."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest


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
    return os.environ.get("LIUHEN_KAFKA_BOOTSTRAP", "127.0.0.1:59092")


@pytest.fixture(scope="session")
def s3_settings() -> S3Settings:
    env = os.environ.get
    return S3Settings(
        endpoint=env("LIUHEN_S3_ENDPOINT", "127.0.0.1:57480"),
        offsite_endpoint=env("LIUHEN_S3_OFFSITE_ENDPOINT", "127.0.0.1:57481"),
        access_key=env("LIUHEN_S3_ACCESS_KEY", "liuhen-app"),
        secret_key=env("LIUHEN_S3_SECRET_KEY", "liuhen-app-secret-key"),
        admin_access_key=env("LIUHEN_S3_ADMIN_ACCESS_KEY", "liuhen-admin"),
        admin_secret_key=env("LIUHEN_S3_ADMIN_SECRET_KEY", "liuhen-admin-secret-key"),
    )


@pytest.fixture
def unique() -> str:
    """A short suffix that keeps one run's topics, groups and buckets apart."""
    return uuid.uuid4().hex[:12]
