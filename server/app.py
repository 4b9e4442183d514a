"""The Starlette application: wiring at start-up, routes, and errors without stack traces."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.accounts.auth import LoginThrottle
from server.accounts.signed_in import SignedInMiddleware
from server.context import Context, new_http_client
from server.http.body import BodyLimitMiddleware, default_limits
from server.http.responses import build_environments, error_response, json_error
from server.http.security import SecurityHeadersMiddleware, headers_for
from server.i18n import N_
from server.receive.remote import KeyCache
from server.routes.actors import routes as actor_routes
from server.routes.admin import routes as admin_routes
from server.routes.api import routes as api_routes
from server.routes.discovery import routes as discovery_routes
from server.routes.editor import routes as editor_routes
from server.routes.imports import routes as import_routes
from server.routes.inbox import routes as inbox_routes
from server.routes.invitations import routes as invitation_routes
from server.routes.media import routes as media_routes
from server.routes.objects import routes as object_routes
from server.routes.reader import routes as reader_routes
from server.routes.subscriptions import routes as subscription_routes
from server.routes.territory_profile import routes as territory_profile_routes
from server.runtime import prepare_database
from server.settings import Settings
from server.store import db

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


async def healthz(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
    return JSONResponse({"status": "ok"})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: N_("Not found."), 405: N_("Method not allowed.")}
    return error_response(request, exc.status_code, messages.get(exc.status_code, exc.detail))


RETRY_AFTER_SECONDS = 30
UNAVAILABLE = N_("The service is briefly unavailable. Try again in a moment.")
DATABASE_UNREACHABLE: tuple[type[Exception], ...] = (
    OSError,  # refused or reset connections, and TimeoutError (a pool that cannot connect)
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
    asyncpg.exceptions.TooManyConnectionsError,
)
"""Errors that mean PostgreSQL cannot be reached now, not that a request is wrong."""


async def unavailable(request: Request, exc: Exception) -> Response:
    """503 with `Retry-After` while the database is down: peers retry their deliveries, and
    browsers get a page saying so, instead of a 500."""
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    response = error_response(request, 503, UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    response = json_error(500, "internal error; the administrator can read the details in the logs")
    # sent outside the middleware stack, so the security headers are added here
    response.headers.update(headers_for(request.app.state.settings.dev).for_path(request.url.path))
    return response


def create_app(
    settings: Settings,
    dsn: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """`dsn` overrides the settings' database and `transport` the outgoing HTTP transport
    (tests hand in a per-test database and a transport routing to in-process instances)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        resolved = dsn or db.resolve_dsn(settings)
        await prepare_database(settings, resolved)
        app.state.pool = await db.create_pool(resolved, server_settings={
            **db.CUSTOM_PLANS, **db.wall_clock_zone(settings.timezone)})
        http = new_http_client(transport, dev=settings.dev)
        app.state.ctx = Context(settings, app.state.pool, http)
        app.state.keys = KeyCache(app.state.ctx)
        app.state.blocks = app.state.ctx.blocks
        try:
            yield
        finally:
            await app.state.ctx.http.aclose()
            await app.state.pool.close()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            *discovery_routes,
            *actor_routes,
            *admin_routes,
            *inbox_routes,
            *import_routes,
            *territory_profile_routes,
            *editor_routes,
            *media_routes,
            *invitation_routes,
            *api_routes,
            *object_routes,
            *reader_routes,
            *subscription_routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware, headers=headers_for(settings.dev)),
            Middleware(BodyLimitMiddleware, limits=default_limits(settings.max_body_bytes)),
            Middleware(SignedInMiddleware),
        ],
        exception_handlers={
            HTTPException: http_error,
            **{kind: unavailable for kind in DATABASE_UNREACHABLE},
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.jinja = build_environments()
    app.state.login_throttle = LoginThrottle()
    return app
