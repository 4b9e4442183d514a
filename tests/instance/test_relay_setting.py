"""Whether a territory relays (a circle does): set with `maillage territory set --relay` or
the administrator's profile page, off by default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.cli import main
from tests.conftest import Instance
from tests.instance.test_admin import get
from tests.instance.test_editor import sign_in_editor
from tests.instance.test_territory_profile import save_profile

RELAYS = "SELECT relays FROM actors WHERE role = 'territory'"


def flags(rows: list[Any]) -> list[bool]:
    return [row["relays"] for row in rows]


async def test_a_territory_does_not_relay_until_its_administrator_says_so(brest: Instance) -> None:
    assert flags(await brest.sql(RELAYS)) == [False]
    await sign_in_editor(brest, role="admin")
    assert 'name="relays"' in (await get(brest, "/admin/territory")).text
    response = await save_profile(brest, relays="1")
    assert getattr(response, "status_code", None) == 303
    assert flags(await brest.sql(RELAYS)) == [True]
    assert 'name="relays" value="1" checked' in (await get(brest, "/admin/territory")).text
    await save_profile(brest)  # the box left unticked
    assert flags(await brest.sql(RELAYS)) == [False]


def test_territory_set_relay_and_no_relay(
    monkeypatch: pytest.MonkeyPatch, make_db_sync: Callable[[], str],
    run_sql: Callable[..., list[Any]],
) -> None:
    database = make_db_sync()
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("MAILLAGE_DEV", "1")
    monkeypatch.setenv("MAILLAGE_DOMAIN", "cercle.example")
    assert main(["territory", "set", "--slug", "cercle", "--name", "Cercle", "--relay"]) == 0
    assert flags(run_sql(database, RELAYS)) == [True]
    assert main(["territory", "set", "--slug", "cercle", "--no-relay"]) == 0
    assert flags(run_sql(database, RELAYS)) == [False]
    assert main(["territory", "set", "--slug", "cercle", "--name", "Le Cercle"]) == 0
    assert flags(run_sql(database, RELAYS)) == [False]
