"""Officers' tokens for the CLI: minted by the embedded issuer, or obtained from the
tenant's Keycloak realm with the password grant (LIUHEN_PROFILE=stack)."""

from __future__ import annotations

import os
import re

import requests

from liuhen.platform.bootstrap import embedded_issuer
from liuhen.platform.config import Settings

# Display names for the demo officers; a username `<role><n>` carries its role.
NAMES = {
    "intake": "接待员",
    "handler": "承办人",
    "reviewer": "审理员",
    "head": "负责人",
    "bureau_head": "局长",
    "legal": "法制员",
    "supervisor": "督导员",
}


def role_of(username: str) -> str:
    match = re.fullmatch(r"([a-z_]+?)(\d+)", username)
    if not match or match.group(1) not in NAMES:
        raise ValueError(f"demo usernames look like handler1, head1, ...; not {username!r}")
    return match.group(1)


def officer_token(settings: Settings, tenant: str, username: str, role: str = "") -> str:
    role = role or role_of(username)
    if settings.profile == "stack":
        reply = requests.post(
            f"{settings.keycloak_url}/realms/{tenant}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "liuhen-officer",
                "username": username,
                "password": os.environ.get("LIUHEN_OFFICER_PASSWORD", "pass"),
            },
            timeout=30,
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])
    number = username.removeprefix(role)
    return embedded_issuer(settings).mint(
        tenant,
        username,
        [role],
        name=f"{NAMES[role]}{number}",
        certificate_no=f"{tenant[:2].upper()}-{role[:2].upper()}-{number.zfill(4)}",
    )
