"""Settings, read from the environment in one place (`Settings.from_env`).

Profiles: `embedded` (the default: SQLite, the SQLite message log, a local object
folder and a local token issuer under LIUHEN_HOME) and `stack` (PostgreSQL, Kafka,
S3/Ceph RGW, Keycloak, at the addresses given by the LIUHEN_* variables). On the stack
each service signs in to Keycloak with its own client secret,
`LIUHEN_<SERVICE>_CLIENT_SECRET`; none is ever derived from a name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from liuhen.platform.printing.retention import parse_years

SERVICES = ("intake", "cases", "media", "routing", "enforcement")
# Below Linux's ephemeral range (32768-60999 by default), which the kernel hands out as
# the local port of outgoing connections: one of those could hold a port a service is
# about to bind. The stack's servers keep to the same rule (deploy/stack/stack.sh).
DEFAULT_PORTS = {
    "intake": 21151,
    "cases": 21152,
    "media": 21153,
    "routing": 21154,
    "enforcement": 21155,
}
# The officers' web console (liuhen/console, docs/console.md), by the same rule.
DEFAULT_CONSOLE_PORT = 21150
# The stack profile has no default addresses: a deployment names its servers
# (`deploy/stack/stack.sh env` prints the local stack's).
STACK_REQUIRED = (
    "LIUHEN_DATABASE_URL",
    "LIUHEN_KAFKA_BOOTSTRAP",
    "LIUHEN_S3_ENDPOINT",
    "LIUHEN_S3_OFFSITE_ENDPOINT",
    "LIUHEN_S3_ACCESS_KEY",
    "LIUHEN_S3_SECRET_KEY",
    "LIUHEN_KEYCLOAK_URL",
    "LIUHEN_LOG_KEYS_DIR",
)
# Art 43: recordings are kept as long as their case file (the archives law); 30 years is
# the long retention term of the archives rules for case files.
DEFAULT_MEDIA_RETENTION_YEARS = 30


class ConfigError(Exception):
    pass


def _port(key: str, value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise ConfigError(f"{key} must be a port number (0-65535), not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Secret:
    """A value that never prints."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(****)"


# Numeric settings: field -> environment variable (each optional, default in Settings).
NUMBERS = {
    "sibling_timeout_s": "LIUHEN_SIBLING_TIMEOUT_S",
    "db_connect_timeout_s": "LIUHEN_DB_CONNECT_TIMEOUT_S",
    "db_statement_timeout_s": "LIUHEN_DB_STATEMENT_TIMEOUT_S",
    "s3_timeout_s": "LIUHEN_S3_TIMEOUT_S",
    "upload_idle_timeout_s": "LIUHEN_MEDIA_UPLOAD_IDLE_TIMEOUT_S",
    "uploads_per_caller": "LIUHEN_MEDIA_UPLOADS_PER_CALLER",
    "uploads_per_tenant": "LIUHEN_MEDIA_UPLOADS_PER_TENANT",
    "upload_workers": "LIUHEN_MEDIA_UPLOAD_WORKERS",
    "offsite_wait_cap_s": "LIUHEN_MEDIA_OFFSITE_WAIT_CAP_S",
    "offsite_retry_s": "LIUHEN_MEDIA_OFFSITE_RETRY_S",
    "fixity_interval_s": "LIUHEN_MEDIA_FIXITY_INTERVAL_S",
    "fixity_batch": "LIUHEN_MEDIA_FIXITY_BATCH",
    "report_interval_s": "LIUHEN_MEDIA_REPORT_INTERVAL_S",
    "checkpoint_interval_s": "LIUHEN_CHECKPOINT_INTERVAL_S",
    "sequencer_interval_s": "LIUHEN_SEQUENCER_INTERVAL_S",
}


def _numbers(env: Mapping[str, str]) -> dict[str, Any]:
    """The numeric settings present in `env`; each must be a positive finite number."""
    out: dict[str, Any] = {}
    for name, key in NUMBERS.items():
        if key not in env:
            continue
        kind = type(getattr(Settings, name))
        try:
            value = kind(env[key])
        except ValueError:
            raise ConfigError(f"{key} must be a number, not {env[key]!r}") from None
        if not 0 < value < float("inf"):
            raise ConfigError(f"{key} must be a positive finite number, not {env[key]!r}")
        out[name] = value
    return out


@dataclass(frozen=True)
class Settings:
    profile: str = "embedded"
    home: Path = Path(".liuhen")
    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    database_url: str = ""
    database_owner_url: str = ""
    database_app_role: str = "liuhen_app"  # the role the services log in as (migrations grant)
    kafka_bootstrap: str = ""
    s3_endpoint: str = ""
    s3_offsite_endpoint: str = ""
    s3_access_key: Secret = Secret("")
    s3_secret_key: Secret = Secret("")
    keycloak_url: str = ""
    otlp_endpoint: str = ""
    relay_interval_s: float = 0.2
    media_retention_years: int = DEFAULT_MEDIA_RETENTION_YEARS
    # Art 43: the periods of the case kinds where a deployment sets its own (catalogue
    # retention.yaml otherwise); kind -> years, None for permanent.
    retention_years_by_kind: Mapping[str, int | None] = field(default_factory=dict)
    client_secrets: Mapping[str, Secret] = field(default_factory=dict)
    # Deadlines on what a call waits for (issue 10: a dependency that hangs fails the call).
    sibling_timeout_s: float = 15.0
    db_connect_timeout_s: float = 10.0
    db_statement_timeout_s: float = 30.0
    s3_timeout_s: float = 30.0
    # Media uploads: no caller starves the others (issue 10).
    upload_idle_timeout_s: float = 30.0  # a stream silent this long is closed
    uploads_per_caller: int = 4  # open upload streams of one officer
    uploads_per_tenant: int = 64  # open upload streams of one district
    upload_workers: int = 32  # threads that hash and store the bytes of uploads
    offsite_wait_cap_s: float = 120.0  # VerifyOffsiteCopy waits at most this long
    offsite_retry_s: float = 5.0  # how often the off-site copier retries pending copies
    fixity_interval_s: float = 86400.0  # each recording's copies re-hashed this often
    fixity_batch: int = 100  # recordings re-hashed per tenant and round
    report_interval_s: float = 7 * 86400.0  # each district's Art 47 report to the city
    test_fault: str = ""  # crash tests only: liuhen.platform.faults
    # The ledger log's signing and witness keys (logkeys.py; a mounted Secret on stack).
    log_keys_dir: str = ""
    checkpoint_interval_s: float = 60.0
    # Each service's periodic pass over ledger entries still queued (sequencer.py).
    sequencer_interval_s: float = 10.0
    console_port: int = DEFAULT_CONSOLE_PORT
    # Where a process reaches the services, as "{service}" and "{port}" fill it (the
    # chart's pods: "liuhen-{service}:{port}"); empty: `host` and the ports. `host` is
    # only where a service listens (the chart's 0.0.0.0 reaches no other pod).
    service_address: str = ""

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
        """Where a client (a sibling service, the console, the CLI) reaches `service`."""
        if self.service_address:
            return self.service_address.format(service=service, port=self.ports[service])
        return self.bind_address(service)

    def bind_address(self, service: str) -> str:
        """Where `service` itself listens."""
        return f"{self.host}:{self.ports[service]}"

    def client_secret(self, service: str) -> Secret:
        """The service's Keycloak client secret; refused, with the variable named, if unset."""
        secret = self.client_secrets.get(service)
        if secret is None or not secret.value:
            raise ConfigError(
                f"{client_secret_variable(service)} is required when LIUHEN_PROFILE=stack"
            )
        return secret

    def with_ports(self, ports: Mapping[str, int]) -> Settings:
        return replace(self, ports={**self.ports, **ports})

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, services: Iterable[str] = ()
    ) -> Settings:
        """The settings in `env` (the process environment by default). On the stack
        profile the client secret of each of `services` (those this process runs) is
        required: a pod holds only its own."""
        env = os.environ if env is None else env
        profile = env.get("LIUHEN_PROFILE", "embedded")
        if profile not in ("embedded", "stack"):
            raise ConfigError(f"LIUHEN_PROFILE must be 'embedded' or 'stack', not {profile!r}")
        ports = dict(DEFAULT_PORTS)
        for name in SERVICES:
            key = f"LIUHEN_{name.upper()}_PORT"
            if key in env:
                ports[name] = _port(key, env[key])
        settings = cls(
            profile=profile,
            home=Path(env.get("LIUHEN_HOME", ".liuhen")).absolute(),
            host=env.get("LIUHEN_HOST", "127.0.0.1"),
            ports=ports,
            database_url=env.get("LIUHEN_DATABASE_URL", ""),
            database_owner_url=env.get("LIUHEN_DATABASE_OWNER_URL", ""),
            database_app_role=env.get("LIUHEN_DB_APP_ROLE", "liuhen_app"),
            kafka_bootstrap=env.get("LIUHEN_KAFKA_BOOTSTRAP", ""),
            s3_endpoint=env.get("LIUHEN_S3_ENDPOINT", ""),
            s3_offsite_endpoint=env.get("LIUHEN_S3_OFFSITE_ENDPOINT", ""),
            s3_access_key=Secret(env.get("LIUHEN_S3_ACCESS_KEY", "")),
            s3_secret_key=Secret(env.get("LIUHEN_S3_SECRET_KEY", "")),
            keycloak_url=env.get("LIUHEN_KEYCLOAK_URL", ""),
            otlp_endpoint=env.get("LIUHEN_OTLP_ENDPOINT", ""),
            media_retention_years=_retention_years(env),
            retention_years_by_kind=_retention_by_kind(env),
            client_secrets=_client_secrets(env),
            log_keys_dir=env.get("LIUHEN_LOG_KEYS_DIR", ""),
            test_fault=env.get("LIUHEN_TEST_FAULT", ""),
            **_numbers(env),
            service_address=_service_address(env.get("LIUHEN_SERVICE_ADDRESS", "")),
            console_port=_port(
                "LIUHEN_CONSOLE_PORT", env.get("LIUHEN_CONSOLE_PORT", str(DEFAULT_CONSOLE_PORT))
            ),
        )
        if profile == "stack":
            missing = [key for key in STACK_REQUIRED if not env.get(key)]
            if missing:
                raise ConfigError(
                    f"{', '.join(missing)} required when LIUHEN_PROFILE=stack "
                    '(for the local stack: eval "$(bash deploy/stack/stack.sh env)")'
                )
            for name in services:
                settings.client_secret(name)
        return settings


def _service_address(template: str) -> str:
    """`LIUHEN_SERVICE_ADDRESS`: a host:port template naming `{service}` and `{port}`."""
    try:
        filled = template.format(service="cases", port=1)
    except (KeyError, IndexError, ValueError):
        filled = ""
    if template and (":" not in filled or "{" in filled):
        raise ConfigError(
            "LIUHEN_SERVICE_ADDRESS must be host:port with {service} and {port} "
            f"(e.g. liuhen-{{service}}:{{port}}), not {template!r}"
        )
    return template


def _client_secrets(env: Mapping[str, str]) -> dict[str, Secret]:
    variables = {name: client_secret_variable(name) for name in SERVICES}
    return {name: Secret(env[var]) for name, var in variables.items() if env.get(var)}


def client_secret_variable(service: str) -> str:
    """`LIUHEN_CASES_CLIENT_SECRET`: the secret of Keycloak client `liuhen-cases`."""
    return f"LIUHEN_{service.upper()}_CLIENT_SECRET"


def _retention_years(env: Mapping[str, str]) -> int:
    key = "LIUHEN_MEDIA_RETENTION_YEARS"
    raw = env.get(key, str(DEFAULT_MEDIA_RETENTION_YEARS))
    try:
        years = int(raw)
    except ValueError:
        years = 0
    if not 1 <= years <= 1000:
        raise ConfigError(f"{key} must be a whole number of years from 1 to 1000, not {raw!r}")
    return years


def _retention_by_kind(env: Mapping[str, str]) -> dict[str, int | None]:
    try:
        return parse_years(env.get("LIUHEN_RETENTION_YEARS", ""))
    except ValueError as exc:
        raise ConfigError(f"LIUHEN_RETENTION_YEARS: {exc}") from None
