"""Sign-in and sign-out. On the stack: the tenant realm's own Keycloak login through
Authlib (OpenID Connect authorization code with PKCE, the public officer client). On
the embedded default: a local form that picks a tenant and a test user, whose token the
embedded issuer mints (liuhen/platform/auth.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from liuhen.cli.tokens import officer_token, role_of
from liuhen.console import session
from liuhen.console.settings import OFFICER_CLIENT, ConsoleSettings
from liuhen.console.views import render
from liuhen.platform import catalogue
from liuhen.platform.keycloak_realms import OFFICER_ROLES, TWO_USER_ROLES

TEST_USERS = [
    f"{role}{n}" for role in OFFICER_ROLES for n in range(1, 3 if role in TWO_USER_ROLES else 2)
]


def _settings(request: Request) -> ConsoleSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _oauth(request: Request, tenant: str) -> Any:
    """The Authlib client of the tenant's realm (registered on first use)."""
    oauth = request.app.state.oauth
    name = f"realm_{tenant}"
    client = oauth.create_client(name)
    if client is None:
        base = _settings(request).platform.keycloak_url.rstrip("/")
        oauth.register(
            name,
            client_id=OFFICER_CLIENT,
            server_metadata_url=f"{base}/realms/{tenant}/.well-known/openid-configuration",
            client_kwargs={
                "scope": "openid",
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "none",
            },
        )
        client = oauth.create_client(name)
    return client


def _url(request: Request, route: str) -> str:
    public = _settings(request).public_url
    path = request.app.url_path_for(route)
    return f"{public}{path}" if public else str(request.url_for(route))


def _tenant(value: str) -> str:
    if value not in catalogue.sites():
        raise ValueError(value)
    return value


async def login_page(request: Request) -> Response:
    sites = [(s.id, s.zh) for s in catalogue.sites().values()]
    embedded = _settings(request).platform.profile == "embedded"
    return render(
        request, "login.html", sites=sites, users=TEST_USERS, embedded=embedded, officer=None
    )


async def login(request: Request) -> Response:
    form = await request.form()
    try:
        tenant = _tenant(str(form.get("tenant", "")))
    except ValueError:
        return RedirectResponse("/login", status_code=303)
    settings = _settings(request)
    if settings.platform.profile == "embedded":
        username = str(form.get("username", ""))
        if username not in TEST_USERS:
            return RedirectResponse("/login", status_code=303)
        token = officer_token(settings.platform, tenant, username, role_of(username))
        session.sign_in(request, tenant, token)
        return RedirectResponse("/", status_code=303)
    request.session.clear()
    request.session["login_tenant"] = tenant
    client = _oauth(request, tenant)
    redirect: Response = await client.authorize_redirect(
        request, _url(request, "callback"), ui_locales="zh-CN"
    )
    return redirect


async def callback(request: Request) -> Response:
    """Keycloak sends the officer back here with the code; Authlib checks the state,
    exchanges the code with the PKCE verifier and checks the ID token."""
    tenant = request.session.get("login_tenant", "")
    if tenant not in catalogue.sites():
        return RedirectResponse("/login", status_code=303)
    from authlib.integrations.base_client import OAuthError

    try:
        token = await _oauth(request, tenant).authorize_access_token(request)
        session.sign_in(request, tenant, token["access_token"])
    except (OAuthError, ValueError, KeyError) as exc:
        request.session.clear()
        return render(request, "login_failed.html", detail=str(exc), officer=None, status=401)
    return RedirectResponse("/", status_code=303)


async def logout(request: Request) -> Response:
    tenant = request.session.get("tenant", "")
    request.session.clear()
    settings = _settings(request)
    if settings.platform.profile != "stack" or not tenant:
        return RedirectResponse("/login", status_code=303)
    query = urlencode(
        {"client_id": OFFICER_CLIENT, "post_logout_redirect_uri": _url(request, "login_page")}
    )
    base = settings.platform.keycloak_url.rstrip("/")
    return RedirectResponse(
        f"{base}/realms/{tenant}/protocol/openid-connect/logout?{query}", status_code=303
    )


ROUTES = [
    Route("/login", login_page, name="login_page"),
    Route("/login", login, methods=["POST"]),
    Route("/auth/callback", callback, name="callback"),
    Route("/logout", logout, methods=["POST"]),
]
