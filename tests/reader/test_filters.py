"""The feed's filters through `/feed`: every combination keeps exactly the right items, bad
parameters get a 400 page naming them, text search ignores accents and marks what matched."""

from __future__ import annotations

import asyncio
import html
import itertools
import math
import re

import pytest

from tests.conftest import Instance
from tests.reader.seed import BREST_XY, MARSEILLE, QUIMPER, Item, seed, titles

BREST_HANDLE = "brest@brest.example"


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(
        (lo2 - lo1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def oracle(
    items: list[Item], kind: str | None, themes: tuple[str, ...], territory: str | None,
    status: str | None, near: tuple[float, float, float] | None,
) -> list[str]:
    """What the feed must list, newest first, computed without SQL."""
    kept = []
    for item in sorted(items, key=lambda i: i.published, reverse=True):
        actor = {"brest": BREST_HANDLE, MARSEILLE: MARSEILLE, QUIMPER: "quimper@quimper.example"}
        if kind and item.kind != kind:
            continue
        if themes and not set(themes) & set(item.themes):
            continue
        if territory and actor[item.actor] != territory:
            continue
        if status and (item.kind != "event" or (item.status or "confirmed") != status):
            continue
        if near and (item.where is None or distance_km(near[:2], item.where) > near[2]):
            continue
        kept.append(item.title)
    return kept


async def feed_titles(instance: Instance, params: list[tuple[str, str]]) -> list[str]:
    response = await instance.client.get("/feed", params=params)
    assert response.status_code == 200, (params, response.text[:500])
    return [html.unescape(t) for t in titles(response.text)]


async def test_every_combination_of_filters_lists_exactly_its_items(brest: Instance) -> None:
    items = await seed(brest)
    kinds = [None, "event", "initiative"]
    theme_sets: list[tuple[str, ...]] = [(), ("alimentation-agriculture",), ("sante", "education")]
    territories = [None, BREST_HANDLE, MARSEILLE, "quimper@quimper.example"]
    statuses = [None, "confirmed", "tentative", "cancelled"]
    nears = [None, (*BREST_XY, 100.0), (*BREST_XY, 10.0)]
    checked = 0
    for kind, chosen, territory, status, near in itertools.product(
        kinds, theme_sets, territories, statuses, nears
    ):
        params: list[tuple[str, str]] = []
        if kind:
            params.append(("type", kind))
        params += [("theme", t) for t in chosen]
        if territory:
            params.append(("territory", territory))
        if status:
            params.append(("status", status))
        if near:
            params += [("near", f"{near[0]},{near[1]}"), ("radius", f"{near[2]:g}")]
        want = oracle(items, kind, chosen, territory, status, near)
        assert await feed_titles(brest, params) == want, params
        checked += 1
    assert checked == 432


async def test_dates_and_map_area_narrow_to_events_and_places(brest: Instance) -> None:
    items = await seed(brest)
    # The New Year's Eve event is at 23:30 in Paris on the 31st: the 31st keeps it.
    assert await feed_titles(brest, [("from", "2026-12-31"), ("to", "2026-12-31")]) == [
        "Réveillon solidaire"]
    assert await feed_titles(brest, [("from", "2027-01-01")]) == []
    finistere = [("bbox", "-5.2,47.5,-3.5,48.8")]
    want = [i.title for i in sorted(items, key=lambda i: i.published, reverse=True)
            if i.where and i.where[1] < 0]
    assert await feed_titles(brest, finistere) == want


async def test_text_search_ignores_accents_and_marks_the_matched_words(brest: Instance) -> None:
    await seed(brest)
    response = await brest.client.get("/feed", params={"q": "ecole"})
    assert [html.unescape(t) for t in titles(response.text)] == [
        "École du numérique", "Jardins partagés de Kerinou"]
    assert "<mark>École</mark> du numérique" in response.text
    assert "près de l&#39;<mark>école</mark>" in response.text
    accented = await feed_titles(brest, [("q", "marché PAYSANS")])
    assert accented == ["Marché paysan"]
    assert await feed_titles(brest, [("q", "communs -numériques")]) == [
        "Exposition des communs"]


@pytest.mark.parametrize("q", ['"', "'; DROP TABLE objects; --", "a & | ! ( ) :* <->", "-",
                               'or or "" -', "\\", "%", "\u0000x"])
async def test_search_operators_and_quotes_never_fail(brest: Instance, q: str) -> None:
    await seed(brest)
    response = await brest.client.get("/feed", params={"q": q})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "name", "words"),
    [
        ({"near": "48.39,-4.49", "radius": "600"}, "radius", "500 km"),
        ({"radius": "10"}, "radius", "near=LAT,LON"),
        ({"near": "95,0"}, "near", "-90"),
        ({"near": "abc"}, "near", "LAT,LON"),
        ({"bbox": "10,0,-10,5"}, "bbox", "OUEST,SUD,EST,NORD"),
        ({"bbox": "1,2,3"}, "bbox", "OUEST,SUD,EST,NORD"),
        ({"bbox": "0,0,200,5"}, "bbox", "180"),
        ({"from": "2026-02-30"}, "from", "n’existe pas"),
        ({"to": "31/12/2026"}, "to", "AAAA-MM-JJ"),
        ({"from": "2026-12-31", "to": "2026-12-01"}, "to", "avant"),
        ({"q": "x" * 10_000}, "q", "trop longue"),
        ({"q": "jardin" * 40}, "q", "200"),
        ({"theme": "astrologie"}, "theme", "thème"),
        ({"territory": "nobody@nowhere.example"}, "territory", "aucun territoire"),
        ({"territory": "not a handle"}, "territory", "nom@domaine"),
        ({"type": "concert"}, "type", "événement"),
        ({"status": "maybe"}, "status", "annulé"),
        ({"after": "yesterday"}, "after", "lien"),
        ({"radius": "nan", "near": "1,1"}, "radius", "48.39"),
        ({"radius": "-3", "near": "1,1"}, "radius", "de 0 à 500"),
    ],
)
async def test_bad_parameters_get_a_400_page_naming_them(
    brest: Instance, params: dict[str, str], name: str, words: str
) -> None:
    response = await brest.client.get("/feed", params=params, headers={"Accept": "text/html"})
    assert response.status_code == 400, response.text[:300]
    message = html.unescape(re.search(r'class="error">(.*?)</p>', response.text, re.S)[1])
    assert f"« {name} »" in message and words.lower() in message.lower(), message
    for path in ("/agenda", "/map", "/embed", "/feed.ics", "/agenda/2026-12"):
        again = await brest.client.get(path, params=params)
        assert again.status_code == 400, path


async def test_a_bad_parameter_is_explained_in_english_too(brest: Instance) -> None:
    response = await brest.client.get(
        "/feed", params={"radius": "900", "near": "1,1", "lang": "en"},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 400
    assert "Parameter “radius”: The radius is at most 500 km." in html.unescape(response.text)
    as_json = await brest.client.get("/feed.json", params={"bbox": "x"})
    assert as_json.status_code == 400 and as_json.json()["parameter"] == "bbox"


async def test_chips_remove_one_filter_each_and_an_empty_result_offers_the_way_back(
    brest: Instance,
) -> None:
    await seed(brest)
    params = [("theme", "sante"), ("theme", "education"), ("near", "48.39,-4.49"),
              ("radius", "100"), ("q", "conférence")]
    page = (await brest.client.get("/feed", params=params)).text
    chips = re.findall(r'data-param="(\w+)">.*?href="([^"]+)"', page, re.S)
    assert [name for name, _ in chips] == ["theme", "theme", "q", "near"]
    links = [html.unescape(link) for _, link in chips]
    assert links[0] == "/feed?theme=education&q=conf%C3%A9rence&near=48.39%2C-4.49&radius=100"
    assert links[3] == "/feed?theme=sante&theme=education&q=conf%C3%A9rence"
    assert titles(page) and "Conf" in titles(page)[0]
    empty = (await brest.client.get("/feed", params=[("type", "initiative"),
                                                     ("status", "cancelled")])).text
    assert "Rien ne correspond à ces filtres." in html.unescape(empty)
    assert 'class="remove-last" href="/feed?type=initiative"' in empty


async def test_counts_per_theme_and_territory_follow_the_filter(brest: Instance) -> None:
    await seed(brest)
    page = html.unescape((await brest.client.get("/feed", params={"type": "event"})).text)
    facets = page[page.index('class="facets"'):]
    counts = dict(re.findall(r'<a href="[^"]+">([^<]+)</a> <span class="n">(\d+)</span>', facets))
    assert counts["Marseille"] == "1" and counts["Quimper"] == "2" and counts["Brest"] == "5"
    assert counts["Santé"] == "2" and counts["Alimentation et agriculture"] == "1"
    narrowed = html.unescape((await brest.client.get(
        "/feed", params={"type": "event", "theme": "sante"})).text)
    facets = narrowed[narrowed.index('class="facets"'):]
    counts = dict(re.findall(r'<a href="[^"]+">([^<]+)</a> <span class="n">(\d+)</span>', facets))
    # theme counts ignore the chosen theme, territory counts follow it
    assert counts["Éducation"] == "1" and counts["Quimper"] == "1" and counts["Brest"] == "1"
    assert "2 résultats" in narrowed


async def test_a_rare_status_and_the_counts_read_through_indexes(brest: Instance) -> None:
    """`status=cancelled` pages through `objects_unconfirmed`, not every event in feed
    order; so do its facet counts, one statement with one read per distinct filter (with a
    theme chosen: the theme counts' read without it, and the others')."""
    from server.read import facets
    from server.read.feed import FeedFilter, build

    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, start_time, status,
                                themes, document, published)
           SELECT 'https://t.example/objects/' || n, 'event', false,
                  'https://t.example/actors/t', 'Objet ' || n, now() + n * interval '1 hour',
                  CASE WHEN n % 500 = 0 THEN 'cancelled' ELSE 'confirmed' END,
                  ARRAY['culture-bibliotheques'], '{}', now() - n * interval '1 minute'
           FROM generate_series(1, 30000) AS n"""
    )
    await brest.sql("ANALYZE objects")
    sql, args = build(FeedFilter(status="cancelled"))
    text = "\n".join(r[0] for r in await brest.sql(f"EXPLAIN {sql}", *args))
    assert "objects_unconfirmed" in text and "Seq Scan" not in text, text
    sql, args = facets.build(FeedFilter(status="cancelled", theme="culture-bibliotheques"))
    text = "\n".join(r[0] for r in await brest.sql(f"EXPLAIN {sql}", *args))
    assert text.count("objects_unconfirmed") == 2 and "Seq Scan" not in text, text
    page = html.unescape((await brest.client.get("/feed?status=cancelled")).text)
    assert "60 résultats" in page


async def test_counts_that_take_too_long_are_given_up_not_waited_for(
    brest: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past their time budget the counts are cancelled in PostgreSQL: the page still lists
    the items and says the counts were not made; within it they are shown."""
    from server.read import facets

    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, themes, document,
                                published)
           SELECT 'https://t.example/objects/' || n, 'initiative', false,
                  'https://t.example/actors/t', 'Objet ' || n, ARRAY['sante'], '{}',
                  now() - n * interval '1 minute'
           FROM generate_series(1, 20000) AS n"""
    )
    monkeypatch.setattr(facets, "BUDGET_MS", 1)
    slow = html.unescape((await brest.client.get("/feed", params={"q": "objet"})).text)
    assert "Trop de résultats pour les compter rapidement" in slow
    assert len(titles(slow)) == 20 and 'class="n"' not in slow
    monkeypatch.setattr(facets, "BUDGET_MS", 10_000)
    counted = html.unescape((await brest.client.get("/feed", params={"q": "objet"})).text)
    assert f"Plus de {facets.BOUND} résultats" in counted and 'class="n"' in counted


async def test_a_busy_pool_gives_the_counts_up_rather_than_waiting_on_itself(
    brest: Instance,
) -> None:
    """The counts run on a second connection: with every other one taken, the page still
    answers at once, its items listed and its counts given up."""
    await seed(brest)
    pool = brest.app.state.pool
    held = [await pool.acquire() for _ in range(pool.get_max_size() - 1)]
    try:
        page = await asyncio.wait_for(brest.client.get("/feed"), timeout=5)
    finally:
        for conn in held:
            await pool.release(conn)
    assert page.status_code == 200 and 'data-counted="0"' in page.text
    assert len(titles(page.text)) == 10
    again = await brest.client.get("/feed")
    assert 'data-counted="0"' not in again.text and 'class="n"' in again.text


async def test_the_older_link_pages_by_keyset_over_everything_once(brest: Instance) -> None:
    await seed(brest)
    await brest.sql(
        """INSERT INTO objects (iri, kind, local, actor_iri, title, document, published)
           SELECT 'https://quimper.example/objects/n' || n, 'initiative', false,
                  'https://quimper.example/actors/quimper', 'Initiative ' || n, '{}',
                  now() - interval '1 day' - n * interval '1 minute'
           FROM generate_series(1, 45) AS n"""
    )
    seen: list[str] = []
    url: str | None = "/feed"
    while url:
        page = (await brest.client.get(url)).text
        seen += titles(page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = html.unescape(found[1]) if found else None
    assert len(seen) == 55 == len(set(seen))


async def test_random_parameters_never_make_a_500(brest: Instance) -> None:
    """Seeded random mixes of valid, broken and hostile values, on every reader route."""
    import random

    await seed(brest)
    rng = random.Random(9)
    names = ["type", "theme", "territory", "q", "from", "to", "near", "radius", "bbox",
             "status", "past", "after", "lang"]
    values = ["event", "initiative", "sante", "education", "brest@brest.example", "x@y",
              "2026-12-31", "2027-13-01", "48.39,-4.49", "-91,0", "10", "500", "501", "0",
              "-4.6,48.3,-4.3,48.5", "1,1,1,1", "cancelled", "1", "123.45", "'", '"', "%00",
              "é" * 50, "-", ":*", "<script>", "nan", "1e308", "", " "]
    paths = ["/feed", "/agenda", "/agenda/2026-12", "/map", "/embed", "/feed.ics",
             "/feed.atom", "/feed.json", "/feed.geojson"]
    for _ in range(150):
        params = [(rng.choice(names), rng.choice(values)) for _ in range(rng.randint(1, 5))]
        path = rng.choice(paths)
        response = await brest.client.get(path, params=params)
        assert response.status_code in (200, 400), (path, params, response.text[:300])
