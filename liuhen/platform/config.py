"""Settings, read from the environment in one place (`Settings.from_env`).

Profiles: `embedded` (the default: SQLite, the SQLite message log, a local object
folder and a local token issuer under LIUHEN_HOME) and `stack` (PostgreSQL, Kafka,
S3/Ceph RGW, Keycloak, at the addresses given by the LIUHEN_* variables).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

SERVICES = ("intake", "cases", "media", "routing", "enforcement")
DEFAULT_PORTS = {
    "intake": 50151,
    "cases": 50152,
    "media": 50153,
    "routing": 50154,
    "enforcement": 50155,
}


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Secret:
    """A value that never prints."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(****)"


@dataclass(frozen=True)
class Settings:
    profile: str = "embedded"
    home: Path = Path(".liuhen")
    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    database_url: str = ""
    database_owner_url: str = ""
    kafka_bootstrap: str = "127.0.0.1:59092"
    s3_endpoint: str = "127.0.0.1:57480"
    s3_offsite_endpoint: str = "127.0.0.1:57481"
    s3_access_key: Secret = Secret("")
    s3_secret_key: Secret = Secret("")
    keycloak_url: str = "http://127.0.0.1:58080"
    otlp_endpoint: str = ""
    relay_interval_s: float = 0.2
    # The ledger log's signing and witness keys (logkeys.py; a mounted Secret on stack).
    log_keys_dir: str = ""
    checkpoint_interval_s: float = 60.0

    @property
    def issuer_base(self) -> str:
        """Issuers are `<base>/realms/<tenant>`, for Keycloak and the embedded issuer."""
        if self.profile == "stack":
            return self.keycloak_url.rstrip("/")
        return "https://issuer.liuhen.embedded"

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.home / 'liuhen.db'}"

    def db_url(self) -> str:
        return self.database_url or self.sqlite_url()

    def address(self, service: str) -> str:
        return f"{self.host}:{self.ports[service]}"

    def with_ports(self, ports: Mapping[str, int]) -> Settings:
        return replace(self, ports={**self.ports, **ports})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        profile = env.get("LIUHEN_PROFILE", "embedded")
        if profile not in ("embedded", "stack"):
            raise ConfigError(f"LIUHEN_PROFILE must be 'embedded' or 'stack', not {profile!r}")
        ports = dict(DEFAULT_PORTS)
        for name in SERVICES:
            key = f"LIUHEN_{name.upper()}_PORT"
            if key in env:
                ports[name] = int(env[key])
        settings = cls(
            profile=profile,
            home=Path(env.get("LIUHEN_HOME", ".liuhen")).absolute(),
            host=env.get("LIUHEN_HOST", "127.0.0.1"),
            ports=ports,
            database_url=env.get("LIUHEN_DATABASE_URL", ""),
            database_owner_url=env.get("LIUHEN_DATABASE_OWNER_URL", ""),
            kafka_bootstrap=env.get("LIUHEN_KAFKA_BOOTSTRAP", "127.0.0.1:59092"),
            s3_endpoint=env.get("LIUHEN_S3_ENDPOINT", "127.0.0.1:57480"),
            s3_offsite_endpoint=env.get("LIUHEN_S3_OFFSITE_ENDPOINT", "127.0.0.1:57481"),
            s3_access_key=Secret(env.get("LIUHEN_S3_ACCESS_KEY", "")),
            s3_secret_key=Secret(env.get("LIUHEN_S3_SECRET_KEY", "")),
            keycloak_url=env.get("LIUHEN_KEYCLOAK_URL", "http://127.0.0.1:58080"),
            otlp_endpoint=env.get("LIUHEN_OTLP_ENDPOINT", ""),
            log_keys_dir=env.get("LIUHEN_LOG_KEYS_DIR", ""),
            checkpoint_interval_s=float(env.get("LIUHEN_CHECKPOINT_INTERVAL_S", "60")),
        )
        if profile == "stack":
            required = ("LIUHEN_DATABASE_URL", "LIUHEN_S3_ACCESS_KEY", "LIUHEN_S3_SECRET_KEY")
            for key in (*required, "LIUHEN_LOG_KEYS_DIR"):
                if not env.get(key):
                    raise ConfigError(f"{key} is required when LIUHEN_PROFILE=stack")
        return settings
