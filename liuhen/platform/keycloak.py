"""The Keycloak adapters of identity (DESIGN §3): verify a realm's access tokens with
its published keys, and get this service's own client-credentials token per realm.

A realm per tenant. The unverified `iss` only chooses whose keys to verify with; the
tenant itself comes from `auth._decode` on the verified claims, so a token signed by
realm `hongshan` can never be a `jiangan` principal, whatever it claims.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests

from liuhen.platform import catalogue
from liuhen.platform.auth import (
    AUDIENCE,
    Principal,
    TokenVerifier,
    _decode,
    service_client,
    tenant_from_issuer,
    unverified_header,
)
from liuhen.platform.bootstrap import ServiceTokens
from liuhen.platform.config import Secret
from liuhen.platform.errors import Unauthenticated, Unavailable

log = logging.getLogger(__name__)

REFETCH_INTERVAL_S = 10.0  # a realm's keys are fetched at most this often (unknown kid, errors)
EXPIRY_MARGIN_S = 30.0  # a service token is renewed this long before it expires


@dataclass
class _RealmKeys:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    loaded_at: float = float("-inf")  # monotonic time of the last successful fetch
    tried_at: float = float("-inf")  # monotonic time of the last attempt
    lock: threading.Lock = field(default_factory=threading.Lock)


class KeycloakVerifier(TokenVerifier):
    """Verifies RS256 access tokens of the tenant realms against each realm's JWKS."""

    def __init__(
        self,
        base_url: str,
        *,
        audience: str = AUDIENCE,
        jwks_ttl_s: float = 300,
        http_timeout_s: float = 5,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.audience = audience
        self.jwks_ttl_s = jwks_ttl_s
        self.http_timeout_s = http_timeout_s
        self._realms: dict[str, _RealmKeys] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        header = unverified_header(token)  # alg none / HS256 refused before any fetch
        issuer = _unverified_claims(token).get("iss")
        tenant = tenant_from_issuer(issuer if isinstance(issuer, str) else "", self.base)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated(
                "INVALID_TOKEN", "the token names no signing key", "令牌未指明签名密钥"
            )
        key = self._key(tenant, kid)
        return _decode(token, key, issuer_base=self.base, audience=self.audience)

    def _key(self, tenant: str, kid: str) -> jwt.PyJWK:
        with self._lock:
            realm = self._realms.setdefault(tenant, _RealmKeys())
        with realm.lock:  # one fetch per realm at a time; the others wait for its result
            now = time.monotonic()
            wanted = kid not in realm.keys or now - realm.loaded_at >= self.jwks_ttl_s
            if wanted and now - realm.tried_at >= REFETCH_INTERVAL_S:
                realm.tried_at = now
                try:
                    realm.keys, realm.loaded_at = self._fetch(tenant), now
                except Unavailable:
                    if not realm.keys:
                        raise
                    log.warning("keeping the cached keys of realm %s", tenant, exc_info=True)
            if not realm.keys:
                raise Unavailable(
                    "JWKS_UNAVAILABLE",
                    f"the keys of realm {tenant} are not loaded",
                    f"未能获取 {tenant} 的签名密钥",
                )
            if kid not in realm.keys:
                raise Unauthenticated(
                    "UNKNOWN_KEY", f"realm {tenant} has no key {kid!r}", "令牌的签名密钥未知"
                )
            return realm.keys[kid]

    def _fetch(self, tenant: str) -> dict[str, jwt.PyJWK]:
        url = f"{self.base}/realms/{tenant}/protocol/openid-connect/certs"
        try:
            resp = requests.get(url, timeout=self.http_timeout_s)
            resp.raise_for_status()
            jwks = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise Unavailable(
                "JWKS_UNAVAILABLE", f"cannot fetch {url}: {exc}", "无法获取签名密钥"
            ) from exc
        return _signing_keys(jwks)


def _unverified_claims(token: str) -> dict[str, Any]:
    """Claims before verification: only to choose the realm whose keys verify them."""
    try:
        return jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(
            "INVALID_TOKEN", f"the token is not valid: {exc}", "令牌无效"
        ) from exc


def _signing_keys(jwks: Any) -> dict[str, jwt.PyJWK]:
    """The RS256 signature keys of a JWKS (Keycloak also lists RSA-OAEP encryption keys)."""
    keys: dict[str, jwt.PyJWK] = {}
    entries = jwks.get("keys", []) if isinstance(jwks, dict) else []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
        except jwt.PyJWTError:
            log.warning("skipping an unusable key %s", entry.get("kid"))
    return keys


class KeycloakServiceTokens(ServiceTokens):
    """This service's token for a tenant: client credentials of `liuhen-<service>` in the
    tenant's realm, cached until shortly before it expires."""

    def __init__(
        self,
        base_url: str,
        service: str,
        *,
        secret: Secret,
        http_timeout_s: float = 5,
    ) -> None:
        super().__init__(service)
        self.base = base_url.rstrip("/")
        self.client_id = service_client(service)
        self.http_timeout_s = http_timeout_s
        if not secret.value:  # Settings.client_secret refuses this first; never guess one
            raise ValueError(f"no client secret for {self.client_id}")
        self._secret = secret
        self._sites = frozenset(catalogue.sites())
        self._cache: dict[str, tuple[str, float]] = {}  # tenant -> (token, renew at)
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def token(self, tenant: str) -> str:
        if tenant not in self._sites:  # the realm name goes into the URL: sites only
            raise ValueError(f"{tenant!r} is not a site")
        with self._lock:
            lock = self._locks.setdefault(tenant, threading.Lock())
        with lock:
            cached = self._cache.get(tenant)
            if cached is not None and time.monotonic() < cached[1]:
                return cached[0]
            started = time.monotonic()
            token, expires_in = self._fetch(tenant)
            self._cache[tenant] = (token, started + expires_in - EXPIRY_MARGIN_S)
            return token

    def _fetch(self, tenant: str) -> tuple[str, float]:
        url = f"{self.base}/realms/{tenant}/protocol/openid-connect/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.value,
        }
        try:
            resp = requests.post(url, data=form, timeout=self.http_timeout_s)
        except requests.RequestException as exc:
            raise Unavailable(
                "SERVICE_TOKEN_UNAVAILABLE", f"cannot reach {url}: {exc}", "无法获取服务令牌"
            ) from exc
        if resp.status_code >= 500:
            raise Unavailable(
                "SERVICE_TOKEN_UNAVAILABLE",
                f"{url} answered {resp.status_code}",
                "无法获取服务令牌",
            )
        if resp.status_code != 200:  # a wrong client or secret: configuration, not the caller
            raise RuntimeError(
                f"Keycloak refused client {self.client_id} in realm {tenant}: "
                f"{resp.status_code} {resp.text[:200]}"
            )
        body = resp.json()
        return str(body["access_token"]), float(body.get("expires_in", 60))
