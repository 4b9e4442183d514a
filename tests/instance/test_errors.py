"""Errors answer a short JSON message (or a page for a browser), never a stack trace."""

from __future__ import annotations

from tests.conftest import Instance


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
