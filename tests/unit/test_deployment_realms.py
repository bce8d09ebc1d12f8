"""The realms for a deployment (issue 15): nothing in them a reader of our source could
sign in with, and the realm settings docs/keycloak-realms.md gives the reasons for."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from liuhen.cli.main import main as cli
from liuhen.platform.keycloak_deployment import (
    BROWSER_FLOW,
    SECOND_FACTOR_ROLE,
    DeploymentOptions,
    write_deployment_realms,
)
from liuhen.platform.keycloak_realms import (
    OFFICER_CLIENT,
    SERVICE_CLIENTS,
    TEST_PASSWORD,
    load_tenants,
)

CONSOLE = "https://console.wuhan.example/liuhen"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_deployment_realms(
        tmp_path_factory.mktemp("realms"), DeploymentOptions(console_url=CONSOLE)
    )


@pytest.fixture(scope="module")
def realms(written: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in written if p.name.endswith("-realm.json")]


@pytest.fixture(scope="module")
def manifest(written: list[Path]) -> dict[str, Any]:
    return dict(yaml.safe_load(written[-1].read_text()))


def predictable(client_id: str) -> set[str]:
    short = client_id.removeprefix("liuhen-")
    return {"", client_id, short, f"{client_id}-secret", f"{short}-secret", TEST_PASSWORD}


def test_one_realm_per_tenant_and_none_holds_a_user(realms: list[dict[str, Any]]) -> None:
    assert sorted(r["realm"] for r in realms) == sorted(t["id"] for t in load_tenants())
    for realm in realms:
        assert "users" not in realm and "credentials" not in json.dumps(realm)


def test_service_secrets_are_random_per_client_and_match_the_secret_manifest(
    realms: list[dict[str, Any]], manifest: dict[str, Any]
) -> None:
    data = manifest["stringData"]
    assert manifest["kind"] == "Secret"
    assert manifest["metadata"]["name"] == "liuhen-keycloak-clients"  # values.yaml's name
    for client_id in SERVICE_CLIENTS:
        secret = data[f"{client_id.removeprefix('liuhen-')}-client-secret"]
        assert secret not in predictable(client_id) and len(secret) >= 40
        for realm in realms:  # one secret per service, the same in every tenant's realm
            (client,) = [c for c in realm["clients"] if c["clientId"] == client_id]
            assert client["secret"] == secret
    assert len(set(data.values())) == len(SERVICE_CLIENTS)


def test_every_run_draws_new_secrets(tmp_path: Path, manifest: dict[str, Any]) -> None:
    again = write_deployment_realms(tmp_path, DeploymentOptions(console_url=CONSOLE))
    other = yaml.safe_load(again[-1].read_text())["stringData"]
    assert not set(other.values()) & set(manifest["stringData"].values())


def test_the_files_are_written_once_and_readable_by_their_owner_only(
    written: list[Path],
) -> None:
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):  # a second run never replaces imported secrets
        write_deployment_realms(written[0].parent, DeploymentOptions(console_url=CONSOLE))


def test_no_client_accepts_the_password_grant_and_the_officer_client_needs_pkce(
    realms: list[dict[str, Any]],
) -> None:
    for realm in realms:
        for client in realm["clients"]:
            assert client["directAccessGrantsEnabled"] is False
            assert client["implicitFlowEnabled"] is False
        (officer,) = [c for c in realm["clients"] if c["clientId"] == OFFICER_CLIENT]
        assert officer["publicClient"] and officer["standardFlowEnabled"]
        assert officer["attributes"]["pkce.code.challenge.method"] == "S256"
        assert officer["redirectUris"] == [f"{CONSOLE}/*"]
        assert officer["webOrigins"] == ["https://console.wuhan.example"]


def test_service_clients_carry_the_service_role_without_a_user(
    realms: list[dict[str, Any]],
) -> None:
    for client in realms[0]["clients"]:
        roles = [m["config"].get("role") for m in client["protocolMappers"]]
        assert ("service" in roles) == (client["clientId"] in SERVICE_CLIENTS)


def test_realm_settings_for_a_government_deployment(realms: list[dict[str, Any]]) -> None:
    for realm in realms:
        assert realm["sslRequired"] == "all"
        assert realm["bruteForceProtected"] is True and realm["failureFactor"] <= 5
        policy = realm["passwordPolicy"]
        for rule in ("length(12)", "notUsername", "passwordHistory(", "forceExpiredPassword"):
            assert rule in policy
        assert realm["accessTokenLifespan"] <= 300
        assert realm["ssoSessionIdleTimeout"] <= 1800
        assert realm["revokeRefreshToken"] is True
        assert realm["eventsEnabled"] and realm["adminEventsEnabled"]
        # Cybersecurity Law Art 21(3): network logs are kept at least six months.
        assert realm["eventsExpiration"] >= 180 * 24 * 3600
        assert realm["registrationAllowed"] is False


def test_heads_and_bureau_heads_sign_in_with_a_second_factor(
    realms: list[dict[str, Any]],
) -> None:
    realm = realms[0]
    holders = {
        r["name"]
        for r in realm["roles"]["realm"]
        if SECOND_FACTOR_ROLE in r.get("composites", {}).get("realm", [])
    }
    assert holders == {"head", "bureau_head"}
    assert realm["browserFlow"] == BROWSER_FLOW
    flows = {f["alias"]: f for f in realm["authenticationFlows"]}
    steps = [
        e.get("authenticator")
        for e in flows[f"{BROWSER_FLOW} second factor"]["authenticationExecutions"]
    ]
    assert steps == ["conditional-user-role", "auth-otp-form"]
    (config,) = realm["authenticatorConfig"]
    assert config["config"] == {"condUserRole": SECOND_FACTOR_ROLE}


def test_the_second_factor_roles_and_kind_are_configurable(tmp_path: Path) -> None:
    options = DeploymentOptions(
        console_url=CONSOLE, second_factor_roles=("legal",), second_factor="webauthn"
    )
    realm = json.loads(write_deployment_realms(tmp_path, options)[0].read_text())
    composite = [r["name"] for r in realm["roles"]["realm"] if r.get("composite")]
    assert composite == ["legal"]
    assert "webauthn-authenticator" in json.dumps(realm["authenticationFlows"])


@pytest.mark.parametrize(
    "console", ["http://console.example", "console.example", "https://", "https://x/?a=1"]
)
def test_the_console_address_must_be_https(console: str) -> None:
    with pytest.raises(ValueError, match="https"):
        DeploymentOptions(console_url=console)


def test_an_unknown_second_factor_role_is_refused() -> None:
    with pytest.raises(ValueError, match="officer roles"):
        DeploymentOptions(console_url=CONSOLE, second_factor_roles=("root",))


def test_the_cli_names_each_output_and_refuses_a_plain_http_console(tmp_path: Path) -> None:
    dev, deployment = tmp_path / "dev", tmp_path / "deployment"
    assert cli(["keycloak", "dev-realms", str(dev)]) == 0
    assert all(json.loads(p.read_text())["users"] for p in dev.glob("*-realm.json"))
    args = ["keycloak", "deployment-realms", str(deployment), "--console-url"]
    assert cli([*args, "http://console.example"]) == 2
    assert cli([*args, CONSOLE, "--second-factor-roles", "head"]) == 0
    assert not any("users" in json.loads(p.read_text()) for p in deployment.glob("*.json"))
    assert cli([*args, CONSOLE]) == 2  # never over the secrets already written
