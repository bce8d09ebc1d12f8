"""One contract for identity (DESIGN §3), run on the embedded issuer, on the Keycloak
adapter against a stand-in realm server, and on the real Keycloak of the stack: the
tenant comes from the verified issuer, so a token of realm `hongshan` is never a
`jiangan` principal; expired, foreign-key, unsigned, wrong-audience and
foreign-issuer tokens are refused."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from liuhen.platform import keycloak
from liuhen.platform.auth import EmbeddedIssuer, TokenVerifier
from liuhen.platform.config import Secret
from liuhen.platform.errors import Unauthenticated, Unavailable
from liuhen.platform.keycloak import KeycloakServiceTokens, KeycloakVerifier
from liuhen.platform.keycloak_realms import cert_prefix, dev_client_secret
from tests.support import stack_env

JIANGAN, HONGSHAN = "jiangan", "hongshan"
OFFICER = "handler1"
Mint = Callable[[str], str]
DEV_SECRET = Secret(dev_client_secret("liuhen-cases"))  # the stand-in realms' and the stack's
# Well-formed `<base>/realms/<name>` issuers whose name is not a site.
UNKNOWN_SITE_ISSUERS = (
    "{base}/realms/master",
    "{base}/realms/nowhere",
    "{base}/realms/jiangan?x=1",
)


@cache
def key_named(name: str) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: one per name for the whole run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_key() -> rsa.RSAPrivateKey:
    """A key nobody trusts."""
    return key_named("foreign")


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as err:
        verifier.verify(token)
    return err.value.reason


class IdentityContract:
    """Subclass once per adapter and provide the fixtures below."""

    @pytest.fixture
    def verifier(self) -> TokenVerifier:
        raise NotImplementedError

    @pytest.fixture
    def base(self) -> str:
        """The issuer base: issuers are `<base>/realms/<tenant>`."""
        raise NotImplementedError

    @pytest.fixture
    def officer_token(self) -> Mint:
        """tenant -> an access token of `handler1` (role handler) in that realm."""
        raise NotImplementedError

    @pytest.fixture
    def service_token(self) -> Mint:
        """tenant -> the client-credentials token of `liuhen-cases` in that realm."""
        raise NotImplementedError

    @pytest.fixture
    def expired_token(self) -> str:
        """A jiangan officer token the verifier sees after its `exp`."""
        raise NotImplementedError

    @pytest.fixture
    def wrong_audience_tokens(self) -> list[str]:
        """Tokens validly signed for a jiangan user whose `aud` lacks `liuhen`."""
        raise NotImplementedError

    @pytest.fixture
    def issuer_test_key(self) -> rsa.RSAPrivateKey:
        """The key to sign tokens with foreign issuers (the trusted one where we hold it)."""
        raise NotImplementedError

    def test_an_officer_token_gives_its_realms_tenant_user_roles_and_certificate(
        self, verifier: TokenVerifier, officer_token: Mint
    ) -> None:
        principal = verifier.verify(officer_token(JIANGAN))
        assert principal.tenant == JIANGAN
        assert principal.username == OFFICER
        assert principal.user_id
        assert "handler" in principal.roles
        assert not principal.is_service
        assert principal.certificate_no == f"{cert_prefix(JIANGAN)}-{OFFICER}"

    def test_a_service_token_gives_the_service_role(
        self, verifier: TokenVerifier, service_token: Mint
    ) -> None:
        principal = verifier.verify(service_token(JIANGAN))
        assert principal.tenant == JIANGAN
        assert principal.is_service
        assert principal.client_id == "liuhen-cases"

    def test_a_token_of_another_realm_is_a_principal_of_that_tenant(
        self, verifier: TokenVerifier, officer_token: Mint, service_token: Mint
    ) -> None:
        jiangan = verifier.verify(officer_token(JIANGAN))
        hongshan = verifier.verify(officer_token(HONGSHAN))
        assert (jiangan.tenant, hongshan.tenant) == (JIANGAN, HONGSHAN)
        assert hongshan.user_id != jiangan.user_id
        assert verifier.verify(service_token(HONGSHAN)).tenant == HONGSHAN

    def test_a_token_moved_to_another_realm_is_refused(
        self, verifier: TokenVerifier, officer_token: Mint, base: str
    ) -> None:
        head, _, signature = officer_token(HONGSHAN).split(".")
        claims = unverified(officer_token(HONGSHAN))[1] | {"iss": f"{base}/realms/{JIANGAN}"}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assert refused(verifier, f"{head}.{payload}.{signature}") in (
            "INVALID_TOKEN",
            "UNKNOWN_KEY",
        )

    def test_an_expired_token_is_refused(self, verifier: TokenVerifier, expired_token: str) -> None:
        assert refused(verifier, expired_token) == "TOKEN_EXPIRED"

    def test_a_token_signed_with_another_key_is_refused(
        self, verifier: TokenVerifier, officer_token: Mint
    ) -> None:
        header, claims = unverified(officer_token(JIANGAN))
        kid = header.get("kid", "")
        forged = jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": kid})
        assert refused(verifier, forged) == "INVALID_TOKEN"
        unknown = jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": "forged"})
        assert refused(verifier, unknown) in ("INVALID_TOKEN", "UNKNOWN_KEY")

    @pytest.mark.parametrize("alg", ["none", "HS256"])
    def test_an_unsigned_or_symmetric_token_is_refused(
        self, verifier: TokenVerifier, officer_token: Mint, alg: str
    ) -> None:
        header, claims = unverified(officer_token(JIANGAN))
        key = "" if alg == "none" else "a-shared-secret-anyone-could-know!"
        token = jwt.encode(claims, key, algorithm=alg, headers={"kid": header.get("kid", "")})
        assert refused(verifier, token) == "BAD_ALGORITHM"

    def test_a_token_for_another_audience_is_refused(
        self, verifier: TokenVerifier, wrong_audience_tokens: list[str]
    ) -> None:
        for token in wrong_audience_tokens:
            claims = unverified(token)[1]
            aud = claims.get("aud") or []
            assert "liuhen" not in ([aud] if isinstance(aud, str) else aud), "fixture mistake"
            assert claims.get("azp") and claims.get("sub"), "only the audience may be wrong"
            with pytest.raises(Unauthenticated, match=r"(?i)aud") as err:  # azp is no fallback
                verifier.verify(token)
            assert err.value.reason == "INVALID_TOKEN"

    @pytest.mark.parametrize(
        "foreign_issuer",
        [
            *UNKNOWN_SITE_ISSUERS,
            "{base}/realms/",
            "{base}/realms/jiangan/extra",
            "{base}/realms/jiangan/",
            "{base}/jiangan",
            "https://evil.example/realms/jiangan",
        ],
    )
    def test_an_issuer_other_than_a_tenant_realm_is_refused(
        self,
        verifier: TokenVerifier,
        officer_token: Mint,
        base: str,
        issuer_test_key: rsa.RSAPrivateKey,
        foreign_issuer: str,
    ) -> None:
        header, claims = unverified(officer_token(JIANGAN))
        claims["iss"] = foreign_issuer.format(base=base)
        token = jwt.encode(
            claims, issuer_test_key, algorithm="RS256", headers={"kid": header.get("kid", "")}
        )
        assert refused(verifier, token) == "UNKNOWN_ISSUER"


# --------------------------------------------------------------- embedded issuer ----


class TestEmbeddedIssuer(IdentityContract):
    @pytest.fixture
    def issuer_test_key(self) -> rsa.RSAPrivateKey:
        return key_named("embedded")

    @pytest.fixture
    def issuer(self, tmp_path: Path, issuer_test_key: rsa.RSAPrivateKey) -> EmbeddedIssuer:
        path = tmp_path / "keys" / "issuer.pem"  # our key, so the tests can sign as the issuer
        path.parent.mkdir()
        path.write_bytes(
            issuer_test_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return EmbeddedIssuer(path, "https://issuer.liuhen.embedded")

    @pytest.fixture
    def verifier(self, issuer: EmbeddedIssuer) -> TokenVerifier:
        return issuer

    @pytest.fixture
    def base(self, issuer: EmbeddedIssuer) -> str:
        return issuer.base

    @pytest.fixture
    def officer_token(self, issuer: EmbeddedIssuer) -> Mint:
        return lambda tenant: issuer.mint(
            tenant, OFFICER, ["handler"], certificate_no=f"{cert_prefix(tenant)}-{OFFICER}"
        )

    @pytest.fixture
    def service_token(self, issuer: EmbeddedIssuer) -> Mint:
        return lambda tenant: issuer.service_token(tenant, "cases")

    @pytest.fixture
    def expired_token(self, issuer: EmbeddedIssuer) -> str:
        return issuer.mint(JIANGAN, OFFICER, ["handler"], ttl_s=-60)

    @pytest.fixture
    def wrong_audience_tokens(
        self, officer_token: Mint, issuer_test_key: rsa.RSAPrivateKey
    ) -> list[str]:
        claims = unverified(officer_token(JIANGAN))[1]
        variants: list[dict[str, Any]] = [
            {"aud": "account"},
            {"aud": ["account", "liuhen-officer"]},
            {"aud": []},
        ]
        return [
            jwt.encode(claims | v, issuer_test_key, algorithm="RS256", headers={"kid": "embedded"})
            for v in variants
        ]


# --------------------------------------------------------- stand-in realm server ----


class FakeRealms:
    """Keycloak's realm endpoints in miniature: a key per realm (plus an encryption key,
    as Keycloak lists), the JWKS, the client-credentials grant; requests are counted."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, rsa.RSAPrivateKey]] = {
            t: {f"{t}-1": key_named(t)} for t in (JIANGAN, HONGSHAN)
        }
        self.hits: Counter[str] = Counter()
        self.expires_in = 300
        self.token_delay_s = 0.0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def sign(self, tenant: str, claims: dict[str, Any], kid: str = "") -> str:
        kid = kid or next(iter(self.keys[tenant]))
        return jwt.encode(
            claims, self.keys[tenant][kid], algorithm="RS256", headers={"kid": kid, "typ": "JWT"}
        )

    def claims(
        self, tenant: str, username: str, roles: list[str], azp: str, ttl_s: int = 300
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": f"{self.base}/realms/{tenant}",
            "aud": ["liuhen", "account"],
            "azp": azp,
            "typ": "Bearer",
            "iat": now,
            "exp": now + ttl_s,
            "sub": str(uuid.uuid4()),
            "preferred_username": username,
            "certificate_no": f"{cert_prefix(tenant)}-{username}",
            "realm_access": {"roles": [*roles, f"default-roles-{tenant}"]},
        }

    def jwks(self, tenant: str) -> dict[str, Any]:
        keys = [
            jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key(), as_dict=True)
            | {"kid": kid, "use": "sig", "alg": "RS256"}
            for kid, k in self.keys[tenant].items()
        ]
        enc = jwt.algorithms.RSAAlgorithm.to_jwk(key_named("enc").public_key(), as_dict=True)
        return {"keys": [*keys, enc | {"kid": "enc", "use": "enc", "alg": "RSA-OAEP"}]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        realms = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                tenant = self.path.split("/")[2]
                realms.hits[f"certs {tenant}"] += 1
                self._send(200, realms.jwks(tenant))

            def do_POST(self) -> None:
                tenant = self.path.split("/")[2]
                realms.hits[f"token {tenant}"] += 1
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                time.sleep(realms.token_delay_s)
                if form.get("client_secret") != [DEV_SECRET.value]:
                    return self._send(401, {"error": "unauthorized_client"})
                claims = realms.claims(
                    tenant, "service-account-liuhen-cases", ["service"], "liuhen-cases"
                )
                return self._send(
                    200,
                    {"access_token": realms.sign(tenant, claims), "expires_in": realms.expires_in},
                )

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def realms() -> Iterator[FakeRealms]:
    fake = FakeRealms()
    yield fake
    fake.close()


class TestKeycloakAdapterOnStandInRealms(IdentityContract):
    @pytest.fixture
    def verifier(self, realms: FakeRealms) -> KeycloakVerifier:
        return KeycloakVerifier(realms.base)

    @pytest.fixture
    def base(self, realms: FakeRealms) -> str:
        return realms.base

    @pytest.fixture
    def officer_token(self, realms: FakeRealms) -> Mint:
        return lambda t: realms.sign(t, realms.claims(t, OFFICER, ["handler"], "liuhen-officer"))

    @pytest.fixture
    def service_token(self, realms: FakeRealms) -> Mint:
        return KeycloakServiceTokens(realms.base, "cases", secret=DEV_SECRET).token

    @pytest.fixture
    def expired_token(self, realms: FakeRealms) -> str:
        claims = realms.claims(JIANGAN, OFFICER, ["handler"], "liuhen-officer", ttl_s=-60)
        return realms.sign(JIANGAN, claims)

    @pytest.fixture
    def wrong_audience_tokens(self, realms: FakeRealms) -> list[str]:
        claims = realms.claims(JIANGAN, OFFICER, ["handler"], "liuhen-officer")
        return [
            realms.sign(JIANGAN, claims | {"aud": aud})
            for aud in ("account", ["account"], "liuhen-officer")
        ]

    @pytest.fixture
    def issuer_test_key(self, realms: FakeRealms) -> rsa.RSAPrivateKey:
        return realms.keys[JIANGAN][f"{JIANGAN}-1"]

    def test_a_realms_keys_are_fetched_once_and_cached(
        self, verifier: KeycloakVerifier, officer_token: Mint, realms: FakeRealms
    ) -> None:
        for _ in range(3):
            verifier.verify(officer_token(JIANGAN))
        verifier.verify(officer_token(HONGSHAN))
        assert realms.hits == {f"certs {JIANGAN}": 1, f"certs {HONGSHAN}": 1}

    def test_a_new_key_is_fetched_once_and_unknown_kids_do_not_flood_keycloak(
        self,
        verifier: KeycloakVerifier,
        officer_token: Mint,
        realms: FakeRealms,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        verifier.verify(officer_token(JIANGAN))
        monkeypatch.setattr(keycloak, "REFETCH_INTERVAL_S", 0.0)  # the rotation just happened
        realms.keys[JIANGAN]["rotated"] = key_named("rotated")
        claims = realms.claims(JIANGAN, OFFICER, ["handler"], "liuhen-officer")
        assert verifier.verify(realms.sign(JIANGAN, claims, "rotated")).tenant == JIANGAN
        assert realms.hits[f"certs {JIANGAN}"] == 2
        monkeypatch.setattr(keycloak, "REFETCH_INTERVAL_S", 10.0)
        unknown = jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": "nope"})
        for _ in range(5):
            assert refused(verifier, unknown) == "UNKNOWN_KEY"
        assert realms.hits[f"certs {JIANGAN}"] == 2  # the last fetch was less than 10 s ago

    def test_keys_are_refetched_after_their_ttl_and_kept_when_keycloak_is_down(
        self, realms: FakeRealms, officer_token: Mint, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(keycloak, "REFETCH_INTERVAL_S", 0.0)
        verifier = KeycloakVerifier(realms.base, jwks_ttl_s=0, http_timeout_s=1)
        verifier.verify(officer_token(JIANGAN))
        verifier.verify(officer_token(JIANGAN))
        assert realms.hits[f"certs {JIANGAN}"] == 2
        token = officer_token(JIANGAN)
        realms.close()
        assert verifier.verify(token).tenant == JIANGAN  # stale keys beat no keys
        with pytest.raises(Unavailable):
            verifier.verify(officer_token(HONGSHAN))

    def test_a_service_token_is_cached_until_30_s_before_it_expires(
        self, realms: FakeRealms
    ) -> None:
        tokens = KeycloakServiceTokens(realms.base, "cases", secret=DEV_SECRET)
        assert tokens.token(JIANGAN) == tokens.token(JIANGAN)
        tokens.token(HONGSHAN)
        assert realms.hits == {f"token {JIANGAN}": 1, f"token {HONGSHAN}": 1}
        realms.expires_in = 30  # renewed at once: no margin left
        short = KeycloakServiceTokens(realms.base, "cases", secret=DEV_SECRET)
        short.token(JIANGAN)
        short.token(JIANGAN)
        assert realms.hits[f"token {JIANGAN}"] == 3

    def test_concurrent_callers_share_one_service_token_request(self, realms: FakeRealms) -> None:
        realms.token_delay_s = 0.2
        tokens = KeycloakServiceTokens(realms.base, "cases", secret=DEV_SECRET)
        got: list[str] = []
        threads = [
            threading.Thread(target=lambda: got.append(tokens.token(JIANGAN))) for _ in range(12)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(set(got)) == 1 and len(got) == 12
        assert realms.hits[f"token {JIANGAN}"] == 1

    def test_a_wrong_client_secret_fails_and_the_realm_must_be_a_site(
        self, realms: FakeRealms
    ) -> None:
        with pytest.raises(RuntimeError, match="liuhen-cases"):
            KeycloakServiceTokens(realms.base, "cases", secret=Secret("wrong")).token(JIANGAN)
        tokens = KeycloakServiceTokens(realms.base, "cases", secret=DEV_SECRET)
        assert tokens.token(JIANGAN)
        with pytest.raises(ValueError):
            tokens.token("../master")


# ------------------------------------------------------------------ real Keycloak ----


@pytest.fixture(scope="module")
def keycloak_url() -> str:
    """The stack's Keycloak; the tests fail (never skip) when it does not answer."""
    url = stack_env()["LIUHEN_KEYCLOAK_URL"].rstrip("/")
    try:
        requests.get(f"{url}/realms/{JIANGAN}", timeout=5).raise_for_status()
    except requests.RequestException as exc:
        pytest.fail(
            f"Keycloak does not answer at {url} (bash deploy/stack/stack.sh up keycloak): {exc}"
        )
    return url


def stack_secret() -> Secret:
    """liuhen-cases' secret in the Keycloak under test (the local stack's by default)."""
    return Secret(stack_env()["LIUHEN_CASES_CLIENT_SECRET"])


def password_grant(url: str, tenant: str, kind: str = "access_token") -> str:
    """`handler1`'s access token (or, with kind="id_token", its OpenID ID token)."""
    resp = requests.post(
        f"{url}/realms/{tenant}/protocol/openid-connect/token",
        timeout=10,
        data={
            "grant_type": "password",
            "client_id": "liuhen-officer",
            "username": OFFICER,
            "password": "pass",
            "scope": "openid",
        },
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()[kind])


@pytest.mark.stack
class TestKeycloak(IdentityContract):
    @pytest.fixture
    def verifier(self, keycloak_url: str) -> KeycloakVerifier:
        return KeycloakVerifier(keycloak_url)

    @pytest.fixture
    def base(self, keycloak_url: str) -> str:
        return keycloak_url

    @pytest.fixture
    def officer_token(self, keycloak_url: str) -> Mint:
        tokens: dict[str, str] = {}
        return lambda t: tokens.setdefault(t, password_grant(keycloak_url, t))

    @pytest.fixture
    def service_token(self, keycloak_url: str) -> Mint:
        return KeycloakServiceTokens(keycloak_url, "cases", secret=stack_secret()).token

    @pytest.fixture
    def expired_token(self, officer_token: Mint, monkeypatch: pytest.MonkeyPatch) -> str:
        """A token Keycloak signed, checked on a clock moved past its `exp` (PyJWT's
        clock: the realm's tokens live 300 s, too long to wait for in a test)."""
        token = officer_token(JIANGAN)
        later = datetime.fromtimestamp(unverified(token)[1]["exp"] + 1, UTC)

        class Later(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return later

        monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
        return token

    @pytest.fixture
    def wrong_audience_tokens(self, keycloak_url: str) -> list[str]:
        """The ID token the realm signs beside the access token: `aud` is the client
        (`liuhen-officer`), the audience mapper adds `liuhen` to access tokens only."""
        return [password_grant(keycloak_url, JIANGAN, kind="id_token")]

    @pytest.fixture
    def issuer_test_key(self) -> rsa.RSAPrivateKey:
        return new_key()  # the issuer is refused before any key is looked at
