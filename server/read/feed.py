"""Feed queries over stored initiatives and events, local and remote.

The filters the merged timeline offers (type, theme, territory, date range, map bounds,
French full text) compose into one query; every variant is served by an index and pages by
keyset (`published`, `id`), never by OFFSET. `build()` is pure, so the SQL can be tested and
`EXPLAIN`ed without running it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from federation.vocab import STATUSES
from server.store.search import unaccent

PAGE_SIZE = 20
COLUMNS = (
    "id, iri, kind, local, actor_iri, url, title, summary, themes, place_name, latitude, "
    "longitude, start_time, end_time, timezone, status, image_url, image_alt, published, "
    "place_address, online_url, updated"
)


@dataclass(frozen=True)
class FeedFilter:
    kind: str | None = None
    theme: str | None = None
    actor: str | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    bounds: tuple[float, float, float, float] | None = None
    """(west, south, east, north) in degrees."""
    text: str | None = None
    themes: tuple[str, ...] = ()
    """Any of these themes (a reader's repeated `theme=`); `theme` alone must match too."""
    status: str | None = None
    """Events with this status (`confirmed` also matches events that state none)."""
    near: tuple[float, float, float] | None = None
    """(latitude, longitude, radius in km): within that distance, great-circle."""
    before: tuple[datetime, int] | None = None
    """Keyset: the (published, id) of the last item of the previous page."""
    limit: int = PAGE_SIZE


UNCONFIRMED = tuple(s for s in STATUSES if s != "confirmed")
"""The statuses `objects_unconfirmed` indexes (migration 0009)."""
WINDOW = 4000
"""How many of the newest rows the first, bounded try reads for a selective filter."""
EARTH_RADIUS_KM = 6371.0
KM_PER_DEGREE = 111.32


def near_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """The (west, south, east, north) box around a circle, for the GiST index to narrow
    the candidates before the exact distance; clamped at the poles and the antimeridian."""
    dlat = km / KM_PER_DEGREE
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(km / (KM_PER_DEGREE * cos_lat), 180.0)
    return (max(lon - dlon, -180.0), max(lat - dlat, -90.0),
            min(lon + dlon, 180.0), min(lat + dlat, 90.0))


def where_clauses(f: FeedFilter, arg: Callable[[Any], str]) -> list[str]:
    """The filter's WHERE conditions (besides liveness and keyset); `arg` adds a parameter
    and returns its placeholder. Shared by the feed, the agenda and the facet counts."""
    where: list[str] = []
    upcoming = f.starts_after is not None or f.starts_before is not None
    if upcoming or f.kind == "event" or f.status is not None:
        where.append("kind = 'event'")
    if f.kind is not None and f.kind != "event":
        where.append(f"kind = {arg(f.kind)}")
    if f.theme is not None:
        where.append(f"themes @> ARRAY[{arg(f.theme)}]::text[]")
    if f.themes:
        where.append(f"themes && {arg(list(f.themes))}::text[]")
    if f.actor is not None:
        where.append(f"actor_iri = {arg(f.actor)}")
    if f.status == "confirmed":
        # Not `coalesce(status, 'confirmed') = $n`: PostgreSQL has no statistics for that
        # expression and guessed 0.5 % of the rows for half of them (bench part 7).
        where.append("(status IS NULL OR status = 'confirmed')")
    elif f.status is not None:
        # One literal, so that the partial index `objects_unconfirmed` applies.
        if f.status not in UNCONFIRMED:
            raise ValueError(f"unknown status {f.status!r}")
        where.append(f"status = '{f.status}'")
    if f.starts_after is not None:
        where.append(f"start_time >= {arg(f.starts_after)}")
    if f.starts_before is not None:
        where.append(f"start_time < {arg(f.starts_before)}")
    if f.bounds is not None:
        west, south, east, north = f.bounds
        where.append(
            f"geo <@ box(point({arg(west)}, {arg(south)}), point({arg(east)}, {arg(north)}))"
        )
    if f.near is not None:
        lat, lon, km = f.near
        west, south, east, north = near_box(lat, lon, km)
        where.append(
            f"geo <@ box(point({arg(west)}, {arg(south)}), point({arg(east)}, {arg(north)}))"
        )
        # The distance from `geo` (longitude, latitude) rather than the two columns, so that
        # the matches come from `objects_geo` alone (an index-only scan: 4 ms against 40 ms
        # reading 3,300 rows' pages at 1M objects, bench part 7).
        la, lo = arg(lat), arg(lon)
        where.append(
            f"2 * {EARTH_RADIUS_KM} * asin(least(1, sqrt("
            f"sin(radians(geo[1] - {la}) / 2) ^ 2 + cos(radians({la})) * cos(radians(geo[1]))"
            f" * sin(radians(geo[0] - {lo}) / 2) ^ 2))) <= {arg(km)}"
        )
    if f.text:
        where.append(
            f"search @@ websearch_to_tsquery('french', {arg(unaccent(f.text))})"
        )
    return where


def build(f: FeedFilter, strategy: str = "order") -> tuple[str, list[Any]]:
    """SQL and parameters for one page. Date-range queries list events by start time;
    everything else lists newest first.

    `strategy` says how a newest-first page with a selective filter (text, map) is
    found: `window` reads only the newest `WINDOW` rows through the feed index and filters
    them (right when matches are common: it finds a page at once), `match` collects every
    match through the filter's own index (GIN, GiST) and sorts them (right when matches are
    rare). `page()` tries `window`, then `match`.
    """
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = where_clauses(f, arg)
    upcoming = f.starts_after is not None or f.starts_before is not None
    if upcoming:
        keyset = "(start_time, id) > ({}, {})"
        order = "start_time, id"
    else:
        keyset = "(published, id) < ({}, {})"
        order = "published DESC, id DESC"
    live = ["deleted_at IS NULL"]
    if f.before is not None:
        live.append(keyset.format(arg(f.before[0]), arg(f.before[1])))
    limit = arg(max(1, min(f.limit, 100)))
    if upcoming or not where or strategy == "order":
        conditions = " AND ".join(live + where)
        sql = f"SELECT {COLUMNS} FROM objects WHERE {conditions} ORDER BY {order} LIMIT {limit}"
    elif strategy == "window":
        sql = (
            f"SELECT {COLUMNS} FROM (SELECT * FROM objects WHERE {' AND '.join(live)} "
            f"ORDER BY {order} LIMIT {WINDOW}) AS newest WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT {limit}"
        )
    else:
        # Only (id, published) are gathered, so a map's matches come from the GiST index
        # alone (it includes both); the page's rows are read last, by primary key.
        sql = (
            f"WITH matches AS MATERIALIZED (SELECT id, published FROM objects "
            f"WHERE {' AND '.join(live + where)}), "
            f"chosen AS (SELECT id FROM matches ORDER BY {order} LIMIT {limit}) "
            f"SELECT {COLUMNS} FROM objects WHERE id IN (SELECT id FROM chosen) "
            f"ORDER BY {order}"
        )
    return sql, args


def is_selective(f: FeedFilter) -> bool:
    """Text and map filters have no index in feed order; a territory does (its index is
    ordered by date), and a theme alone is common enough for the feed index."""
    upcoming = f.starts_after is not None or f.starts_before is not None
    return not upcoming and (bool(f.text) or f.bounds is not None or f.near is not None)


async def page(conn: asyncpg.Connection, f: FeedFilter) -> list[asyncpg.Record]:
    """One page. A selective newest-first filter first looks among the newest rows, which
    settles common matches in a bounded read, and otherwise gathers its (then few) matches
    through its own index: each read is bounded by an index either way."""
    if is_selective(f):
        sql, args = build(f, "window")
        rows = list(await conn.fetch(sql, *args))
        if len(rows) >= max(1, min(f.limit, 100)):
            return rows
        sql, args = build(f, "match")
        return list(await conn.fetch(sql, *args))
    sql, args = build(f)
    return list(await conn.fetch(sql, *args))
