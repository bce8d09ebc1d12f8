"""A deployment realm (issue 15) imported into the stack's Keycloak: it issues a service
token for the generated secret only, and refuses the password grant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from liuhen.platform.keycloak_deployment import (
    BROWSER_FLOW,
    SECOND_FACTOR_ROLE,
    DeploymentOptions,
    build_deployment_realm,
    generate_client_secrets,
)
from liuhen.platform.keycloak_realms import dev_client_secret
from tests.stack.conftest import STACK_ENV

pytestmark = pytest.mark.stack

KEYCLOAK = STACK_ENV["LIUHEN_KEYCLOAK_URL"].rstrip("/")
ADMIN = ("admin", "admin")  # the local stack's bootstrap admin (deploy/stack/stack.sh)
SECRETS = generate_client_secrets()


def admin_headers() -> dict[str, str]:
    reply = requests.post(
        f"{KEYCLOAK}/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": ADMIN[0],
            "password": ADMIN[1],
        },
        timeout=30,
    )
    assert reply.status_code == 200, f"Keycloak admin at {KEYCLOAK}: {reply.text[:300]}"
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


@pytest.fixture(scope="module")
def realm() -> Iterator[str]:
    """A deployment realm under a fresh name, deleted at the end."""
    name = f"liuhen-test-{uuid.uuid4().hex[:8]}"
    options = DeploymentOptions(console_url="https://console.liuhen.test")
    representation = build_deployment_realm(name, "测试", "district", options, SECRETS)
    # The one change: the local Keycloak speaks plain HTTP on loopback ("all" needs TLS).
    representation["sslRequired"] = "external"
    reply = requests.post(
        f"{KEYCLOAK}/admin/realms", json=representation, headers=admin_headers(), timeout=120
    )
    assert reply.status_code == 201, reply.text[:500]
    try:
        yield name
    finally:
        requests.delete(f"{KEYCLOAK}/admin/realms/{name}", headers=admin_headers(), timeout=60)


def token(realm: str, **form: str) -> requests.Response:
    url = f"{KEYCLOAK}/realms/{realm}/protocol/openid-connect/token"
    return requests.post(url, data=form, timeout=30)


def service_token(realm: str, client: str, secret: str) -> requests.Response:
    return token(realm, grant_type="client_credentials", client_id=client, client_secret=secret)


def verified(realm: str, access_token: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{KEYCLOAK}/realms/{realm}/protocol/openid-connect/certs")
    key = keys.get_signing_key_from_jwt(access_token)
    claims: dict[str, Any] = jwt.decode(access_token, key, algorithms=["RS256"], audience="liuhen")
    return claims


def test_the_generated_secret_gets_a_service_token_with_the_service_role(realm: str) -> None:
    for client, secret in SECRETS.items():
        reply = service_token(realm, client, secret)
        assert reply.status_code == 200, reply.text[:300]
        claims = verified(realm, reply.json()["access_token"])
        assert claims["azp"] == client
        assert "service" in claims["realm_access"]["roles"]


def test_a_predictable_secret_gets_nothing(realm: str) -> None:
    for client in SECRETS:
        for guess in (dev_client_secret(client), client, ""):
            assert service_token(realm, client, guess).status_code in (400, 401)


def test_the_password_grant_is_refused(realm: str) -> None:
    reply = token(
        realm, grant_type="password", client_id="liuhen-officer", username="head1", password="pass"
    )
    assert reply.status_code in (400, 401)
    assert reply.json()["error"] == "unauthorized_client"  # the grant itself, not the user


def test_the_realm_holds_no_user_and_asks_heads_for_a_second_factor(realm: str) -> None:
    headers = admin_headers()
    base = f"{KEYCLOAK}/admin/realms/{realm}"
    assert requests.get(f"{base}/users", headers=headers, timeout=30).json() == []
    settings = requests.get(base, headers=headers, timeout=30).json()
    assert settings["browserFlow"] == BROWSER_FLOW
    assert settings["bruteForceProtected"] and settings["passwordPolicy"]
    events = requests.get(f"{base}/events/config", headers=headers, timeout=30).json()
    assert events["eventsEnabled"] and events["adminEventsEnabled"]
    flow = BROWSER_FLOW.replace(" ", "%20")
    steps = requests.get(
        f"{base}/authentication/flows/{flow}/executions", headers=headers, timeout=30
    ).json()
    assert [(s["level"], s.get("providerId")) for s in steps if s["level"] == 2] == [
        (2, "conditional-user-role"),
        (2, "auth-otp-form"),
    ]
    for role in ("head", "bureau_head"):
        held = requests.get(f"{base}/roles/{role}/composites", headers=headers, timeout=30)
        assert [r["name"] for r in held.json()] == [SECOND_FACTOR_ROLE]
