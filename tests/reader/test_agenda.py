"""The agenda by day, past events, the month grid in each event's own zone, and the other
reader pages (map, territories, embed)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from server.read.agenda import month_grid
from tests.conftest import Instance
from tests.reader.seed import seed, titles


async def test_agenda_lists_events_not_ended_by_start_with_running_ones_first(
    brest: Instance,
) -> None:
    await seed(brest)
    page = html.unescape((await brest.client.get("/agenda")).text)
    assert titles(page) == ["Exposition des communs", "Marché paysan", "Atelier vélo",
                            "Réunion de quartier", "École du numérique", "Conférence santé",
                            "Réveillon solidaire"]
    assert re.search(r"<del>Conférence santé</del></a>\s*<strong class=\"badge cancelled\">"
                     r"Annulé</strong>", page)
    assert '<em class="badge tentative">À confirmer</em>' in page
    assert "31 décembre 2026" in page  # the day heading, in French words


async def test_past_events_come_newest_first(brest: Instance) -> None:
    await seed(brest)
    page = html.unescape((await brest.client.get("/agenda", params={"past": "1"})).text)
    assert titles(page) == ["Fête de la musique passée"]


async def test_later_links_page_the_agenda_by_keyset(brest: Instance) -> None:
    await seed(brest)
    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, start_time, timezone,
                                document)
           SELECT 'https://quimper.example/objects/e' || n, 'event', false,
                  'https://quimper.example/actors/quimper', 'Permanence ' || n,
                  date_trunc('hour', now()) + interval '30 days' + (n / 3) * interval '1 day',
                  'Europe/Paris', '{}'
           FROM generate_series(1, 70) AS n"""
    )
    seen: list[str] = []
    url: str | None = "/agenda"
    pages = 0
    while url:
        page = (await brest.client.get(url)).text
        seen += titles(page)
        pages += 1
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = html.unescape(found[1]) if found else None
    assert len(seen) == 77 == len(set(seen)) and pages == 3


async def test_a_month_shows_each_event_on_its_own_local_day(brest: Instance) -> None:
    await seed(brest)
    page = html.unescape((await brest.client.get("/agenda/2026-12")).text)
    assert "décembre 2026" in page
    cell = re.search(r'data-day="2026-12-31">(.*?)</td>', page, re.S)
    assert cell and "Réveillon solidaire" in cell[1] and "23:30" in cell[1]
    assert "Réveillon" not in re.search(r'data-day="2026-12-30">(.*?)</td>', page, re.S)[1]
    assert 'href="/agenda/2026-11"' in page and 'href="/agenda/2027-01"' in page
    english = (await brest.client.get("/agenda/2026-12", params={"lang": "en"})).text
    assert "December 2026" in english and "11:30" in english  # 23:30 in English


def test_month_grid_uses_the_events_zone_not_utc() -> None:
    row = {"start_time": datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "end_time": None,
           "timezone": "America/Martinique"}  # 19:30 on the 31st there
    late = {"start_time": datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "end_time": None,
            "timezone": "Europe/Paris"}  # 00:30 on 1 January in Paris
    weeks = month_grid(2026, 12, [row, late], ZoneInfo("Europe/Paris"))
    days = {c.day.day: c.items for week in weeks for c in week if c.day}
    assert days[31] == [row] and all(late not in items for items in days.values())
    assert weeks[0][0].day is None  # December 2026 starts on a Tuesday
    january = month_grid(2027, 1, [late], ZoneInfo("Europe/Paris"))
    assert [c.items for c in january[0] if c.day and c.day.day == 1] == [[late]]


async def test_a_busy_day_lists_a_few_events_and_links_to_its_agenda(brest: Instance) -> None:
    """Nine events on 12 March 2027 (Paris): the cell lists four, in order, and links to the
    day's agenda with the month's filters; a quiet day has no link."""
    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, start_time, timezone,
                                themes, document)
           SELECT 'https://quimper.example/objects/m' || n, 'event', false,
                  'https://quimper.example/actors/quimper', 'Permanence ' || n,
                  timestamptz '2027-03-12 08:00+01' + n * interval '1 hour',
                  'Europe/Paris', ARRAY['culture-bibliotheques'], '{}'
           FROM generate_series(1, 9) AS n"""
    )
    month = await brest.client.get("/agenda/2027-03?theme=culture-bibliotheques")
    page = html.unescape(month.text)
    cell = re.search(r'data-day="2027-03-12">(.*?)</td>', page, re.S)[1]
    assert re.findall(r"Permanence \d", cell) == [f"Permanence {n}" for n in (1, 2, 3, 4)]
    assert 'href="/agenda?theme=culture-bibliotheques&from=2027-03-12&to=2027-03-12"' in cell
    assert "Autres événements ce jour" in cell
    quiet = re.search(r'data-day="2027-03-13">(.*?)</td>', page, re.S)[1]
    assert "Autres" not in quiet
    day = html.unescape((await brest.client.get(
        "/agenda?theme=culture-bibliotheques&from=2027-03-12&to=2027-03-12")).text)
    assert titles(day) == [f"Permanence {n}" for n in range(1, 10)]


async def test_a_long_event_shows_on_every_day_it_covers(brest: Instance) -> None:
    """A festival from 30 April to 2 May (Paris) is on 1 and 2 May in May's grid, though it
    began in April; an evening from 22:00 to 02:00 stays on the day it starts."""
    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, start_time, end_time,
                                timezone, document)
           VALUES ('https://quimper.example/objects/f', 'event', false,
                   'https://quimper.example/actors/quimper', 'Festival des communs',
                   '2027-04-30 10:00+02', '2027-05-02 18:00+02', 'Europe/Paris', '{}'),
                  ('https://quimper.example/objects/b', 'event', false,
                   'https://quimper.example/actors/quimper', 'Bal du samedi',
                   '2027-05-08 22:00+02', '2027-05-09 02:00+02', 'Europe/Paris', '{}')"""
    )
    page = html.unescape((await brest.client.get("/agenda/2027-05")).text)

    def cell(day: str) -> str:
        return re.search(rf'data-day="2027-05-{day}">(.*?)</td>', page, re.S)[1]

    assert "Festival des communs" in cell("01") and "Festival des communs" in cell("02")
    assert "Festival des communs" not in cell("03")
    assert "Bal du samedi" in cell("08") and "Bal du samedi" not in cell("09")


async def test_the_stored_wall_clock_is_the_events_own(brest: Instance) -> None:
    """`start_local` (the month's per-day index) is the start in the event's zone; a zone
    PostgreSQL does not know, or none, falls back to the instance's (Europe/Paris), and an
    Update of the zone moves it."""
    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, start_time, timezone,
                                document)
           VALUES ('https://q.example/1', 'event', false, 'https://q.example/a', 'Martinique',
                   '2026-12-31 23:30+00', 'America/Martinique', '{}'),
                  ('https://q.example/2', 'event', false, 'https://q.example/a', 'Inconnue',
                   '2026-12-31 23:30+00', 'Mars/Olympus_Mons', '{}'),
                  ('https://q.example/3', 'event', false, 'https://q.example/a', 'Sans zone',
                   '2026-12-31 23:30+00', NULL, '{}')"""
    )
    rows = await brest.sql("SELECT title, start_local::text AS local FROM objects "
                           "WHERE iri LIKE 'https://q.example/%' ORDER BY iri")
    assert [(r["title"], r["local"]) for r in rows] == [
        ("Martinique", "2026-12-31 19:30:00"), ("Inconnue", "2027-01-01 00:30:00"),
        ("Sans zone", "2027-01-01 00:30:00")]
    await brest.sql("UPDATE objects SET timezone = 'Indian/Reunion' WHERE iri = 'https://q.example/3'")
    moved = await brest.sql("SELECT start_local::text AS local FROM objects "
                            "WHERE iri = 'https://q.example/3'")
    assert moved[0]["local"] == "2027-01-01 03:30:00"


async def test_a_bad_month_is_a_400(brest: Instance) -> None:
    for month in ("2026-13", "26-12", "december", "2026-00"):
        response = await brest.client.get(f"/agenda/{month}", headers={"Accept": "text/html"})
        assert response.status_code == 400, month
        assert "AAAA-MM" in html.unescape(response.text)


async def test_the_map_page_lists_without_script_and_serves_leaflet_from_the_package(
    brest: Instance,
) -> None:
    await seed(brest)
    response = await brest.client.get("/map", params={"theme": "education"})
    page = html.unescape(response.text)
    assert titles(page) == ["École du numérique", "Café des communs numériques"]
    assert 'data-geojson="http://brest.example/feed.geojson?theme=education"' in page
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    assert "<script>" not in page and 'src="/static/map.js"' in page
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    for asset in ("/vendor/leaflet/leaflet.js", "/vendor/leaflet/leaflet.css",
                  "/vendor/markercluster/leaflet.markercluster.js",
                  "/vendor/markercluster/MarkerCluster.Default.css", "/static/map.js"):
        assert (await brest.client.get(asset)).status_code == 200, asset
    assert "script-src 'none'" in (await brest.client.get("/feed")).headers[
        "content-security-policy"]


async def test_territories_lists_the_network_with_counts_and_links(brest: Instance) -> None:
    await seed(brest)
    page = html.unescape((await brest.client.get("/territories")).text)
    assert "Marseille" in page and "Quimper" in page
    quimper = page[page.index("@quimper@quimper.example"):]
    assert "Suivi par cette instance · Suit cette instance" in quimper[:400]
    assert "2 publications" in quimper[:800]
    assert 'href="/feed?territory=https%3A%2F%2Fmarseille.example%2Factors%2Fmarseille"' in page
    assert 'action="/admin/follow"' not in page  # only administrators see the follow form
    geo = (await brest.client.get("/territories.geojson")).json()
    assert {f["properties"]["title"] for f in geo["features"]} == {"Brest", "Marseille",
                                                                  "Quimper"}


async def test_embed_is_a_framable_compact_agenda(brest: Instance) -> None:
    await seed(brest)
    response = await brest.client.get("/embed", params={"theme": "alimentation-agriculture"})
    page = html.unescape(response.text)
    assert titles(page) == ["Marché paysan"]
    assert 'class="site"' not in page  # no site header or footer
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers
    assert (await brest.client.get("/feed")).headers["x-frame-options"] == "DENY"


async def test_past_events_keep_the_chosen_dates(brest: Instance) -> None:
    await seed(brest)
    recent = await brest.client.get("/agenda", params={"past": "1", "from": "2020-01-01"})
    assert titles(html.unescape(recent.text)) == ["Fête de la musique passée"]
    older = await brest.client.get("/agenda", params={"past": "1", "to": "2020-01-01"})
    assert titles(older.text) == []


async def test_the_agenda_and_month_queries_read_through_indexes(brest: Instance) -> None:
    """No sequential scan: running events come from `objects_running`, upcoming ones from
    `objects_upcoming`, whatever the table holds."""
    from server.read.agenda import build_month, build_range, build_upcoming
    from server.read.feed import FeedFilter

    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, start_time, end_time,
                                document, published)
           SELECT 'https://t.example/objects/' || n, CASE WHEN n % 5 = 0 THEN 'initiative'
                  ELSE 'event' END, false, 'https://t.example/actors/t', 'Objet ' || n,
                  now() + (n - 20000) * interval '1 hour',
                  now() + (n - 20000) * interval '1 hour' + interval '2 hours', '{}',
                  now() - n * interval '1 minute'
           FROM generate_series(1, 30000) AS n"""
    )
    await brest.sql("ANALYZE objects")
    now = datetime.now(UTC)
    for sql, args in (build_upcoming(FeedFilter(), now, None, 30),
                      build_range(FeedFilter(), now, now.replace(year=now.year + 1), 2000)):
        plan = await brest.sql(f"EXPLAIN {sql}", *args)
        text = "\n".join(r[0] for r in plan)
        assert "Seq Scan" not in text, text
        assert "objects_running" in text, text
    first = now.date().replace(day=1)
    sql, args = build_month(FeedFilter(), first, first.replace(year=first.year + 1))
    text = "\n".join(r[0] for r in await brest.sql(f"EXPLAIN {sql}", *args))
    assert "Seq Scan on objects" not in text, text
    assert "objects_local_day" in text and "objects_long" in text, text


async def test_the_language_switch_keeps_the_filters(brest: Instance) -> None:
    await seed(brest)
    page = (await brest.client.get("/feed", params=[("theme", "sante"), ("q", "réveillon")])).text
    assert 'href="?theme=sante&amp;q=r%C3%A9veillon&amp;lang=en" hreflang="en"' in page
    english = await brest.client.get("/feed?theme=sante&q=r%C3%A9veillon&lang=en")
    assert titles(html.unescape(english.text)) == ["Réveillon solidaire"]
    assert "Initiatives and events" in english.text


async def test_an_event_page_shows_its_place_on_a_small_map(brest: Instance) -> None:
    await seed(brest)
    rows = await brest.sql("SELECT id, title FROM objects WHERE title IN "
                           "('Atelier vélo', 'Réunion de quartier')")
    ids = {r["title"]: r["id"] for r in rows}
    placed = await brest.client.get(f"/items/{ids['Atelier vélo']}")
    assert 'data-point="48.39,-4.49"' in placed.text
    assert 'src="/static/map.js"' in placed.text and "<script>" not in placed.text
    assert "script-src 'self'" in placed.headers["content-security-policy"]
    nowhere = await brest.client.get(f"/items/{ids['Réunion de quartier']}")
    assert "data-point" not in nowhere.text
    assert "script-src 'none'" in nowhere.headers["content-security-policy"]


async def test_the_territory_page_links_to_its_own_items_and_its_network(
    brest: Instance,
) -> None:
    page = (await brest.client.get("/@brest")).text
    assert 'href="/feed?territory=http%3A//brest.example/actors/brest"' in page
    assert 'href="/agenda"' in page and 'href="/map"' in page


async def test_a_circles_home_page_is_its_feed(brest: Instance) -> None:
    assert (await brest.client.get("/")).status_code == 200  # a territory: its own page
    await brest.sql("UPDATE actors SET relays = true WHERE role = 'territory'")
    home = await brest.client.get("/", headers={"Accept": "text/html"})
    assert home.status_code == 303 and home.headers["location"] == "/feed"
