"""Keycloak realm JSON for development and tests: the local stack (deploy/stack/stack.sh
imports these) and the stack tests. Never for a deployment: they hold test users with a
known password and client secrets anyone can derive; `keycloak_deployment` writes the
realms for a deployment from the same roles, clients and mappers.

One realm per tenant (realm name = tenant id), generated deterministically from
``catalog/sites.yaml``:

* realm roles ``intake handler reviewer head bureau_head legal supervisor`` and
  ``service``;
* one confidential client per service (``liuhen-intake`` ...), client credentials
  only, secret ``<client-id>-secret`` (`dev_client_secret`), its service account
  holding ``service``;
* the public client ``liuhen-officer`` with direct access grants (password grant);
* every client adds ``liuhen`` to ``aud`` and maps the user attribute
  ``certificate_no`` to the claim of that name;
* test users ``<role>1`` (and ``<role>2`` for intake/handler/reviewer), password
  ``pass``, with names, e-mail and ``certificate_no`` set.

Usage: ``python -m liuhen.platform.keycloak_realms OUT_DIR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

SITES_YAML = Path(__file__).parent / "catalog" / "sites.yaml"

OFFICER_ROLES = ("intake", "handler", "reviewer", "head", "bureau_head", "legal", "supervisor")
SERVICE_ROLE = "service"
REALM_ROLES = (*OFFICER_ROLES, SERVICE_ROLE)
# Roles that get a second test user (the separation-of-duties tests need two).
TWO_USER_ROLES = ("intake", "handler", "reviewer")
SERVICE_CLIENTS = (
    "liuhen-intake",
    "liuhen-cases",
    "liuhen-media",
    "liuhen-routing",
    "liuhen-enforcement",
)
OFFICER_CLIENT = "liuhen-officer"
AUDIENCE = "liuhen"
TEST_PASSWORD = "pass"
ACCESS_TOKEN_LIFESPAN = 300
EMAIL_DOMAIN = "liuhen.test"

# Short prefixes for the test users' certificate numbers (e.g. JA-handler1);
# a tenant unknown here uses its id in upper case.
CERT_PREFIX = {
    "wuhan": "WH",
    "jiangan": "JA",
    "jianghan": "JH",
    "qiaokou": "QK",
    "hanyang": "HY",
    "wuchang": "WC",
    "qingshan": "QS",
    "hongshan": "HS",
    "dongxihu": "DXH",
    "hannan": "HN",
    "caidian": "CD",
    "jiangxia": "JX",
    "huangpi": "HP",
    "xinzhou": "XZ",
}


def user_profile_config() -> str:
    """Declarative user profile (Keycloak 24+) with ``certificate_no`` declared,
    so the attribute is kept on import and readable by the protocol mapper."""
    both = {"view": ["admin", "user"], "edit": ["admin", "user"]}
    profile = {
        "attributes": [
            {
                "name": "username",
                "displayName": "${username}",
                "validations": {
                    "length": {"min": 3, "max": 255},
                    "username-prohibited-characters": {},
                    "up-username-not-idn-homograph": {},
                },
                "permissions": both,
                "multivalued": False,
            },
            {
                "name": "email",
                "displayName": "${email}",
                "validations": {"email": {}, "length": {"max": 255}},
                "required": {"roles": ["user"]},
                "permissions": both,
                "multivalued": False,
            },
            {
                "name": "firstName",
                "displayName": "${firstName}",
                "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
                "required": {"roles": ["user"]},
                "permissions": both,
                "multivalued": False,
            },
            {
                "name": "lastName",
                "displayName": "${lastName}",
                "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
                "required": {"roles": ["user"]},
                "permissions": both,
                "multivalued": False,
            },
            {
                "name": "certificate_no",
                "displayName": "Certificate number",
                "validations": {"length": {"max": 64}},
                "permissions": {"view": ["admin", "user"], "edit": ["admin"]},
                "multivalued": False,
            },
        ],
        "groups": [
            {
                "name": "user-metadata",
                "displayHeader": "User metadata",
                "displayDescription": "Attributes, which refer to user metadata",
            }
        ],
    }
    return json.dumps(profile, ensure_ascii=False, separators=(",", ":"))


def mappers() -> list[dict[str, Any]]:
    return [
        {
            "name": "audience-liuhen",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "consentRequired": False,
            "config": {
                "included.custom.audience": AUDIENCE,
                "access.token.claim": "true",
                "id.token.claim": "false",
                "introspection.token.claim": "true",
            },
        },
        {
            "name": "certificate_no",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-attribute-mapper",
            "consentRequired": False,
            "config": {
                "user.attribute": "certificate_no",
                "claim.name": "certificate_no",
                "jsonType.label": "String",
                "access.token.claim": "true",
                "id.token.claim": "true",
                "userinfo.token.claim": "true",
                "introspection.token.claim": "true",
            },
        },
    ]


def dev_client_secret(client_id: str) -> str:
    """The development secret of a service client: known to all, for the local stack only."""
    return f"{client_id}-secret"


def service_client(client_id: str, secret: str) -> dict[str, Any]:
    """A service's confidential client: client credentials only."""
    return {
        "clientId": client_id,
        "name": client_id,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "fullScopeAllowed": True,
        "protocolMappers": mappers(),
    }


def _officer_client() -> dict[str, Any]:
    return {
        "clientId": OFFICER_CLIENT,
        "name": OFFICER_CLIENT,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": True,
        "serviceAccountsEnabled": False,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": True,
        "fullScopeAllowed": True,
        "redirectUris": ["http://127.0.0.1/*", "http://localhost/*"],
        "webOrigins": ["+"],
        "attributes": {"pkce.code.challenge.method": "S256"},
        "protocolMappers": mappers(),
    }


def cert_prefix(tenant_id: str) -> str:
    return CERT_PREFIX.get(tenant_id, tenant_id.upper())


def _test_users(tenant_id: str) -> list[dict[str, Any]]:
    users = []
    for role in OFFICER_ROLES:
        count = 2 if role in TWO_USER_ROLES else 1
        for n in range(1, count + 1):
            username = f"{role}{n}"
            users.append(
                {
                    "username": username,
                    "enabled": True,
                    "emailVerified": True,
                    "firstName": f"{role.replace('_', ' ').title().replace(' ', '')}{n}",
                    "lastName": tenant_id.title(),
                    "email": f"{username}@{tenant_id}.{EMAIL_DOMAIN}",
                    "attributes": {"certificate_no": [f"{cert_prefix(tenant_id)}-{username}"]},
                    "credentials": [
                        {"type": "password", "value": TEST_PASSWORD, "temporary": False}
                    ],
                    "requiredActions": [],
                    "realmRoles": [role],
                }
            )
    for client_id in SERVICE_CLIENTS:
        users.append(
            {
                "username": f"service-account-{client_id}",
                "enabled": True,
                "serviceAccountClientId": client_id,
                "realmRoles": [SERVICE_ROLE],
            }
        )
    return users


def realm_roles() -> list[dict[str, Any]]:
    return [
        {"name": role, "description": f"liuhen {role}", "composite": False, "clientRole": False}
        for role in REALM_ROLES
    ]


def user_profile_component() -> dict[str, Any]:
    return {
        "org.keycloak.userprofile.UserProfileProvider": [
            {
                "providerId": "declarative-user-profile",
                "subComponents": {},
                "config": {"kc.user.profile.config": [user_profile_config()]},
            }
        ]
    }


def build_dev_realm(tenant_id: str, tenant_zh: str, level: str) -> dict[str, Any]:
    """The development realm representation (import JSON) for one tenant."""
    return {
        "realm": tenant_id,
        "displayName": tenant_zh,
        "enabled": True,
        "sslRequired": "none",
        "registrationAllowed": False,
        "loginWithEmailAllowed": False,
        "duplicateEmailsAllowed": False,
        "accessTokenLifespan": ACCESS_TOKEN_LIFESPAN,
        "attributes": {"liuhen.tenant": tenant_id, "liuhen.level": level},
        "roles": {"realm": realm_roles()},
        "clients": [service_client(c, dev_client_secret(c)) for c in SERVICE_CLIENTS]
        + [_officer_client()],
        "users": _test_users(tenant_id),
        "components": user_profile_component(),
    }


def load_tenants(path: Path = SITES_YAML) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["tenants"])


def write_dev_realms(out_dir: Path, tenants: list[dict[str, Any]] | None = None) -> list[Path]:
    """Write the development ``<tenant>-realm.json`` of each tenant into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if tenants is None:
        tenants = load_tenants()
    paths = []
    for t in tenants:
        realm = build_dev_realm(str(t["id"]), str(t["zh"]), str(t["level"]))
        path = out_dir / f"{t['id']}-realm.json"
        path.write_text(json.dumps(realm, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(
            "usage: python -m liuhen.platform.keycloak_realms OUT_DIR  (development realms)",
            file=sys.stderr,
        )
        return 2
    for path in write_dev_realms(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
