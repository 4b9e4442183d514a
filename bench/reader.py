"""Part 7, the reader through HTTP at 1,000,000 stored objects.

Part 4 times the feed's statements alone; this part times what a reader waits for: whole
rendered answers (filters parsed, territory resolved, rows read, facet counts, names, the
filter form, the template or the export built) from one real `maillage serve` on part 4's
database (the same generated rows, reused: `bench.feeds.ensure_data`). Before timing, the
300 territories the rows come from are stored as remote Group actors that this instance's
territory follows (a circle: the filter form lists all of them), once.

One keep-alive client, one request at a time (latency, not throughput): each measure is
warmed up, then requested `rounds` times (or for at most `seconds`, at least 10 times)
with varying parameters; p50/p99 are client-side
and include the HTTP round trip. The in-run baselines beside each figure: `/healthz` on the
same server through the same client (an HTTP answer that does one `SELECT 1` through the
pool) and the bare asyncpg `SELECT 1` round trip of the baseline part.

The facet counts are part of every `/feed` answer (`server.routes.reader.feed_page`), so
the `/feed` figures include them; `facets.count()` is also timed alone, in this process on
one connection, over the same filters, to show their share.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import httpx

from bench import feeds
from bench.common import (
    DATA,
    CpuMeter,
    PartResult,
    Row,
    clean_env,
    free_port,
    percentile,
    postgres_processes,
    prepare,
    say,
    start_maillage,
    stop,
    wait_ok,
    with_children,
)
from server.read import facets
from server.read.feed import FeedFilter
from server.read.filters import parse
from server.store import actors as store
from server.store import db

HOST = "127.0.0.7"
PAGE_MS = 30.0
FACETS_MS = 50.0
ICS_MS = 100.0
GEOJSON_MS = 100.0
NOT_MODIFIED_MS = 5.0

TERRITORY_ACTORS = """
INSERT INTO actors (iri, local, type, username, domain, name, summary, url, inbox, outbox,
                    followers, following, place_name, latitude, longitude, document,
                    fetched_at)
SELECT 'https://t' || t || '.bench/actors/t', false, 'Group', 't', 't' || t || '.bench',
       'Territoire ' || t, 'Le territoire contributif numéro ' || t || '.',
       'https://t' || t || '.bench/@t', 'https://t' || t || '.bench/actors/t/inbox',
       'https://t' || t || '.bench/actors/t/outbox',
       'https://t' || t || '.bench/actors/t/followers',
       'https://t' || t || '.bench/actors/t/following',
       'Lieu ' || t, 42.5 + (t % 20) * 0.43, -4.5 + (t / 20) * 0.85, '{}'::jsonb, now()
FROM generate_series(0, $1 - 1) AS t
ON CONFLICT (iri) DO NOTHING
"""
FOLLOWS = """
INSERT INTO follows (follower_iri, followee_iri, state)
SELECT $2, 'https://t' || t || '.bench/actors/t', 'accepted' FROM generate_series(0, $1 - 1) t
ON CONFLICT (follower_iri, followee_iri) DO NOTHING
"""


@dataclass(frozen=True)
class Measure:
    """One row of the table: a name, its p99 target, and the next URL to request."""

    name: str
    target_ms: float
    url: Callable[[random.Random], str]
    status: int = 200


def _point(rng: random.Random) -> tuple[float, float]:
    t = rng.randrange(feeds.TERRITORIES)
    return 42.5 + (t % 20) * 0.43 + 0.05, -4.5 + (t // 20) * 0.85 + 0.05


def _day(rng: random.Random) -> date:
    return feeds.START.date() + timedelta(days=rng.randrange(feeds.SPAN_DAYS - 30))


def _feed(query: Callable[[random.Random], str]) -> Callable[[random.Random], str]:
    return lambda rng: "/feed?" + query(rng)


def _near(rng: random.Random) -> str:
    lat, lon = _point(rng)
    return f"near={lat:.4f},{lon:.4f}&radius=10"


def _bbox(rng: random.Random) -> str:
    lat, lon = _point(rng)
    return f"bbox={lon - 0.07:.4f},{lat - 0.07:.4f},{lon + 0.07:.4f},{lat + 0.07:.4f}"


def _dates(rng: random.Random) -> str:
    day = _day(rng)
    return f"from={day.isoformat()}&to={(day + timedelta(days=30)).isoformat()}"


def _month(rng: random.Random) -> str:
    months = 36
    n = rng.randrange(months)
    return f"/agenda/{2024 + n // 12:04d}-{1 + n % 12:02d}"


MEASURES = (
    Measure("/agenda", PAGE_MS, lambda rng: "/agenda"),
    Measure("/feed (newest)", PAGE_MS, lambda rng: "/feed"),
    Measure("/feed type", PAGE_MS,
            _feed(lambda rng: "type=" + rng.choice(("event", "initiative")))),
    Measure("/feed theme", PAGE_MS, _feed(lambda rng: "theme=" + rng.choice(feeds.THEMES))),
    Measure("/feed territory", PAGE_MS,
            _feed(lambda rng: f"territory=t@t{rng.randrange(feeds.TERRITORIES)}.bench")),
    Measure("/feed q", PAGE_MS, _feed(lambda rng: "q=" + rng.choice(feeds.SEARCHES))),
    Measure("/feed from/to", PAGE_MS, _feed(_dates)),
    Measure("/feed near+radius", PAGE_MS, _feed(_near)),
    Measure("/feed bbox", PAGE_MS, _feed(_bbox)),
    Measure("/feed status=confirmed", PAGE_MS, _feed(lambda rng: "status=confirmed")),
    Measure("/feed status=cancelled", PAGE_MS, _feed(lambda rng: "status=cancelled")),
    Measure("/agenda/YYYY-MM", PAGE_MS, _month),
    Measure("/feed.ics (500 events)", ICS_MS, lambda rng: "/feed.ics"),
    Measure("/feed.geojson (5,000 points)", GEOJSON_MS, lambda rng: "/feed.geojson"),
)
FACET_QUERIES: tuple[Callable[[random.Random], str], ...] = (
    lambda rng: "", lambda rng: "type=event", lambda rng: "theme=" + rng.choice(feeds.THEMES),
    lambda rng: "q=" + rng.choice(feeds.SEARCHES), _dates, _near, _bbox,
    lambda rng: "status=confirmed",
)
ZONE = ZoneInfo("Europe/Paris")


def _facet_filter(rng: random.Random) -> FeedFilter:
    """A filter as `/feed` makes it from one of the measured queries (or a territory)."""
    if rng.random() < 1 / (len(FACET_QUERIES) + 1):
        actor = f"https://t{rng.randrange(feeds.TERRITORIES)}.bench/actors/t"
        return FeedFilter(actor=actor)
    query = rng.choice(FACET_QUERIES)(rng)
    pairs = [(k, v) for k, _, v in (p.partition("=") for p in query.split("&") if p)]
    return parse(pairs).feed_filter(ZONE)


async def _network(dsn: str, base_url: str, domain: str) -> None:
    """This instance's territory (first run only) following the generated territories."""
    await prepare(dsn, base_url, domain)
    conn = await db.connect(dsn)
    try:
        territory = await store.territory(conn)
        assert territory is not None
        await conn.execute(TERRITORY_ACTORS, feeds.TERRITORIES)
        await conn.execute(FOLLOWS, feeds.TERRITORIES, territory["iri"])
        await conn.execute("ANALYZE actors")
        await conn.execute("ANALYZE follows")
    finally:
        await conn.close()


def _stats(timings: list[float]) -> tuple[float, float]:
    timings.sort()
    return percentile(timings, 0.5), percentile(timings, 0.99)


async def _time(client: httpx.AsyncClient, rng: random.Random, url: Callable[[random.Random], str],
                rounds: int, seconds: float, status: int = 200,
                headers: dict[str, str] | None = None) -> tuple[list[float], int, float]:
    """Milliseconds per answer (body read), the mean body size and the share of pages whose
    counts were given up (`data-counted="0"`); every status checked. A slow measure stops
    after `seconds` (and says how many answers it timed)."""
    for _ in range(10):  # warm up: the server's caches, PostgreSQL's buffers
        await client.get(url(rng), headers=headers)
    timings: list[float] = []
    size = uncounted = 0
    until = time.monotonic() + seconds
    while len(timings) < rounds and (len(timings) < 10 or time.monotonic() < until):
        target = url(rng)
        started = time.perf_counter()
        answer = await client.get(target, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        if answer.status_code != status:
            raise RuntimeError(f"{target}: {answer.status_code}, expected {status}")
        size += len(answer.content)
        uncounted += b'data-counted="0"' in answer.content
    return timings, size // max(1, len(timings)), uncounted / max(1, len(timings))


async def _check_exports(client: httpx.AsyncClient) -> dict[str, int]:
    """The exports hold as many items as their measure names."""
    ics = (await client.get("/feed.ics")).text
    geo = (await client.get("/feed.geojson")).json()
    return {"ics_events": ics.count("BEGIN:VEVENT"), "geojson_points": len(geo["features"])}


async def _facets_alone(dsn: str, rng: random.Random, rounds: int,
                        seconds: float) -> tuple[float, float, float]:
    """p50, p99 and the share of counts given up past `facets.BUDGET_MS`."""
    conn = await db.connect(dsn, db.CUSTOM_PLANS)
    given_up = 0
    try:
        for _ in range(10):
            await facets.count(conn, _facet_filter(rng))
        timings: list[float] = []
        until = time.monotonic() + seconds
        while len(timings) < rounds and (len(timings) < 10 or time.monotonic() < until):
            f = _facet_filter(rng)
            started = time.perf_counter()
            counted = await facets.count(conn, f)
            timings.append((time.perf_counter() - started) * 1000)
            given_up += not counted.counted
    finally:
        await conn.close()
    share = given_up / max(1, len(timings))
    return (*_stats(timings), share)


def _row(name: str, p50: float, p99: float, target: float, healthz: float,
         select1: float) -> Row:
    return Row(f"7 {name} p50/p99", f"{p50:.1f}/{p99:.1f} ms", f"p99 ≤ {target:.0f} ms",
               p99 <= target,
               f"p99 = {p99 / healthz:.0f}× /healthz p50, {p99 / select1:.0f}× SELECT 1")


async def run(baseline: dict[str, float], *, rounds: int = 200, seconds: float = 30.0,
              rebuild: bool = False, total: int = feeds.TOTAL) -> PartResult:
    say(f"part 7, the reader through HTTP at {total:,} objects (whole rendered answers)")
    dsn = await feeds.ensure_data(rebuild, total)
    port = free_port(HOST)
    domain = f"{HOST}:{port}"
    await _network(dsn, f"http://{domain}", domain)
    env = clean_env(MAILLAGE_DEV="1", MAILLAGE_DOMAIN=domain, DATABASE_URL=dsn,
                    MAILLAGE_DATA=str(DATA / "serve-reader"))
    web = start_maillage(env, "reader-serve.log", "serve", "--host", HOST, "--port", str(port))
    result = PartResult("reader")
    select1_ms = 1000.0 / baseline["select1_per_s"]
    rng = random.Random(7)
    try:
        wait_ok(HOST, port, web, time.monotonic())
        meter = CpuMeter(web=lambda: with_children(web.pid), postgres=postgres_processes)
        async with httpx.AsyncClient(base_url=f"http://{domain}", timeout=60.0,
                                     headers={"Accept-Language": "fr"}) as client:
            counts = await _check_exports(client)
            say(f"  exports: {counts['ics_events']} events in /feed.ics, "
                f"{counts['geojson_points']} points in /feed.geojson")
            result.data["exports"] = counts
            meter.start()
            healthz, _, _ = await _time(client, rng, lambda rng: "/healthz", rounds, seconds)
            h50, h99 = _stats(healthz)
            say(f"  baseline /healthz: p50 {h50:.2f} ms, p99 {h99:.2f} ms; "
                f"SELECT 1 {select1_ms:.3f} ms")
            result.data["healthz"] = {"p50_ms": h50, "p99_ms": h99}
            result.rows.append(Row("7 baseline: /healthz p50/p99", f"{h50:.1f}/{h99:.1f} ms"))
            for measure in MEASURES:
                timings, size, uncounted = await _time(client, rng, measure.url, rounds,
                                                       seconds, measure.status)
                count = len(timings)
                p50, p99 = _stats(timings)
                say(f"  {measure.name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms of {count}, "
                    f"{size:,} bytes "
                    f"(target p99 ≤ {measure.target_ms:.0f} ms) — p99 = {p99 / h50:.0f}× "
                    f"/healthz p50"
                    + (f"; counts given up in {uncounted:.0%}" if uncounted else ""))
                result.data[measure.name] = {"p50_ms": p50, "p99_ms": p99, "bytes": size,
                                             "answers": count, "counts_given_up": uncounted}
                result.rows.append(_row(measure.name, p50, p99, measure.target_ms, h50,
                                        select1_ms))
            etag = (await client.get("/feed.ics")).headers["etag"]
            timings, _, _ = await _time(client, rng, lambda rng: "/feed.ics", rounds, seconds,
                                        304, {"If-None-Match": etag})
            count = len(timings)
            p50, p99 = _stats(timings)
            say(f"  304 /feed.ics (If-None-Match): p50 {p50:.1f} ms, p99 {p99:.1f} ms of {count} "
                f"(target p99 ≤ {NOT_MODIFIED_MS:.0f} ms)")
            result.data["304"] = {"p50_ms": p50, "p99_ms": p99, "answers": count}
            result.rows.append(_row("304 /feed.ics", p50, p99, NOT_MODIFIED_MS, h50, select1_ms))
            cores = meter.stop()
        say(f"  CPU (cores): {meter.describe()}")
        result.data["cpu_cores"] = cores
        p50, p99, share = await _facets_alone(dsn, rng, rounds, seconds)
        say(f"  facets.count() alone (in process, 1 connection): p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms (target p99 ≤ {FACETS_MS:.0f} ms; bounded to the first "
            f"{facets.BOUND:,} matches and {facets.BUDGET_MS} ms: {share:.0%} given up)")
        result.data["facets"] = {"p50_ms": p50, "p99_ms": p99, "given_up": share}
        result.rows.append(_row("facet counts alone", p50, p99, FACETS_MS, h50, select1_ms))
    finally:
        stop(web)
    return result
