"""Subscriptions for every filter: .ics read by two parsers, Atom by feedparser, JSON Feed
and GeoJSON against their schemas, and 304 answers for calendars that poll."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import icalendar
import jsonschema
import pytest
import vobject

from server.read import network
from tests.conftest import Instance
from tests.reader.seed import MARSEILLE, seed

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "schemas"


def schema(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((SCHEMAS / name).read_text())


async def test_the_calendar_parses_with_two_parsers_and_says_what_clients_need(
    brest: Instance,
) -> None:
    await seed(brest)
    response = await brest.client.get("/feed.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert "Fête de la musique passée" in events  # the last month stays in the calendar
    assert "Jardins partagés de Kerinou" not in events  # initiatives are not events
    cancelled = events["Conférence santé"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(events["Réunion de quartier"]["status"]) == "TENTATIVE"
    eve = events["Réveillon solidaire"]
    assert eve["uid"] == "https://quimper.example/objects/seed-9"
    assert eve.decoded("dtstart").isoformat() == "2026-12-31T23:30:00+01:00"
    assert eve["dtstart"].params["TZID"] == "Europe/Paris"
    assert [str(c) for c in eve["categories"].cats] == ["Santé", "Culture et bibliothèques"]
    assert eve["url"].startswith("http://brest.example/items/")
    velo = events["Atelier vélo"]
    assert (velo["geo"].latitude, velo["geo"].longitude) == (48.39, -4.49)
    assert str(velo["location"]) == "Maison des associations"
    assert int(velo["sequence"]) == 0 and "dtstamp" in velo
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]

    parsed = vobject.readOne(response.text)
    assert {str(v.summary.value) for v in parsed.vevent_list} == set(events)

    food = await brest.client.get("/feed.ics", params={"theme": "alimentation-agriculture"})
    only = icalendar.Calendar.from_ical(food.content).walk("VEVENT")
    assert [str(e["summary"]) for e in only] == ["Marché paysan"]


async def test_sequence_grows_with_each_update(brest: Instance) -> None:
    await seed(brest)

    async def sequence() -> int:
        cal = icalendar.Calendar.from_ical((await brest.client.get(
            "/feed.ics", params={"q": "vélo"})).content)
        return int(cal.walk("VEVENT")[0]["sequence"])

    assert await sequence() == 0
    await brest.sql("UPDATE objects SET updated = published + interval '10 minutes' "
                    "WHERE title = 'Atelier vélo'")
    first = await sequence()
    await brest.sql("UPDATE objects SET updated = published + interval '2 hours' "
                    "WHERE title = 'Atelier vélo'")
    assert 0 < first < await sequence()


async def test_one_event_has_its_own_ics_to_add_to_a_calendar(brest: Instance) -> None:
    await seed(brest)
    ident = (await brest.sql("SELECT id FROM objects WHERE title = 'Marché paysan'"))[0]["id"]
    response = await brest.client.get(f"/items/{ident}/event.ics")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Marché paysan"]
    initiative = (await brest.sql(
        "SELECT id FROM objects WHERE kind = 'initiative' LIMIT 1"))[0]["id"]
    assert (await brest.client.get(f"/items/{initiative}/event.ics")).status_code == 404


async def test_atom_parses_with_feedparser_for_a_filter(brest: Instance) -> None:
    await seed(brest)
    response = await brest.client.get("/feed.atom", params={"territory": MARSEILLE})
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Marseille — Initiatives et événements"
    assert [e.title for e in parsed.entries] == ["Café des communs numériques", "Marché paysan"]
    assert parsed.entries[0].id == "https://marseille.example/objects/seed-7"
    assert {t.term for t in parsed.entries[0].tags} == {"communs-numeriques", "education"}
    english = feedparser.parse((await brest.client.get(
        "/feed.atom", params={"territory": MARSEILLE, "lang": "en"})).content)
    assert english.feed.title == "Marseille — Initiatives and events"


async def test_json_feed_and_geojson_validate_against_their_schemas(brest: Instance) -> None:
    await seed(brest)
    feed = (await brest.client.get("/feed.json")).json()
    jsonschema.validate(feed, schema("jsonfeed-1.1.schema.json"))
    assert len(feed["items"]) == 10
    eve = next(i for i in feed["items"] if i["title"] == "Réveillon solidaire")
    assert eve["_maillage"]["timezone"] == "Europe/Paris"
    assert eve["_maillage"]["start_time"].startswith("2026-12-31T22:30:00")

    geo = await brest.client.get("/feed.geojson", params={"bbox": "-5.2,47.5,-3.5,48.8"})
    assert geo.headers["content-type"] == "application/geo+json"
    data = geo.json()
    jsonschema.validate(data, schema("geojson-featurecollection.schema.json"))
    titles = sorted(f["properties"]["title"] for f in data["features"])
    assert titles == sorted(["Jardins partagés de Kerinou", "Atelier vélo", "Conférence santé",
                             "Fête de la musique passée", "Exposition des communs",
                             "École du numérique", "Réveillon solidaire"])
    velo = next(f for f in data["features"] if f["properties"]["title"] == "Atelier vélo")
    assert velo["geometry"]["coordinates"] == [-4.49, 48.39]
    props = velo["properties"]
    assert props["timezone"] == "Europe/Paris" and props["kind"] == "event"
    assert props["url"] == f"{brest.settings.base_url}/items/{velo['id']}"
    assert datetime.fromisoformat(props["start_time"]) < datetime.fromisoformat(props["end_time"])
    assert props["themes"] == ["mobilite"] and props["place"] == "Maison des associations"
    assert props["territory"] == "Brest" and props["status"] == "confirmed"


async def test_geojson_text_is_escaped_by_postgresql(brest: Instance) -> None:
    """The FeatureCollection is written as text in SQL: quotes, backslashes, control
    characters and non-Latin letters in a title or place still give valid JSON, intact."""
    title = 'Atelier "réparation" \\ vélo\n\t<script>é 日本'
    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, place_name, latitude,
                                longitude, themes, document)
           VALUES ('https://q.example/o', 'initiative', false, 'https://q.example/a', $1,
                   $1, 48.0, -4.0, ARRAY['sante'], '{}')""", title)
    data = json.loads((await brest.client.get("/feed.geojson")).content)
    jsonschema.validate(data, schema("geojson-featurecollection.schema.json"))
    (feature,) = data["features"]
    assert feature["properties"]["title"] == title == feature["properties"]["place"]
    assert feature["geometry"]["coordinates"] == [-4.0, 48.0]
    assert feature["properties"]["territory"] is None and feature["properties"]["end_time"] is None


async def test_polling_gets_304_until_something_changes(brest: Instance) -> None:
    await seed(brest)
    for path in ("/feed.ics", "/feed.atom", "/feed.json", "/feed.geojson"):
        first = await brest.client.get(path, params={"type": "event"})
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        again = await brest.client.get(path, params={"type": "event"},
                                       headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", path
        since = await brest.client.get(path, params={"type": "event"},
                                       headers={"If-Modified-Since": modified})
        assert since.status_code == 304, path
        other = await brest.client.get(path, params={"type": "initiative"},
                                       headers={"If-None-Match": etag})
        assert other.status_code == 200, path
    await brest.sql("UPDATE objects SET status = 'cancelled', updated = now() "
                    "WHERE title = 'Marché paysan'")
    changed = await brest.client.get("/feed.ics", params={"type": "event"},
                                     headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    await brest.sql("UPDATE objects SET deleted_at = now() WHERE title = 'Atelier vélo'")
    deleted = await brest.client.get("/feed.ics", params={"type": "event"},
                                     headers={"If-None-Match": changed.headers["etag"]})
    assert deleted.status_code == 200 and b"Atelier v" not in deleted.content


async def test_a_poll_answered_304_reads_only_the_validators(
    brest: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A calendar polling every few minutes must not cost a whole export: the ETag comes
    from a narrow query first, and a match answers before the rows and names are read."""
    await seed(brest)
    whole = network.with_names
    calls: list[int] = []

    async def counted(conn: Any, rows: Any) -> list[dict[str, Any]]:
        calls.append(1)
        return await whole(conn, rows)

    monkeypatch.setattr(network, "with_names", counted)
    for path in ("/feed.ics", "/feed.atom", "/feed.json", "/feed.geojson"):
        first = await brest.client.get(path, params={"type": "event"})
        calls.clear()
        again = await brest.client.get(path, params={"type": "event"},
                                       headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and calls == [], path
        stale = await brest.client.get(path, params={"type": "event"},
                                       headers={"If-None-Match": 'W/"old"'})
        assert stale.status_code == 200 and stale.headers["etag"] == first.headers["etag"]


async def test_a_polls_etag_from_sql_is_the_one_the_whole_answer_carries(
    brest: Instance,
) -> None:
    """The `304` path hashes the rows in SQL, the full answer in Python: the same bytes,
    for every export and with edits of every kind (status, revision, deletion)."""
    from datetime import UTC, datetime

    from server.read import exports, subscriptions
    from server.read.feed import FeedFilter

    await seed(brest)
    now = datetime.now(UTC)
    async with brest.app.state.pool.acquire() as conn:
        for change in ("", "UPDATE objects SET status = 'cancelled', updated = now() "
                           "WHERE title = 'Marché paysan'",
                       "UPDATE objects SET deleted_at = now() WHERE title = 'Atelier vélo'"):
            if change:
                await conn.execute(change)
            for kind in ("ics", "atom", "json", "geojson"):
                for f in (FeedFilter(), FeedFilter(kind="event")):
                    rows = await subscriptions.listing(conn, kind, f, now)
                    assert rows, (kind, f)
                    in_python = exports.validators(rows, "salt|fr")
                    in_sql = await subscriptions.validators(conn, kind, f, now, "salt|fr")
                    assert in_sql == in_python, (kind, f, change)


async def test_the_web_pool_plans_each_query_for_its_values(brest: Instance) -> None:
    """Prepared statements switched to a generic plan after 5 runs took 1.6 s instead of
    4 ms at 1M objects (bench part 7): the web pool asks for custom plans."""
    async with brest.app.state.pool.acquire() as conn:
        assert await conn.fetchval("SHOW plan_cache_mode") == "force_custom_plan"


async def test_listing_pages_link_to_every_export_with_their_filters(brest: Instance) -> None:
    await seed(brest)
    for path in ("/feed", "/agenda", "/map", "/agenda/2026-12"):
        page = (await brest.client.get(path, params={"theme": "sante"})).text
        for kind, media in (("ics", "text/calendar"), ("atom", "application/atom+xml"),
                            ("json", "application/feed+json"),
                            ("geojson", "application/geo+json")):
            assert (f'<link rel="alternate" type="{media}"' in page
                    and f'/feed.{kind}?theme=sante"' in page), (path, kind)
        assert 'href="webcal://brest.example/feed.ics?theme=sante"' in page


async def test_an_event_page_offers_to_add_it_to_my_calendar(brest: Instance) -> None:
    await seed(brest)
    ident = (await brest.sql("SELECT id FROM objects WHERE title = 'Marché paysan'"))[0]["id"]
    page = (await brest.client.get(f"/items/{ident}")).text
    assert f'href="/items/{ident}/event.ics" download>Ajouter à mon agenda</a>' in page
