"""Identity: who is calling, for which tenant, in which roles (DESIGN §3).

The tenant comes from the verified issuer (`<base>/realms/<tenant>`), never from a
request field. Two adapters verify tokens: the embedded issuer (a key on disk, signing
the same claims Keycloak would) and Keycloak (the realm's JWKS, in keycloak.py).
"""

from __future__ import annotations

import os
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from liuhen.platform import catalogue
from liuhen.platform.errors import PermissionDenied, Unauthenticated

AUDIENCE = "liuhen"
ROLES = ("intake", "handler", "reviewer", "head", "bureau_head", "legal", "supervisor", "service")


def service_client(service: str) -> str:
    """The client a service's own token is issued to: its `azp` claim, which tells one
    service's identity from another's (every service holds the same `service` role)."""
    return f"liuhen-{service}"


@dataclass(frozen=True)
class Principal:
    tenant: str
    user_id: str
    username: str
    name: str
    roles: frozenset[str]
    certificate_no: str = ""
    client_id: str = ""
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_service(self) -> bool:
        return "service" in self.roles

    def is_service_of(self, service: str) -> bool:
        """Whether this is `service`'s own identity (its token, not an officer's)."""
        return self.is_service and self.client_id == service_client(service)

    def require_service(self, service: str, *, action: str, action_zh: str) -> None:
        """PERMISSION_DENIED unless `service` itself calls: an officer, or another
        service of the site, may not do what only that service does (DESIGN §7)."""
        if not self.is_service_of(service):
            raise PermissionDenied(
                "SERVICE_ONLY",
                f"only the {service} service {action}",
                f"仅限{service}服务调用：{action_zh}",
                article="DESIGN §7",
            )

    def require_role(self, *roles: str, action: str) -> None:
        """PERMISSION_DENIED unless the caller holds one of `roles` (roles.yaml)."""
        if not self.roles.intersection(roles):
            raise PermissionDenied(
                "ROLE_REQUIRED",
                f"{action} needs the role {' or '.join(roles)}",
                f"{action}需要角色 {' 或 '.join(roles)}",
                article="roles.yaml",
            )

    def acting_role(self, preferred: Iterable[str]) -> str:
        for role in preferred:
            if role in self.roles:
                return role
        return sorted(self.roles)[0] if self.roles else ""


@cache
def _site_ids() -> frozenset[str]:
    return frozenset(catalogue.sites())


def tenant_from_issuer(issuer: str, base: str) -> str:
    """The tenant of an issuer `<base>/realms/<site>`; any other issuer is refused."""
    prefix = base.rstrip("/") + "/realms/"
    if not issuer.startswith(prefix) or issuer[len(prefix) :] not in _site_ids():
        raise Unauthenticated(
            "UNKNOWN_ISSUER", f"token issuer {issuer!r} is not trusted", "令牌签发方不受信任"
        )
    return issuer[len(prefix) :]


def principal_from_claims(claims: Mapping[str, Any], tenant: str) -> Principal:
    roles = frozenset(claims.get("realm_access", {}).get("roles", [])).intersection(ROLES)
    return Principal(
        tenant=tenant,
        user_id=str(claims.get("sub", "")),
        username=str(claims.get("preferred_username", claims.get("azp", ""))),
        name=str(claims.get("name", claims.get("preferred_username", ""))),
        roles=roles,
        certificate_no=str(claims.get("certificate_no", "")),
        client_id=str(claims.get("azp", "")),
        claims=dict(claims),
    )


class TokenVerifier(ABC):
    """Verifies a bearer token and returns the principal, or raises Unauthenticated."""

    @abstractmethod
    def verify(self, token: str) -> Principal: ...


def unverified_header(token: str) -> dict[str, Any]:
    """The header, refusing any algorithm but RS256 (alg none, HS256 keyed with the
    public key) before a key is even looked up."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(
            "INVALID_TOKEN", f"the token is not valid: {exc}", "令牌无效"
        ) from exc
    if header.get("alg") != "RS256":
        raise Unauthenticated(
            "BAD_ALGORITHM", "only RS256 tokens are accepted", "仅接受 RS256 签名的令牌"
        )
    return header


def _decode(token: str, key: Any, *, issuer_base: str, audience: str = AUDIENCE) -> Principal:
    unverified_header(token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            options={"require": ["exp", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("TOKEN_EXPIRED", "the token has expired", "令牌已过期") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(
            "INVALID_TOKEN", f"the token is not valid: {exc}", "令牌无效"
        ) from exc
    return principal_from_claims(claims, tenant_from_issuer(claims["iss"], issuer_base))


class EmbeddedIssuer(TokenVerifier):
    """The local issuer of the embedded default: an RSA key under LIUHEN_HOME/keys.

    It signs the claims a Keycloak realm would put in an access token, so the services
    cannot tell the two apart except by the key they verify with.
    """

    def __init__(self, key_path: Path, base: str) -> None:
        self.base = base.rstrip("/")
        self._key = _load_or_create_key(key_path)
        self._public = self._key.public_key()

    def issuer(self, tenant: str) -> str:
        return f"{self.base}/realms/{tenant}"

    def mint(
        self,
        tenant: str,
        username: str,
        roles: Iterable[str],
        *,
        name: str = "",
        certificate_no: str = "",
        ttl_s: int = 3600,
        client_id: str = "liuhen-officer",
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer(tenant),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{username}")),
            "aud": AUDIENCE,
            "azp": client_id,
            "iat": now,
            "exp": now + ttl_s,
            "jti": str(uuid.uuid4()),
            "preferred_username": username,
            "name": name or username,
            "certificate_no": certificate_no,
            "realm_access": {"roles": sorted(set(roles))},
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "embedded"})

    def service_token(self, tenant: str, service: str) -> str:
        client = service_client(service)
        return self.mint(
            tenant, f"service-account-{client}", ["service"], client_id=client, ttl_s=300
        )

    def verify(self, token: str) -> Principal:
        return _decode(token, self._public, issuer_base=self.base)


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)  # atomic: the first process to create the key wins
    except FileExistsError:
        tmp.unlink()
        return _load_or_create_key(path)
    tmp.unlink()
    return key
