"""The Starlette application: wiring at start-up, routes, and errors without stack traces."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.accounts.auth import LoginThrottle
from server.context import Context, new_http_client
from server.http.responses import N_, build_environments, error_response, json_error
from server.receive.inbox import BlockList
from server.receive.inbox import routes as inbox_routes
from server.receive.remote import KeyCache
from server.routes.actors import routes as actor_routes
from server.routes.admin import routes as admin_routes
from server.routes.api import routes as api_routes
from server.routes.discovery import routes as discovery_routes
from server.routes.editor import routes as editor_routes
from server.routes.objects import routes as object_routes
from server.settings import Settings
from server.store import actors as store
from server.store import db
from server.store.migrate import apply_migrations

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


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return json_error(500, "internal error; the administrator can read the details in the logs")


async def prepare_database(settings: Settings, dsn: str) -> None:
    """Migrate and create the instance actor: done by every process that starts."""
    pool = await db.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn)
            await store.ensure_instance_actor(conn, settings.base_url, settings.domain)
    finally:
        await pool.close()


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
        app.state.pool = await db.create_pool(resolved)
        app.state.ctx = Context(settings, app.state.pool, new_http_client(transport))
        app.state.keys = KeyCache(app.state.ctx)
        app.state.blocks = BlockList()
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
            *editor_routes,
            *api_routes,
            *object_routes,
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.jinja = build_environments()
    app.state.login_throttle = LoginThrottle()
    return app
