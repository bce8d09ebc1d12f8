"""The console as an ASGI application: routes, signed-cookie sessions, the services'
channels for its lifetime, and a health endpoint for the probes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from liuhen.console import (
    cases,
    documents,
    entrustments,
    intake_documents,
    intakes,
    login,
    messages,
    playback,
    recordings,
    reports,
    sending,
    upload,
    worklist,
)
from liuhen.console.backend import Backend
from liuhen.console.settings import ConsoleSettings

SESSION_COOKIE = "liuhen_console"


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(settings: ConsoleSettings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.backend = Backend(settings.address)
        try:
            yield
        finally:
            await app.state.backend.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Mount(
                "/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"
            ),
            *login.ROUTES,
            *worklist.ROUTES,
            *intake_documents.ROUTES,
            *intakes.ROUTES,
            *messages.ROUTES,
            *reports.ROUTES,
            *playback.ROUTES,
            *recordings.ROUTES,
            *sending.ROUTES,
            *entrustments.ROUTES,
            *documents.ROUTES,
            *cases.ROUTES,
            *upload.ROUTES,
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=settings.session_secret,
                session_cookie=SESSION_COOKIE,
                max_age=settings.session_max_age_s,
                same_site="lax",  # a form posted from another site carries no session
                https_only=settings.secure_cookies,
            )
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Imported here: Authlib warns at import about its httpx module (it still uses it).
    from authlib.integrations.starlette_client import OAuth

    app.state.oauth = OAuth()
    return app
