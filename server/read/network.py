"""Who is in this instance's network: the territories it follows and those following it,
and how a reader's `territory=` (handle or IRI) names one of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from server.read.filters import Territory

ACTOR_NAMES = "SELECT iri, name, username, domain FROM actors WHERE iri = ANY($1::text[])"
ACTOR_BY_IRI = "SELECT iri, name, username, domain FROM actors WHERE iri = $1"
ACTOR_BY_HANDLE = """
SELECT iri, name, username, domain FROM actors
WHERE lower(username) = $1 AND lower(domain) = $2 ORDER BY local DESC, id LIMIT 1
"""
NETWORK = """
WITH linked AS (
    SELECT followee_iri AS iri, 'following' AS relation FROM follows
    WHERE follower_iri = $1 AND state = 'accepted'
    UNION ALL
    SELECT follower_iri, 'follower' FROM follows WHERE followee_iri = $1 AND state = 'accepted'
)
SELECT a.iri, a.name, a.username, a.domain, a.summary, a.url, a.place_name, a.latitude,
       a.longitude, a.type, array_agg(DISTINCT l.relation) AS relations,
       (SELECT count(*) FROM objects o WHERE o.actor_iri = a.iri AND o.deleted_at IS NULL)
           AS items,
       (SELECT max(o.published) FROM objects o
        WHERE o.actor_iri = a.iri AND o.deleted_at IS NULL) AS last_activity
FROM linked l JOIN actors a ON a.iri = l.iri
GROUP BY a.id
ORDER BY a.name, a.iri
"""
MEMBERS = """
SELECT DISTINCT a.iri, a.name, a.username, a.domain FROM follows f
JOIN actors a ON a.iri = CASE WHEN f.follower_iri = $1 THEN f.followee_iri ELSE f.follower_iri END
WHERE (f.follower_iri = $1 OR f.followee_iri = $1) AND f.state = 'accepted'
  AND a.type IN ('Group', 'Organization', 'Application', 'Service')
ORDER BY a.name, a.iri
"""
LOCAL_COUNTS = """
SELECT count(*) AS items, max(published) AS last_activity FROM objects
WHERE actor_iri = $1 AND deleted_at IS NULL
"""


async def resolve(conn: asyncpg.Connection, named: Territory) -> asyncpg.Record | None:
    """The actor a reader named, if this instance knows it."""
    if named.iri is not None:
        return await conn.fetchrow(ACTOR_BY_IRI, named.iri)
    return await conn.fetchrow(ACTOR_BY_HANDLE, named.username, named.domain)


async def names(conn: asyncpg.Connection, iris: Iterable[str]) -> dict[str, asyncpg.Record]:
    wanted = sorted(set(iris))
    if not wanted:
        return {}
    return {r["iri"]: r for r in await conn.fetch(ACTOR_NAMES, wanted)}


async def with_names(conn: asyncpg.Connection, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows as dicts with the name of their source territory (`actor_name`), read for the
    whole list in one query."""
    listed = [dict(row) for row in rows]
    known = await names(conn, (row["actor_iri"] for row in listed))
    for row in listed:
        actor = known.get(row["actor_iri"])
        row["actor_name"] = actor["name"] if actor else None
        row["actor_handle"] = f"{actor['username']}@{actor['domain']}" if actor else None
    return listed


async def network(conn: asyncpg.Connection, local_iri: str) -> list[asyncpg.Record]:
    """Followed and following actors, with their item counts and last publication."""
    return list(await conn.fetch(NETWORK, local_iri))


async def members(conn: asyncpg.Connection, local_iri: str) -> list[asyncpg.Record]:
    """The territories followed or following, names only (what the filter form offers;
    cheap enough for every page, unlike `network()`'s counts)."""
    return list(await conn.fetch(MEMBERS, local_iri))


async def local_counts(conn: asyncpg.Connection, local_iri: str) -> asyncpg.Record:
    row = await conn.fetchrow(LOCAL_COUNTS, local_iri)
    assert row is not None
    return row
