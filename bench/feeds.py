"""Part 4, feed queries at 1,000,000 stored objects.

Synthetic but shaped like the network: 300 territories spread over France, the
application's 12 themes (one to three per object), half events with start times over three
years (3 hours long, 1 in 200 three days long; 1 in 100 cancelled, 1 in 100 tentative),
publication dates over three years, French titles and summaries drawn from a word
list. The data is generated in PostgreSQL (`generate_series`) into the `bench_feeds`
database and kept between runs (it takes a few minutes to build); `--rebuild-feeds` makes
it again, `--objects N` a smaller one beside it. Part 7 (`bench/reader.py`) reads the same.

Each page is read with `server.read.feed.page()`, as the application reads it, with varying
parameters; p50/p99 are client-side (asyncpg, one connection). `EXPLAIN` of each query it
may run (for a selective filter: the bounded newest-rows try and the gather-matches
fallback) shows the indexes used, and a sequential read of `objects` fails the target.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.common import PartResult, Row, admin_dsn, dsn_for, percentile, say
from federation import themes
from server.read.feed import FeedFilter, build, is_selective, page
from server.store import db
from server.store.migrate import apply_migrations

DATABASE = "bench_feeds"
TOTAL = 1_000_000
TERRITORIES = 300
THEMES = [t.id for t in themes.THEMES]
"""The application's own themes, so the reader's `theme=` (which accepts only those) works on
the same rows (part 7)."""
BATCH = 100_000
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365
TARGET_MS = {"default": 20.0, "theme+territory": 20.0, "upcoming": 20.0, "map": 20.0,
             "text": 50.0}
WORDS = (
    "atelier jardin partagé bibliothèque coopérative tiers-lieu réparation vélo repas "
    "solidaire marché producteurs locaux conférence débat citoyen numérique libre école "
    "santé communautaire transition écologique compost énergie habitat participatif "
    "rencontre festival gratiferia friperie musique lecture enfants quartier mairie "
    "association collectif semences forêt rivière mobilité covoiturage emploi formation"
).split()
SEARCHES = ["jardin partagé", "réparation vélo", "bibliothèque", "énergie citoyenne",
            "repas solidaire", "compost", "habitat participatif", "semences"]

GENERATE = """
INSERT INTO objects (iri, kind, local, actor_iri, url, title, summary, content_html, themes,
                     place_name, latitude, longitude, start_time, end_time, timezone, status,
                     document, published)
SELECT 'https://t' || t || '.bench/objects/' || n,
       CASE WHEN n % 2 = 0 THEN 'event' ELSE 'initiative' END,
       t = 0,
       'https://t' || t || '.bench/actors/t',
       'https://t' || t || '.bench/objects/' || n,
       initcap(w[1 + (n * 7) % nw]) || ' ' || w[1 + (n * 13) % nw] || ' '
           || w[1 + (n * 29) % nw],
       'Un ' || w[1 + (n * 3) % nw] || ' pour le ' || w[1 + (n * 11) % nw] || ' et la '
           || w[1 + (n * 17) % nw] || ' du territoire.',
       '<p>' || w[1 + (n * 5) % nw] || ' ' || w[1 + (n * 19) % nw] || ' '
           || w[1 + (n * 23) % nw] || ' ' || w[1 + (n * 31) % nw] || '</p>',
       (ARRAY(SELECT ($7::text[])[1 + (((n / 300) * 31 + k * 7) % cardinality($7::text[]))]
              FROM generate_series(1, 1 + (n / 7) % 3) k)),
       'Lieu ' || t,
       42.5 + (t % 20) * 0.43 + ((n * 37) % 1000) / 10000.0,
       -4.5 + (t / 20) * 0.85 + ((n * 53) % 1000) / 10000.0,
       CASE WHEN n % 2 = 0
            THEN $2::timestamptz + ((n * 7919) % ($3 * 24)) * interval '1 hour' END,
       CASE WHEN n % 2 = 0
            THEN $2::timestamptz + ((n * 7919) % ($3 * 24)
                 + CASE WHEN n % 200 = 2 THEN 72 ELSE 3 END) * interval '1 hour' END,
       'Europe/Paris',
       CASE WHEN n % 2 = 0 THEN CASE n % 100 WHEN 0 THEN 'cancelled' WHEN 50 THEN 'tentative'
                                ELSE 'confirmed' END END,
       '{}'::jsonb,
       $2::timestamptz + (n::float / $4) * $3 * interval '1 day'
FROM generate_series($1::bigint, $1::bigint + $6 - 1) AS n,
     LATERAL (SELECT n % 300 AS t) AS territory,
     (SELECT $5::text[] AS w, cardinality($5::text[]) AS nw) AS words
"""
INDEXES = ("objects_feed", "objects_actor", "objects_themes", "objects_upcoming", "objects_geo",
           "objects_search", "objects_local_day", "objects_long", "objects_unconfirmed")


def database_for(total: int) -> str:
    """`bench_feeds` for the default size; a smaller `--objects` run gets its own database."""
    return DATABASE if total == TOTAL else f"{DATABASE}_{total}"


async def _recreate_database(name: str) -> None:
    admin = await asyncpg.connect(admin_dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _count(dsn: str) -> int:
    """Rows of a complete generated database (every index, the current themes); else 0."""
    try:
        conn = await db.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        return 0
    try:
        if not await conn.fetchval("SELECT to_regclass('objects') IS NOT NULL"):
            return 0
        complete = await conn.fetchval(
            "SELECT count(*) FROM pg_indexes WHERE indexname = ANY($1)", list(INDEXES)
        )
        current = await conn.fetchval(
            "SELECT themes <@ $1::text[] FROM objects ORDER BY id LIMIT 1", THEMES
        )
        total = int(await conn.fetchval("SELECT count(*) FROM objects"))
        return total if complete == len(INDEXES) and current else 0
    finally:
        await conn.close()


async def ensure_data(rebuild: bool, total: int = TOTAL) -> str:
    """The generated database, reused when it is complete (all rows, every index); its DSN.
    Part 7 (the reader through HTTP) reads the same rows."""
    name = database_for(total)
    dsn = dsn_for(admin_dsn(), name)
    if not rebuild and await _count(dsn) == total:
        say(f"  reusing {total:,} objects in {name}")
        return dsn
    say(f"  generating {total:,} objects (kept in {name} for later runs)…")
    started = time.perf_counter()
    await _recreate_database(name)
    conn = await db.connect(dsn)
    try:
        await apply_migrations(conn)
        # Indexes are built once after the load, not row by row during it.
        definitions = [
            r["indexdef"] for r in await conn.fetch(
                "SELECT indexdef FROM pg_indexes WHERE indexname = ANY($1)", list(INDEXES)
            )
        ]
        assert len(definitions) == len(INDEXES), "the migrations define the feed indexes"
        for index in INDEXES:
            await conn.execute(f"DROP INDEX {index}")
        batch = min(BATCH, total)
        for first in range(1, total + 1, batch):
            await conn.execute(GENERATE, first, START, SPAN_DAYS, total, WORDS,
                               min(batch, total + 1 - first), THEMES)
        for definition in definitions:
            await conn.execute(definition)
        await conn.execute("VACUUM ANALYZE objects")
    finally:
        await conn.close()
    say(f"  generated and indexed in {time.perf_counter() - started:.0f} s")
    return dsn


def _filters(rng: random.Random) -> dict[str, FeedFilter]:
    territory = f"https://t{rng.randrange(TERRITORIES)}.bench/actors/t"
    day = START + timedelta(days=rng.randrange(SPAN_DAYS - 30))
    t = rng.randrange(TERRITORIES)
    lat = 42.5 + (t % 20) * 0.43
    lon = -4.5 + (t // 20) * 0.85
    return {
        "default": FeedFilter(),
        "theme+territory": FeedFilter(theme=rng.choice(THEMES), actor=territory),
        "upcoming": FeedFilter(starts_after=day, starts_before=day + timedelta(days=30)),
        "map": FeedFilter(bounds=(lon - 0.02, lat - 0.02, lon + 0.12, lat + 0.12)),
        "text": FeedFilter(text=rng.choice(SEARCHES)),
    }


def _indexes_in(plan: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(indexes used, relations read sequentially) anywhere in an EXPLAIN JSON plan."""
    used: set[str] = set()
    seq: set[str] = set()
    stack = [plan]
    while stack:
        node = stack.pop()
        if "Index Name" in node:
            used.add(node["Index Name"])
        if node.get("Node Type") == "Seq Scan":
            seq.add(node.get("Relation Name", "?"))
        stack.extend(node.get("Plans", []))
    return used, seq


async def run(baseline: dict[str, float], *, rounds: int = 300,
              rebuild: bool = False, total: int = TOTAL) -> PartResult:
    say(f"part 4, feed queries at {total:,} objects ({TERRITORIES} territories, "
        f"{len(THEMES)} themes, 3 years)")
    dsn = await ensure_data(rebuild, total)
    conn = await db.connect(dsn)
    rng = random.Random(4)
    result = PartResult("feeds")
    round_trip_ms = 1000.0 / baseline["select1_per_s"]
    try:
        for name in TARGET_MS:
            sample = _filters(rng)[name]
            strategies = ("window", "match") if is_selective(sample) else ("order",)
            used: set[str] = set()
            seq: set[str] = set()
            for strategy in strategies:
                sql, args = build(sample, strategy)
                plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
                found, scanned = _indexes_in(plan[0]["Plan"])
                used |= found
                seq |= scanned
                say(f"  EXPLAIN {name} ({strategy}): indexes {sorted(found) or 'none'}"
                    + (f"; SEQUENTIAL SCAN of {sorted(scanned)}" if scanned else ""))
            for _ in range(20):  # warm the caches
                await page(conn, _filters(rng)[name])
            timings = []
            rows = 0
            for _ in range(rounds):
                f = _filters(rng)[name]
                started = time.perf_counter()
                rows += len(await page(conn, f))
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
            target = TARGET_MS[name]
            ok = p99 <= target and not seq and bool(used)
            say(f"  {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, {rows / rounds:.1f} rows/page "
                f"(target p99 ≤ {target:.0f} ms) — p50 = {p50 / round_trip_ms:.1f}× a bare "
                f"SELECT 1 round trip ({round_trip_ms:.3f} ms)")
            result.data[name] = {"p50_ms": p50, "p99_ms": p99, "rows_per_page": rows / rounds,
                                 "indexes": sorted(used), "seq_scans": sorted(seq)}
            result.rows.append(Row(
                f"4 feed {name} p50/p99", f"{p50:.1f}/{p99:.1f} ms", f"p99 ≤ {target:.0f} ms",
                ok, f"p50 = {p50 / round_trip_ms:.0f}× SELECT 1",
            ))
    finally:
        await conn.close()
    return result
