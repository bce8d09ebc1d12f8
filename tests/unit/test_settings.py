"""Settings come from the environment in one place, and the stack profile refuses to
start without what it needs (issue 10, 15): no client secret is ever guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from liuhen.platform.bootstrap import bootstrap
from liuhen.platform.config import SERVICES, STACK_REQUIRED, ConfigError, Secret, Settings
from liuhen.platform.keycloak import KeycloakServiceTokens

STACK = {
    "LIUHEN_PROFILE": "stack",
    "LIUHEN_DATABASE_URL": "postgresql+psycopg://app@db/liuhen",
    "LIUHEN_S3_ACCESS_KEY": "access",
    "LIUHEN_S3_SECRET_KEY": "secret",
    "LIUHEN_KAFKA_BOOTSTRAP": "kafka:9092",
    "LIUHEN_S3_ENDPOINT": "s3:443",
    "LIUHEN_S3_OFFSITE_ENDPOINT": "s3-offsite:443",
    "LIUHEN_KEYCLOAK_URL": "https://sso.example",
    "LIUHEN_LOG_KEYS_DIR": "/etc/liuhen/ledger-keys",
}
SECRETS = {f"LIUHEN_{s.upper()}_CLIENT_SECRET": f"random-{s}-value" for s in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_the_stack_profile_refuses_a_service_without_its_client_secret(service: str) -> None:
    variable = f"LIUHEN_{service.upper()}_CLIENT_SECRET"
    others = {k: v for k, v in SECRETS.items() if k != variable}
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({**STACK, **others}, services=(service,))
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({**STACK, **others, variable: ""}, services=(service,))


def test_a_service_needs_only_its_own_secret() -> None:
    """A pod holds only its own secret (deploy/helm/liuhen)."""
    env = {**STACK, "LIUHEN_CASES_CLIENT_SECRET": "random-cases-value"}
    settings = Settings.from_env(env, services=("cases",))
    assert settings.client_secret("cases").value == "random-cases-value"
    assert "random-cases-value" not in repr(settings)
    with pytest.raises(ConfigError, match="LIUHEN_MEDIA_CLIENT_SECRET"):
        settings.client_secret("media")


def test_the_embedded_profile_needs_no_client_secret() -> None:
    assert Settings.from_env({}, services=SERVICES).client_secrets == {}


def test_bootstrap_refuses_the_stack_without_the_secret_before_opening_anything(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({**STACK, "LIUHEN_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match="LIUHEN_INTAKE_CLIENT_SECRET"):
        bootstrap(settings, "intake")


def test_the_keycloak_adapter_takes_no_empty_secret() -> None:
    with pytest.raises(ValueError, match="liuhen-cases"):
        KeycloakServiceTokens("http://keycloak", "cases", secret=Secret(""))


def test_art43_the_media_retention_comes_from_the_environment() -> None:
    assert Settings.from_env({}).media_retention_years == 30
    years = Settings.from_env({"LIUHEN_MEDIA_RETENTION_YEARS": "50"}).media_retention_years
    assert years == 50


@pytest.mark.parametrize("raw", ["0", "-1", "thirty", "", "1.5"])
def test_a_retention_that_is_not_a_number_of_years_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="LIUHEN_MEDIA_RETENTION_YEARS"):
        Settings.from_env({"LIUHEN_MEDIA_RETENTION_YEARS": raw})


@pytest.mark.parametrize("variable", STACK_REQUIRED)
def test_the_stack_profile_has_no_default_server_addresses(variable: str) -> None:
    """A deployment names its servers; none falls back to the local stack's ports."""
    env = {**STACK, **SECRETS}
    del env[variable]
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_a_port_variable_must_be_a_port() -> None:
    with pytest.raises(ConfigError, match="LIUHEN_CASES_PORT"):
        Settings.from_env({"LIUHEN_CASES_PORT": "http"})
    assert Settings.from_env({"LIUHEN_CASES_PORT": "21999"}).ports["cases"] == 21999


def test_services_are_reached_through_the_address_template_and_listen_on_the_host() -> None:
    settings = Settings.from_env(
        {"LIUHEN_HOST": "0.0.0.0", "LIUHEN_SERVICE_ADDRESS": "liuhen-{service}:{port}"}
    )
    assert settings.address("cases") == f"liuhen-cases:{settings.ports['cases']}"
    assert settings.bind_address("cases") == f"0.0.0.0:{settings.ports['cases']}"
    assert Settings.from_env({}).address("media") == f"127.0.0.1:{settings.ports['media']}"


@pytest.mark.parametrize("template", ["liuhen-{service}", "{host}:{port}", "x:{port", "nocolon"])
def test_a_service_address_that_names_no_host_and_port_is_refused(template: str) -> None:
    with pytest.raises(ConfigError, match="LIUHEN_SERVICE_ADDRESS"):
        Settings.from_env({"LIUHEN_SERVICE_ADDRESS": template})
