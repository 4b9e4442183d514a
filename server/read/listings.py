"""The lists pages show: a territory's own newest items on its page, a theme's items.

Every listing is a feed query (`server.read.feed`: indexed, keyset-paged); this module only
adds what a page shows beside the row, the name of a remote item's territory, read for the
whole page in one query.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from server.read import feed

HOME_SIZE = 20
"""Items on a territory's page."""
THEME_SIZE = 50
"""Items on a theme's page."""

ACTOR_NAMES = "SELECT iri, name FROM actors WHERE iri = ANY($1::text[])"


async def _with_actor_names(
    conn: asyncpg.Connection, rows: list[asyncpg.Record]
) -> list[dict[str, Any]]:
    iris = sorted({row["actor_iri"] for row in rows if row["actor_iri"]})
    names: dict[str, str | None] = {}
    if iris:
        names = {r["iri"]: r["name"] for r in await conn.fetch(ACTOR_NAMES, iris)}
    return [{**dict(row), "actor_name": names.get(row["actor_iri"])} for row in rows]


async def by_territory(
    conn: asyncpg.Connection, actor_iri: str, limit: int = HOME_SIZE
) -> list[dict[str, Any]]:
    """One territory's own initiatives and events, newest first: its page shows these and
    links to the feed of its network (issue 9)."""
    rows = await feed.page(conn, feed.FeedFilter(actor=actor_iri, limit=limit))
    return await _with_actor_names(conn, rows)


async def by_theme(
    conn: asyncpg.Connection, theme: str, limit: int = THEME_SIZE
) -> list[dict[str, Any]]:
    """A theme's initiatives and events, newest first."""
    rows = await feed.page(conn, feed.FeedFilter(theme=theme, limit=limit))
    return await _with_actor_names(conn, rows)
