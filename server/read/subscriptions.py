"""What the exports read: more rows than a page (a calendar of 500 events, a map of 5,000
points), still through the feed's conditions and indexes, still bounded."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from server.read import agenda, feed
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


async def calendar(
    conn: asyncpg.Connection, f: FeedFilter, now: datetime, limit: int = CALENDAR_SIZE,
    columns: str = COLUMNS,
) -> list[asyncpg.Record]:
    """The events a subscribed calendar holds: the filter's dates when it has some, else
    from a month ago on, soonest first."""
    start = f.starts_after or now - CALENDAR_PAST
    end = f.starts_before or now + FAR_FUTURE
    return await agenda.in_range(conn, f, start, end, limit, columns)
