"""The officer's session: a signed cookie that holds one tenant's access token and what
the pages show about its holder; nothing is kept on the server (docs/console.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request

from liuhen.platform import catalogue

# Roles in the order a work list shows them (roles.yaml).
ROLE_ORDER = ("intake", "handler", "reviewer", "legal", "head", "bureau_head", "supervisor")
ROLE_ZH = {
    "intake": "受理",
    "handler": "承办",
    "reviewer": "审理",
    "legal": "法制",
    "head": "负责人",
    "bureau_head": "局长",
    "supervisor": "督导",
}


@dataclass(frozen=True)
class Officer:
    tenant: str
    user_id: str
    username: str
    name: str
    roles: tuple[str, ...]
    token: str

    def has(self, *roles: str) -> bool:
        return bool(set(roles).intersection(self.roles))

    @property
    def tenant_zh(self) -> str:
        site = catalogue.sites().get(self.tenant)
        return site.zh if site else self.tenant

    @property
    def roles_zh(self) -> str:
        return "、".join(ROLE_ZH.get(r, r) for r in self.roles)


def _claims(token: str) -> dict[str, Any]:
    # The services verify the token; the console only reads who it names, for the pages.
    return dict(jwt.decode(token, options={"verify_signature": False}))


def tenant_of(token: str) -> str:
    return str(_claims(token).get("iss", "")).rstrip("/").rpartition("/realms/")[2]


def sign_in(request: Request, tenant: str, token: str) -> None:
    """Start a fresh session for `tenant`: whatever the cookie held before is dropped,
    and a token of any other tenant is refused, so no session holds two tenants."""
    request.session.clear()
    if tenant_of(token) != tenant:
        raise ValueError(f"the token is not of tenant {tenant}")
    claims = _claims(token)
    request.session.update(
        {
            "tenant": tenant,
            "token": token,
            "exp": int(claims.get("exp", 0)),
        }
    )


def current(request: Request) -> Officer | None:
    """The signed-in officer, or None (no session, an expired token, or a cookie whose
    token is not of its tenant)."""
    token, tenant = request.session.get("token"), request.session.get("tenant")
    if not token or not tenant:
        return None
    if int(request.session.get("exp", 0)) <= time.time() or tenant_of(token) != tenant:
        request.session.clear()
        return None
    claims = _claims(token)
    held = set(claims.get("realm_access", {}).get("roles", []))
    return Officer(
        tenant=tenant,
        user_id=str(claims.get("sub", "")),
        username=str(claims.get("preferred_username", "")),
        name=str(claims.get("name") or claims.get("preferred_username", "")),
        roles=tuple(r for r in ROLE_ORDER if r in held),
        token=token,
    )
