"""Feed queries over stored initiatives and events, local and remote.

The filters the merged timeline offers (type, theme, territory, date range, map bounds,
French full text) compose into one query; every variant is served by an index and pages by
keyset (`published`, `id`), never by OFFSET. `build()` is pure, so the SQL can be tested and
`EXPLAIN`ed without running it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

PAGE_SIZE = 20
COLUMNS = (
    "id, iri, kind, local, actor_iri, url, title, summary, themes, place_name, latitude, "
    "longitude, start_time, end_time, timezone, status, image_url, image_alt, published"
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
    before: tuple[datetime, int] | None = None
    """Keyset: the (published, id) of the last item of the previous page."""
    limit: int = PAGE_SIZE


def build(f: FeedFilter) -> tuple[str, list[Any]]:
    """SQL and parameters for one page. Date-range queries list events by start time;
    everything else lists newest first."""
    where = ["deleted_at IS NULL"]
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    upcoming = f.starts_after is not None or f.starts_before is not None
    if upcoming or f.kind == "event":
        where.append("kind = 'event'")
    elif f.kind is not None:
        where.append(f"kind = {arg(f.kind)}")
    if f.theme is not None:
        where.append(f"themes @> ARRAY[{arg(f.theme)}]::text[]")
    if f.actor is not None:
        where.append(f"actor_iri = {arg(f.actor)}")
    if f.starts_after is not None:
        where.append(f"start_time >= {arg(f.starts_after)}")
    if f.starts_before is not None:
        where.append(f"start_time < {arg(f.starts_before)}")
    if f.bounds is not None:
        west, south, east, north = f.bounds
        where.append(
            f"geo <@ box(point({arg(west)}, {arg(south)}), point({arg(east)}, {arg(north)}))"
        )
    if f.text:
        where.append(f"search @@ websearch_to_tsquery('french', {arg(f.text)})")
    if upcoming:
        if f.before is not None:
            where.append(f"(start_time, id) > ({arg(f.before[0])}, {arg(f.before[1])})")
        order = "start_time, id"
    else:
        if f.before is not None:
            where.append(f"(published, id) < ({arg(f.before[0])}, {arg(f.before[1])})")
        order = "published DESC, id DESC"
    sql = (
        f"SELECT {COLUMNS} FROM objects WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT {arg(max(1, min(f.limit, 100)))}"
    )
    return sql, args


async def page(conn: asyncpg.Connection, f: FeedFilter) -> list[asyncpg.Record]:
    sql, args = build(f)
    return list(await conn.fetch(sql, *args))
