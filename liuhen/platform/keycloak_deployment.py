"""Keycloak realm JSON for a deployment (`liuhen keycloak deployment-realms`).

The same roles, clients and mappers as the development realms (`keycloak_realms`), and
nothing a reader of this source could sign in with:

* no users: officers come from the bureau's directory or an administrator creates them;
  a service account's `service` role comes from a hard-coded role mapper on its client;
* one random secret per service client (`secrets`), the same in every tenant's realm
  (a service holds one secret), written once with the realms and once to a Kubernetes
  Secret manifest, both readable by their owner only;
* the officer client signs in with the authorization code flow and PKCE (S256), only to
  the console's address; no password grant;
* the realm settings of `REALM_SETTINGS` and a browser flow that asks the holders of
  `second_factor` (head and bureau_head unless told otherwise) for TOTP or WebAuthn.

docs/keycloak-realms.md gives each setting's reason.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from liuhen.platform.keycloak_realms import (
    OFFICER_CLIENT,
    OFFICER_ROLES,
    SERVICE_CLIENTS,
    SERVICE_ROLE,
    load_tenants,
    mappers,
    realm_roles,
    service_client,
    user_profile_component,
)

SECOND_FACTOR_ROLE = "second_factor"
DEFAULT_SECOND_FACTOR_ROLES = ("head", "bureau_head")
SECOND_FACTORS = {"totp": "auth-otp-form", "webauthn": "webauthn-authenticator"}
BROWSER_FLOW = "liuhen browser"
SECRET_BYTES = 32  # 256 bits

# Each setting's reason: docs/keycloak-realms.md.
PASSWORD_POLICY = " and ".join(
    (
        "length(12)",
        "maxLength(128)",
        "upperCase(1)",
        "lowerCase(1)",
        "digits(1)",
        "specialChars(1)",
        "notUsername",
        "notEmail",
        "passwordHistory(5)",
        "forceExpiredPasswordChange(90)",
    )
)
REALM_SETTINGS: dict[str, Any] = {
    "sslRequired": "all",
    "registrationAllowed": False,
    "resetPasswordAllowed": False,
    "rememberMe": False,
    "editUsernameAllowed": False,
    "loginWithEmailAllowed": False,
    "duplicateEmailsAllowed": False,
    "bruteForceProtected": True,
    "permanentLockout": False,
    "failureFactor": 5,
    "waitIncrementSeconds": 60,
    "maxFailureWaitSeconds": 900,
    "maxDeltaTimeSeconds": 43200,
    "quickLoginCheckMilliSeconds": 1000,
    "minimumQuickLoginWaitSeconds": 60,
    "passwordPolicy": PASSWORD_POLICY,
    "accessTokenLifespan": 300,
    "accessCodeLifespan": 60,
    "ssoSessionIdleTimeout": 1800,
    "ssoSessionMaxLifespan": 36000,
    "offlineSessionMaxLifespanEnabled": True,
    "offlineSessionMaxLifespan": 36000,
    "revokeRefreshToken": True,
    "refreshTokenMaxReuse": 0,
    "otpPolicyType": "totp",
    "otpPolicyAlgorithm": "HmacSHA1",
    "otpPolicyDigits": 6,
    "otpPolicyPeriod": 30,
    "eventsEnabled": True,
    "eventsExpiration": 180 * 24 * 3600,
    "eventsListeners": ["jboss-logging"],
    "adminEventsEnabled": True,
    "adminEventsDetailsEnabled": True,
}


@dataclass(frozen=True)
class DeploymentOptions:
    console_url: str  # where officers sign in: the only redirect target
    second_factor_roles: tuple[str, ...] = DEFAULT_SECOND_FACTOR_ROLES
    second_factor: str = "totp"
    secret_name: str = "liuhen-keycloak-clients"  # values.secrets.keycloakClients
    namespace: str = ""

    def __post_init__(self) -> None:
        url = urlsplit(self.console_url)
        if url.scheme != "https" or not url.hostname or url.query or url.fragment:
            raise ValueError(
                f"the console URL must be https://host[/path], not {self.console_url!r}"
            )
        unknown = set(self.second_factor_roles) - set(OFFICER_ROLES)
        if unknown:
            raise ValueError(f"not officer roles: {sorted(unknown)}")
        if self.second_factor not in SECOND_FACTORS:
            raise ValueError(f"the second factor is one of {sorted(SECOND_FACTORS)}")


def generate_client_secrets() -> dict[str, str]:
    """A fresh random secret per service client."""
    return {client: secrets.token_urlsafe(SECRET_BYTES) for client in SERVICE_CLIENTS}


def _deployment_service_client(client_id: str, secret: str) -> dict[str, Any]:
    client = service_client(client_id, secret)
    client["protocolMappers"] = [*client["protocolMappers"], _service_role_mapper()]
    return client


def _service_role_mapper() -> dict[str, Any]:
    """The `service` role in the client's tokens, without a service-account user to hold it."""
    return {
        "name": "service-role",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-hardcoded-role-mapper",
        "consentRequired": False,
        "config": {"role": SERVICE_ROLE},
    }


def _officer_client(console_url: str) -> dict[str, Any]:
    base = console_url.rstrip("/")
    url = urlsplit(base)
    return {
        "clientId": OFFICER_CLIENT,
        "name": OFFICER_CLIENT,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "serviceAccountsEnabled": False,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "fullScopeAllowed": True,
        "redirectUris": [f"{base}/*"],
        "webOrigins": [f"{url.scheme}://{url.netloc}"],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": f"{base}/*",
            "oauth2.device.authorization.grant.enabled": "false",
        },
        "protocolMappers": mappers(),
    }


def _roles(second_factor_roles: tuple[str, ...]) -> list[dict[str, Any]]:
    """The realm roles; those that need a second factor hold `second_factor`."""
    roles = realm_roles()
    for role in roles:
        if role["name"] in second_factor_roles:
            role["composite"] = True
            role["composites"] = {"realm": [SECOND_FACTOR_ROLE]}
    marker = {
        "name": SECOND_FACTOR_ROLE,
        "description": "signs in with a second factor (the browser flow asks for it)",
        "composite": False,
        "clientRole": False,
    }
    return [*roles, marker]


def _execution(priority: int, requirement: str, **what: Any) -> dict[str, Any]:
    step = {"requirement": requirement, "priority": priority, "userSetupAllowed": False}
    return {**step, "authenticatorFlow": "flowAlias" in what, **what}


def _flow(alias: str, executions: list[dict[str, Any]], *, top: bool) -> dict[str, Any]:
    return {
        "alias": alias,
        "description": "liuhen: " + alias,
        "providerId": "basic-flow",
        "topLevel": top,
        "builtIn": False,
        "authenticationExecutions": executions,
    }


def browser_flows(second_factor: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The browser flow (Keycloak's, with the second factor a role condition), and the
    condition's configuration: (authenticationFlows, authenticatorConfig)."""
    forms, check = f"{BROWSER_FLOW} forms", f"{BROWSER_FLOW} second factor"
    flows = [
        _flow(
            BROWSER_FLOW,
            [
                _execution(10, "ALTERNATIVE", authenticator="auth-cookie"),
                _execution(20, "ALTERNATIVE", flowAlias=forms),
            ],
            top=True,
        ),
        _flow(
            forms,
            [
                _execution(10, "REQUIRED", authenticator="auth-username-password-form"),
                _execution(20, "CONDITIONAL", flowAlias=check),
            ],
            top=False,
        ),
        _flow(
            check,
            [
                _execution(
                    10,
                    "REQUIRED",
                    authenticator="conditional-user-role",
                    authenticatorConfig=SECOND_FACTOR_ROLE,
                ),
                _execution(20, "REQUIRED", authenticator=SECOND_FACTORS[second_factor]),
            ],
            top=False,
        ),
    ]
    config = [{"alias": SECOND_FACTOR_ROLE, "config": {"condUserRole": SECOND_FACTOR_ROLE}}]
    return flows, config


def build_deployment_realm(
    tenant_id: str, tenant_zh: str, level: str, options: DeploymentOptions, secrets_: dict[str, str]
) -> dict[str, Any]:
    """The deployment realm of one tenant, its service clients holding `secrets_`."""
    flows, flow_config = browser_flows(options.second_factor)
    return {
        "realm": tenant_id,
        "displayName": tenant_zh,
        "enabled": True,
        **REALM_SETTINGS,
        "attributes": {"liuhen.tenant": tenant_id, "liuhen.level": level},
        "roles": {"realm": _roles(options.second_factor_roles)},
        "clients": [_deployment_service_client(c, secrets_[c]) for c in SERVICE_CLIENTS]
        + [_officer_client(options.console_url)],
        "authenticationFlows": flows,
        "authenticatorConfig": flow_config,
        "browserFlow": BROWSER_FLOW,
        "components": user_profile_component(),
    }


def secret_manifest(secrets_: dict[str, str], options: DeploymentOptions) -> dict[str, Any]:
    """The Kubernetes Secret the chart reads (`<service>-client-secret` keys)."""
    metadata: dict[str, Any] = {"name": options.secret_name}
    if options.namespace:
        metadata["namespace"] = options.namespace
    data = {
        f"{client.removeprefix('liuhen-')}-client-secret": value
        for client, value in secrets_.items()
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "stringData": data,
    }


def _write_once(path: Path, text: str) -> None:
    """Create `path` readable by its owner only; never overwrite (a second run would
    silently replace secrets already imported)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise FileExistsError(
            f"{path} exists: write into a new directory (a new run draws new secrets)"
        ) from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def write_deployment_realms(
    out_dir: Path, options: DeploymentOptions, tenants: list[dict[str, Any]] | None = None
) -> list[Path]:
    """Write each tenant's ``<tenant>-realm.json`` and the Secret manifest into `out_dir`
    (the realms first, the manifest last); returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    secrets_ = generate_client_secrets()
    paths = []
    for t in load_tenants() if tenants is None else tenants:
        realm = build_deployment_realm(
            str(t["id"]), str(t["zh"]), str(t["level"]), options, secrets_
        )
        path = out_dir / f"{t['id']}-realm.json"
        _write_once(path, json.dumps(realm, ensure_ascii=False, indent=2) + "\n")
        paths.append(path)
    manifest = out_dir / f"{options.secret_name}.secret.yaml"
    _write_once(manifest, yaml.safe_dump(secret_manifest(secrets_, options), sort_keys=False))
    return [*paths, manifest]
