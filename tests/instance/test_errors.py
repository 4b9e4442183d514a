"""Errors answer a short JSON message (or a page for a browser), never a stack trace."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from tests.conftest import Instance
from tests.instance.test_admin import BROWSER


async def test_unknown_path_is_a_json_404(brest: Instance) -> None:
    response = await brest.client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}


async def test_wrong_method_is_a_405(brest: Instance) -> None:
    response = await brest.client.delete("/actors/brest")
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed."}


async def test_a_crash_answers_500_without_a_trace(brest: Instance) -> None:
    await brest.sql("ALTER TABLE actors RENAME TO actors_gone")
    response = await brest.client.get(
        "/actors/brest", headers={"Accept": "application/activity+json"}
    )
    assert response.status_code == 500
    assert "Traceback" not in response.text
    assert "actors" not in response.text  # no SQL detail leaks
    assert response.json()["error"].startswith("internal error")


async def test_healthz_checks_the_database(brest: Instance) -> None:
    response = await brest.client.get("/healthz")
    assert response.json() == {"status": "ok"}


@asynccontextmanager
async def database_down(instance: Instance, hanging: bool = False) -> AsyncIterator[None]:
    """The instance's pool pointed at a port where no PostgreSQL listens (refused, as while
    the server is stopped), or, `hanging`, where connections are taken but never answered
    (the pool's connect timeout ends the wait); the real pool is put back afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        if hanging:
            probe.listen(8)
        port = probe.getsockname()[1]
        if not hanging:
            probe.close()
        dead = await asyncpg.create_pool(
            f"postgresql://maillage@127.0.0.1:{port}/maillage", min_size=0, max_size=1,
            timeout=0.5,
        )
        app, ctx = instance.app, instance.ctx
        real = app.state.pool
        app.state.pool = ctx.pool = dead
        try:
            yield
        finally:
            app.state.pool = ctx.pool = real
            await dead.close()


async def test_while_the_database_is_down_health_pages_and_inbox_answer_503(
    brest: Instance,
) -> None:
    async with database_down(brest):
        health = await brest.client.get("/healthz")
        page = await brest.client.get("/", headers={"Accept": BROWSER})
        inbox = await brest.client.post(
            "/inbox",
            json={"id": "https://m.example/1", "type": "Follow", "actor": "https://m.example/a"},
            headers={"Content-Type": "application/activity+json"},
        )
    for response in (health, page, inbox):
        assert response.status_code == 503, (response.request.url.path, response.text)
        assert response.headers["retry-after"].isdigit()
        assert "Traceback" not in response.text
    assert health.json() == {"error": "The service is briefly unavailable. Try again in a moment."}
    assert "Le service est momentanément indisponible." in page.text
    assert (await brest.client.get("/healthz")).json() == {"status": "ok"}


async def test_a_database_that_does_not_answer_is_a_503_too(brest: Instance) -> None:
    async with database_down(brest, hanging=True):
        health = await brest.client.get("/healthz")
    assert health.status_code == 503
    assert health.headers["retry-after"].isdigit()
