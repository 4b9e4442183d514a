"""Agenda queries: events that have not ended, past events, and a month, by start time.

Upcoming events come in two indexed parts: those already running (an end in the future,
through `objects_running`) and those starting from now on (`objects_upcoming`), merged by
(start_time, id) with a keyset cursor: never OFFSET, and no past event is read to find them.
Days are the event's own: an event at 23:30 Europe/Paris on 31 December belongs to the 31st,
whatever the reader's or the server's zone. Grouping is pure, so it is tested without SQL.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from federation.objects.dates import zone as event_zone
from server.read import feed
from server.read.feed import COLUMNS, FeedFilter

PER_DAY = 4
"""Events a month grid's day lists; a busier day links to that day's agenda ("more")."""
LONG_EVENT = timedelta(hours=12)
"""An event longer than this (a festival, an exhibition, an all-day event) is listed on
every local day it covers; a shorter one (an evening that ends after midnight too) on the
day it starts. The same threshold as the `objects_long` index (migration 0009)."""
LONG_LIMIT = 500
"""Long events one month grid reads at most."""
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)
"""UTC offsets span −12 h to +14 h: a local day lies within these margins of its UTC day."""


def _builder() -> tuple[list[Any], Callable[[Any], str]]:
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    return args, arg


def _base(f: FeedFilter) -> FeedFilter:
    """The filter less its dates and cursor, which the agenda sets itself."""
    return replace(f, starts_after=None, starts_before=None, before=None, kind="event")


def build_upcoming(
    f: FeedFilter, now: datetime, after: tuple[datetime, int] | None, limit: int
) -> tuple[str, list[Any]]:
    args, arg = _builder()
    where = ["deleted_at IS NULL", *feed.where_clauses(_base(f), arg)]
    if after is not None:
        where.append(f"(start_time, id) > ({arg(after[0])}, {arg(after[1])})")
    n, moment = arg(limit), arg(now)
    common = " AND ".join(where)
    sql = (
        f"{_running(common, moment)} (SELECT {COLUMNS} FROM running ORDER BY start_time, id "
        f"LIMIT {n}) UNION ALL (SELECT {COLUMNS} FROM objects WHERE {common} "
        f"AND start_time >= {moment} ORDER BY start_time, id LIMIT {n}) "
        f"ORDER BY start_time, id LIMIT {n}"
    )
    return sql, args


def _running(common: str, moment: str, columns: str = COLUMNS) -> str:
    """The events that started before `moment` and run past it, as a MATERIALIZED CTE.

    Written as `… ORDER BY start_time, id LIMIT n` inside the UNION ALL, PostgreSQL reads it
    in order through `objects_upcoming` (start_time < moment), expecting to meet a running
    event soon, and filters on end_time: ~490,000 past events for 30 at 1M objects (bench
    part 7). A CTE with no order and no limit is planned alone, for all its rows, which
    `objects_running` (end_time ≥ moment) finds directly; running events are few."""
    return (
        f"WITH running AS MATERIALIZED (SELECT {columns} FROM objects WHERE {common} "
        f"AND end_time IS NOT NULL AND end_time >= {moment} AND start_time < {moment})"
    )


def build_past(
    f: FeedFilter, now: datetime, before: tuple[datetime, int] | None, limit: int
) -> tuple[str, list[Any]]:
    args, arg = _builder()
    where = ["deleted_at IS NULL", *feed.where_clauses(_base(f), arg)]
    moment = arg(now)
    where.append(f"start_time < {moment} AND coalesce(end_time, start_time) < {moment}")
    if f.starts_after is not None:
        where.append(f"start_time >= {arg(f.starts_after)}")
    if f.starts_before is not None:
        where.append(f"start_time < {arg(f.starts_before)}")
    if before is not None:
        where.append(f"(start_time, id) < ({arg(before[0])}, {arg(before[1])})")
    sql = (
        f"SELECT {COLUMNS} FROM objects WHERE {' AND '.join(where)} "
        f"ORDER BY start_time DESC, id DESC LIMIT {arg(limit)}"
    )
    return sql, args


def build_range(
    f: FeedFilter, start: datetime, end: datetime, limit: int, columns: str = COLUMNS
) -> tuple[str, list[Any]]:
    """Events starting in [start, end), and those that started earlier and run into it;
    `columns` must include `id` and `start_time`, the order."""
    args, arg = _builder()
    common = " AND ".join(["deleted_at IS NULL", *feed.where_clauses(_base(f), arg)])
    low, high, n = arg(start), arg(end), arg(limit)
    sql = (
        f"{_running(common, low, columns)} (SELECT {columns} FROM running ORDER BY "
        f"start_time, id LIMIT {n}) UNION ALL (SELECT {columns} FROM objects WHERE {common} "
        f"AND start_time >= {low} AND start_time < {high} ORDER BY start_time, id LIMIT {n}) "
        f"ORDER BY start_time, id LIMIT {n}"
    )
    return sql, args


async def upcoming(
    conn: asyncpg.Connection, f: FeedFilter, now: datetime,
    after: tuple[datetime, int] | None = None, limit: int = 30,
) -> list[asyncpg.Record]:
    """Events not ended at `now`, by start time; with `from`/`to`, the events starting then."""
    if f.starts_after is not None or f.starts_before is not None:
        return await feed.page(conn, replace(f, before=after, limit=limit))
    sql, args = build_upcoming(f, now, after, limit)
    return list(await conn.fetch(sql, *args))


async def past(
    conn: asyncpg.Connection, f: FeedFilter, now: datetime,
    before: tuple[datetime, int] | None = None, limit: int = 30,
) -> list[asyncpg.Record]:
    """Events that have ended, the most recent first."""
    sql, args = build_past(f, now, before, limit)
    return list(await conn.fetch(sql, *args))


def build_month(
    f: FeedFilter, first: date, following: date, per_day: int = PER_DAY,
) -> tuple[str, list[Any]]:
    """Events of each local day of [first, following): per day the first `per_day + 1`
    that start on it (by `start_local`, the event's own wall clock: one index probe per
    day), and the long events that overlap the span (few, through `objects_long`).
    A long event may come twice; `month()` keeps it once."""
    args, arg = _builder()
    common = " AND ".join(["deleted_at IS NULL", *feed.where_clauses(_base(f), arg)])
    low, high = utc_span(first, following)
    day_one, day_end, n = arg(first), arg(following), arg(per_day + 1)
    sql = (
        f"SELECT e.* FROM generate_series({day_one}::timestamp, {day_end}::timestamp "
        f"- interval '1 day', interval '1 day') AS d(day), "
        f"LATERAL (SELECT {COLUMNS} FROM objects WHERE {common} "
        f"AND start_local >= d.day AND start_local < d.day + interval '1 day' "
        f"ORDER BY start_local, id LIMIT {n}) AS e "
        f"UNION ALL (SELECT {COLUMNS} FROM objects WHERE {common} "
        f"AND end_time - start_time > interval '{int(LONG_EVENT.total_seconds())} seconds' "
        f"AND start_time < {arg(high)} AND end_time >= {arg(low)} "
        f"ORDER BY start_time, id LIMIT {LONG_LIMIT})"
    )
    return sql, args


def utc_span(first: date, following: date) -> tuple[datetime, datetime]:
    """The UTC span that holds every local day from `first` to before `following`, in any
    zone."""
    return (datetime.combine(first, time(), UTC) - EARLIEST_OFFSET,
            datetime.combine(following, time(), UTC) + LATEST_OFFSET)


async def month(
    conn: asyncpg.Connection, f: FeedFilter, year: int, month: int, per_day: int = PER_DAY,
) -> list[asyncpg.Record]:
    """The month grid's events, each once, by start time."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    sql, args = build_month(f, first, following, per_day)
    unique = {row["id"]: row for row in await conn.fetch(sql, *args)}
    return sorted(unique.values(), key=lambda row: (row["start_time"], row["id"]))


INITIATIVE_EVENTS = f"""
SELECT {COLUMNS} FROM objects
WHERE initiative_iri = $1 AND kind = 'event' AND deleted_at IS NULL
  AND coalesce(end_time, start_time) >= $2
ORDER BY start_time, id LIMIT $3
"""


async def of_initiative(
    conn: asyncpg.Connection, initiative_iri: str, now: datetime, limit: int = 20
) -> list[asyncpg.Record]:
    """An initiative's events that have not ended, soonest first."""
    return list(await conn.fetch(INITIATIVE_EVENTS, initiative_iri, now, limit))


# ----------------------------------------------------------------------------- pure parts


def local_start(row: Any, fallback: ZoneInfo) -> datetime:
    """The event's start in its own zone (the instance's when it names none we know)."""
    tz = event_zone(row["timezone"]) or fallback
    start: datetime = row["start_time"]
    return start.astimezone(tz)


def local_days(row: Any, fallback: ZoneInfo) -> list[date]:
    """Every day the event covers in its own zone, from its start to its end (an end at
    midnight does not add the next day)."""
    tz = event_zone(row["timezone"]) or fallback
    first = row["start_time"].astimezone(tz)
    last = (row["end_time"] or row["start_time"]).astimezone(tz)
    if last > first and last.time() == time(0):
        last -= timedelta(microseconds=1)
    days: list[date] = []
    current = first.date()
    while current <= last.date() and len(days) < 366:
        days.append(current)
        current += timedelta(days=1)
    return days


@dataclass
class Day:
    day: date
    items: list[Any] = field(default_factory=list)


def group_by_day(rows: Sequence[Any], fallback: ZoneInfo) -> list[Day]:
    """Consecutive rows under the local day each starts on (rows come sorted by start)."""
    days: list[Day] = []
    for row in rows:
        day = local_start(row, fallback).date()
        if not days or days[-1].day != day:
            days.append(Day(day))
        days[-1].items.append(row)
    return days


def neighbours(year: int, month: int) -> tuple[tuple[int, int], tuple[int, int]]:
    before = (year - 1, 12) if month == 1 else (year, month - 1)
    after = (year + 1, 1) if month == 12 else (year, month + 1)
    return before, after


def is_long(row: Any) -> bool:
    end: datetime | None = row["end_time"]
    return end is not None and end - row["start_time"] > LONG_EVENT


@dataclass
class Cell:
    day: date | None
    """None for the blank cells before the first and after the last day."""
    items: list[Any] = field(default_factory=list)
    more: bool = False
    """The day has more events than it lists (its own agenda lists them all)."""


def month_grid(
    year: int, month: int, rows: Sequence[Any], fallback: ZoneInfo, per_day: int = PER_DAY,
) -> list[list[Cell]]:
    """Weeks (Monday first, as in France) of cells, each listing up to `per_day` events on
    that local day of theirs: long events on every day they cover, others on the day they
    start (rows come sorted by start)."""
    by_day: dict[date, list[Any]] = {}
    for row in rows:
        days = local_days(row, fallback) if is_long(row) else [local_start(row, fallback).date()]
        for day in days:
            if day.year == year and day.month == month:
                by_day.setdefault(day, []).append(row)
    weeks: list[list[Cell]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for day in week:
            if day.month != month:
                cells.append(Cell(None))
                continue
            items = by_day.get(day, [])
            cells.append(Cell(day, items[:per_day], more=len(items) > per_day))
        weeks.append(cells)
    return weeks
