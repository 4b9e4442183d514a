"""What the exports read: more rows than a page (a calendar of 500 events, a map of 5,000
points), still through the feed's conditions and indexes, still bounded."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from server.read import agenda, feed
from server.read.exports import GEO_COLUMNS
from server.read.feed import COLUMNS, FeedFilter

CALENDAR_SIZE = 500
NEWS_SIZE = 50
MAP_SIZE = 5000
CALENDAR_PAST = timedelta(days=30)
"""A subscribed calendar keeps the last month's events (people look back at them)."""
FAR_FUTURE = timedelta(days=3660)
VALIDATOR_COLUMNS = "id, status, published, updated, start_time"
"""What an export's ETag and Last-Modified cover (exports.validators), and the calendar's
order: a poll that may get `304` reads these first, not the whole rows."""
ETAG = """'W/"' || left(encode(sha256(convert_to(:salt::text || coalesce(string_agg(
           '|' || r.id || ':' || (extract(epoch FROM greatest(r.published, r.updated))
                                  * 1000000)::bigint || ':' || coalesce(r.status, ''),
           '' ORDER BY r.id), ''), 'UTF8')), 'hex'), 32) || '"'"""
"""`exports.validators`'s ETag in SQL, over rows `r` (a test holds the two to the same
bytes); Last-Modified is `max(greatest(r.published, r.updated))`."""
VALIDATORS = f"""
SELECT {ETAG} AS etag, max(greatest(r.published, r.updated)) AS last FROM (:rows) AS r
"""
"""A poll's validators over a listing's narrow rows: one row rather than 500 (or 5,000)
rows hashed in Python, 23 % of a `304`'s time (bench part 7)."""
GEOJSON = f"""
SELECT '{{"type":"FeatureCollection","features":[' || coalesce(string_agg(
         '{{"type":"Feature","id":' || r.id
         || ',"geometry":{{"type":"Point","coordinates":[' || r.longitude || ','
         || r.latitude || ']}},"properties":{{"id":' || r.id
         || ',"title":' || to_json(r.title)
         || ',"url":' || to_json(:base::text || '/items/' || r.id)
         || ',"kind":' || to_json(r.kind)
         || ',"place":' || coalesce(to_json(nullif(concat_ws(', ', nullif(r.place_name, ''),
                                                           nullif(r.place_address, '')), ''))::text,
                                     'null')
         || ',"status":' || coalesce(to_json(r.status)::text, 'null')
         || ',"territory":' || coalesce(to_json(nullif(a.name, ''))::text, 'null')
         || ',"themes":' || to_json(r.themes)
         || ',"start_time":' || coalesce(to_json(r.start_time)::text, 'null')
         || ',"end_time":' || coalesce(to_json(r.end_time)::text, 'null')
         || ',"timezone":' || coalesce(to_json(r.timezone)::text, 'null') || '}}}}',
         ',' ORDER BY r.published DESC, r.id DESC), '') || ']}}' AS body,
       {ETAG} AS etag, max(greatest(r.published, r.updated)) AS last
FROM (:rows) AS r LEFT JOIN actors AS a ON a.iri = r.actor_iri
"""
"""A map's FeatureCollection (RFC 7946: longitude first), written by PostgreSQL with its
validators in the same statement: building and encoding 5,000 features in Python was most
of the answer's time (bench part 7). Each value goes through `to_json` (which escapes it);
the document's frame is text, because `json_build_object` took 50 ms for 5,000 features
and this 18 ms. The popup words the dates itself, in the page's
language (`web/static/map.js`)."""


def _with_rows(template: str, sql: str, args: list[Any], **values: Any) -> tuple[str, list[Any]]:
    """`template` around a listing's SQL; each `:name` becomes one more parameter."""
    args = list(args)
    for name, value in values.items():
        args.append(value)
        template = template.replace(f":{name}", f"${len(args)}")
    return template.replace(":rows", sql), args


def build_newest(
    f: FeedFilter, limit: int, located: bool = False, columns: str = COLUMNS
) -> tuple[str, list[Any]]:
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = ["deleted_at IS NULL", *feed.where_clauses(f, arg)]
    if located:
        where.append("geo IS NOT NULL")
    order = "published DESC, id DESC"
    if f.starts_after is not None or f.starts_before is not None:
        order = "start_time, id"
    sql = f"SELECT {columns} FROM objects WHERE {' AND '.join(where)} ORDER BY {order} "
    return sql + f"LIMIT {arg(limit)}", args


async def newest(
    conn: asyncpg.Connection, f: FeedFilter, limit: int = NEWS_SIZE, located: bool = False,
    columns: str = COLUMNS,
) -> list[asyncpg.Record]:
    """Newest first (by start time when the filter has dates), at most `limit`."""
    sql, args = build_newest(replace(f, before=None), limit, located, columns)
    return list(await conn.fetch(sql, *args))


def build_listing(
    kind: str, f: FeedFilter, now: datetime, columns: str | None = None
) -> tuple[str, list[Any]]:
    """The rows the export `kind` lists (pure): a calendar's events from a month ago on,
    a map's located items, else the newest; `columns` defaults to what the export shows."""
    if kind == "ics":
        start = f.starts_after or now - CALENDAR_PAST
        end = f.starts_before or now + FAR_FUTURE
        return agenda.build_range(f, start, end, CALENDAR_SIZE, columns or COLUMNS)
    plain = replace(f, before=None)
    if kind == "geojson":
        return build_newest(plain, MAP_SIZE, located=True, columns=columns or GEO_COLUMNS)
    return build_newest(plain, NEWS_SIZE, columns=columns or COLUMNS)


async def listing(
    conn: asyncpg.Connection, kind: str, f: FeedFilter, now: datetime
) -> list[asyncpg.Record]:
    sql, args = build_listing(kind, f, now)
    return list(await conn.fetch(sql, *args))


async def validators(
    conn: asyncpg.Connection, kind: str, f: FeedFilter, now: datetime, salt: str
) -> tuple[str, datetime | None]:
    """(ETag, Last-Modified) of what the export would list, in one round trip."""
    sql, args = _with_rows(VALIDATORS, *build_listing(kind, f, now, VALIDATOR_COLUMNS),
                           salt=salt)
    row = await conn.fetchrow(sql, *args)
    assert row is not None
    return str(row["etag"]), row["last"]


async def geojson(
    conn: asyncpg.Connection, f: FeedFilter, now: datetime, base_url: str, salt: str
) -> tuple[bytes, str, datetime | None]:
    """The map's FeatureCollection as UTF-8, its ETag and Last-Modified."""
    sql, args = _with_rows(GEOJSON, *build_listing("geojson", f, now), base=base_url,
                           salt=salt)
    row = await conn.fetchrow(sql, *args)
    assert row is not None
    return str(row["body"]).encode(), str(row["etag"]), row["last"]
