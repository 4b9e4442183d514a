"""Event dates outside 1970–2200 get a 400 with a reason from the API and the forms, never a 500."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from tests.conftest import Instance, load_fixture
from tests.federated.test_objects import followed_fake, wrap_create
from tests.instance.test_admin import csrf_of, get
from tests.instance.test_api import EVENT, bearer, cli_token
from tests.instance.test_editor import post_form, sign_in_editor
from tests.network import Network

OUT_OF_RANGE: list[tuple[dict[str, Any], str]] = [
    ({"start": "0001-01-01T00:00:00Z", "end": "0001-01-01T02:00:00Z"}, "start"),
    ({"end": "9999-12-31T23:30Z"}, "end"),
    ({"start": "0001-01-01T10:00", "end": "0001-01-01T12:00"}, "start"),
]


@pytest.mark.parametrize(("changes", "field"), OUT_OF_RANGE)
async def test_api_refuses_event_dates_out_of_range(
    brest: Instance, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], field: str
) -> None:
    token = await cli_token(brest, capsys)
    response = await brest.client.post(
        "/api/v1/events", json={**EVENT, **changes}, headers=bearer(token)
    )
    assert response.status_code == 400, response.text
    assert f"{field}: must be between 1970 and 2200" in response.json()["errors"]
    assert await brest.sql("SELECT * FROM objects") == []


async def test_event_form_refuses_a_year_one_start(brest: Instance) -> None:
    await sign_in_editor(brest)
    form = await get(brest, "/edit/events/new")
    response = await post_form(
        brest,
        "/edit/events/new",
        {
            "csrf": csrf_of(form),
            "title": "Atelier hors du temps",
            "start": "0001-01-01T10:00",
            "end": "0001-01-01T12:00",
            "timezone": "Europe/Paris",
            "status": "confirmed",
            "image_alt": "",
        },
    )
    assert response.status_code == 400
    assert "1970" in response.text and "2200" in response.text
    assert await brest.sql("SELECT * FROM objects") == []


async def test_remote_event_from_year_one_is_dropped_with_a_log(
    brest: Instance, network: Network, caplog: pytest.LogCaptureFixture
) -> None:
    fake = await followed_fake(brest, network, "rendezvous.nomagic.uk", "devon")
    event = copy.deepcopy(load_fixture("mobilizon/event.json"))
    event.update(attributedTo=fake.actor_id, startTime="0001-01-01T00:00:00Z")
    del event["endTime"]
    response = await fake.send(wrap_create(fake, event), "http://brest.example/inbox")
    assert response.status_code == 202
    with caplog.at_level(logging.INFO):
        await brest.run_worker()
    assert await brest.sql("SELECT * FROM objects") == []
    assert any("startTime: must be between 1970 and 2200" in r.message for r in caplog.records)
    assert (await brest.client.get("/")).status_code == 200
