"""Feed queries: each filter returns what it should, pages by keyset, and uses an index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.read.feed import FeedFilter, build, page
from tests.conftest import Instance

T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def seed(instance: Instance) -> None:
    """60 objects from 3 territories; events every 2 days; a cluster of them in Brest."""
    await instance.sql(
        """
        INSERT INTO objects (iri, kind, local, actor_iri, title, summary, themes, latitude,
                             longitude, start_time, end_time, timezone, status, document,
                             published)
        SELECT 'https://t' || (n % 3) || '.example/objects/' || n,
               CASE WHEN n % 2 = 0 THEN 'event' ELSE 'initiative' END, false,
               'https://t' || (n % 3) || '.example/actors/t',
               CASE WHEN n % 10 = 0 THEN 'Jardins partagés ' || n ELSE 'Atelier ' || n END,
               'Résumé', ARRAY[CASE WHEN n % 4 = 0 THEN 'sante' ELSE 'education' END],
               CASE WHEN n < 10 THEN 48.39 ELSE 43.3 END, CASE WHEN n < 10 THEN -4.49 ELSE 5.37 END,
               CASE WHEN n % 2 = 0 THEN $1::timestamptz + n * interval '2 days' END,
               NULL, 'Europe/Paris', CASE WHEN n % 2 = 0 THEN 'confirmed' END, '{}'::jsonb,
               $1::timestamptz + n * interval '1 hour'
        FROM generate_series(1, 60) AS n
        """,
        T0,
    )


async def run(instance: Instance, f: FeedFilter) -> list[str]:
    conn = await instance.connect()
    try:
        return [r["title"] for r in await page(conn, f)]
    finally:
        await conn.close()


async def test_filters_compose(brest: Instance) -> None:
    await seed(brest)
    newest = await run(brest, FeedFilter(limit=3))
    assert newest == ["Jardins partagés 60", "Atelier 59", "Atelier 58"]
    events = await run(brest, FeedFilter(kind="event", limit=100))
    assert len(events) == 30
    themed = await run(
        brest, FeedFilter(theme="sante", actor="https://t0.example/actors/t", limit=100)
    )
    assert themed == [
        f"{'Jardins partagés' if n % 10 == 0 else 'Atelier'} {n}"
        for n in range(60, 0, -1)
        if n % 4 == 0 and n % 3 == 0
    ]
    window = await run(
        brest,
        FeedFilter(starts_after=T0 + timedelta(days=10), starts_before=T0 + timedelta(days=20)),
    )
    assert window == ["Atelier 6", "Atelier 8"]  # day 20 itself is excluded
    brest_area = await run(brest, FeedFilter(bounds=(-5.0, 48.0, -4.0, 49.0), limit=100))
    assert len(brest_area) == 9
    text = await run(brest, FeedFilter(text="jardin partagé", limit=100))
    assert text == [f"Jardins partagés {n}" for n in (60, 50, 40, 30, 20, 10)]


async def test_keyset_pages_cover_everything_once(brest: Instance) -> None:
    await seed(brest)
    conn = await brest.connect()
    seen: list[int] = []
    try:
        f = FeedFilter(limit=7)
        while rows := await page(conn, f):
            seen += [r["id"] for r in rows]
            f = FeedFilter(limit=7, before=(rows[-1]["published"], rows[-1]["id"]))
    finally:
        await conn.close()
    assert len(seen) == 60 == len(set(seen))


def test_limit_is_bounded_and_values_are_parameters() -> None:
    sql, args = build(FeedFilter(text="'; DROP TABLE objects; --", limit=10_000))
    assert "DROP" not in sql and args[-1] == 100


async def test_every_strategy_gives_the_same_page(brest: Instance, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The bounded newest-rows try and the gather-all-matches path agree, whichever
    `page()` ends up using (a window of 5 rows forces the fallback)."""
    import server.read.feed as feed

    await seed(brest)
    filters = [
        FeedFilter(theme="sante", limit=4),
        FeedFilter(actor="https://t1.example/actors/t", limit=4),
        FeedFilter(bounds=(-5.0, 48.0, -4.0, 49.0), limit=4),
        FeedFilter(text="jardins", limit=4),
        FeedFilter(text="jardins", limit=4, before=(T0 + timedelta(hours=40), 40)),
    ]
    conn = await brest.connect()
    try:
        for f in filters:
            pages = {}
            for strategy in ("order", "match"):
                sql, args = build(f, strategy)
                pages[strategy] = [r["id"] for r in await conn.fetch(sql, *args)]
            assert pages["order"] == pages["match"], f
            for window in (5, 4000):
                monkeypatch.setattr(feed, "WINDOW", window)
                assert [r["id"] for r in await page(conn, f)] == pages["order"], (f, window)
    finally:
        await conn.close()


async def test_pages_list_through_the_feed_queries(brest: Instance) -> None:
    """A territory's page (and its home page) shows its own 20 newest items and links to
    the feed of its network (issue 9), even when the network's items are newer; a theme
    page its 50 newest from the whole network, each remote item with its territory's name
    (read in one query for the page)."""
    await seed(brest)
    await brest.sql(
        "INSERT INTO actors (iri, local, type, username, domain, name) "
        "VALUES ($1, false, 'Group', 't', 't1.example', 'Territoire Un')",
        "https://t1.example/actors/t",
    )
    await brest.sql(
        """
        INSERT INTO objects (iri, kind, local, actor_iri, title, summary, themes, document,
                             published)
        SELECT 'http://brest.example/objects/' || n, 'initiative', true, a.iri,
               'Brest ' || n, 'Résumé', ARRAY['sante'], '{}'::jsonb,
               $1::timestamptz - n * interval '1 hour'
        FROM generate_series(1, 25) AS n, actors a WHERE a.role = 'territory'
        """,
        T0,
    )
    html = {"Accept": "text/html"}
    for path in ("/", "/@brest"):
        text = (await brest.client.get(path, headers=html)).text
        own = [n for n in range(1, 26) if f">Brest {n}<" in text]
        assert own == list(range(1, 21)), path
        assert ">Atelier " not in text and "Jardins partagés" not in text, path
        assert 'href="/feed"' in text, path
    theme = (await brest.client.get("/themes/education", headers=html)).text
    assert theme.count('<li class="item') == 45  # every education item: fewer than 50
    assert ">Atelier 59<" in theme and "partagés 60<" not in theme  # 60 is about health
    assert "Territoire Un" in theme
