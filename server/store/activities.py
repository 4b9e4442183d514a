"""The `activities` table: what local actors published, kept for delivery and dereferencing.

A row is written in the publishing transaction and fanned out by the worker; our activity ids
stay fetchable (Mastodon fetches a Follow's id to check it).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from federation import activities as outgoing

INSERT_ACTIVITY = """
INSERT INTO activities (iri, actor_iri, type, object_iri, raw, recipients, to_followers, public)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (iri) DO NOTHING
RETURNING id
"""
ACTIVITY_BY_IRI = "SELECT raw, public FROM activities WHERE iri = $1"
OUTBOX_COUNT = """
SELECT count(*) FROM objects WHERE actor_iri = $1 AND local AND deleted_at IS NULL
"""
# The outbox shows each live object once, as the `Create` that announced it carrying the
# object's current version; the activity itself is built by `federation.activities`.
OUTBOX_PAGE = """
SELECT o.id, a.iri AS activity_iri, o.actor_iri, a.raw -> 'object' -> 'published' AS published,
       a.raw -> 'to' AS "to", a.raw -> 'cc' AS cc, o.document
FROM objects o JOIN activities a ON a.object_iri = o.iri AND a.type = 'Create'
WHERE o.actor_iri = $1 AND o.local AND o.deleted_at IS NULL AND o.id < $2
ORDER BY o.id DESC LIMIT $3
"""


async def insert_activity(
    conn: asyncpg.Connection,
    activity: dict[str, Any],
    object_iri: str | None,
    *,
    recipients: list[str],
    to_followers: bool,
    public: bool,
) -> int | None:
    """Record an activity; None when one with this id is already stored."""
    row_id = await conn.fetchval(
        INSERT_ACTIVITY,
        activity["id"],
        activity["actor"],
        activity["type"],
        object_iri,
        activity,
        recipients,
        to_followers,
        public,
    )
    return int(row_id) if row_id is not None else None


async def activity_by_iri(conn: asyncpg.Connection, iri: str) -> asyncpg.Record | None:
    """Columns raw, public."""
    return await conn.fetchrow(ACTIVITY_BY_IRI, iri)


async def outbox_count(conn: asyncpg.Connection, actor_iri: str) -> int:
    return int(await conn.fetchval(OUTBOX_COUNT, actor_iri))


async def outbox_page(
    conn: asyncpg.Connection, actor_iri: str, max_id: int, limit: int
) -> list[dict[str, Any]]:
    """Keys id (the object's, the keyset) and item (the `Create` to show)."""
    rows = await conn.fetch(OUTBOX_PAGE, actor_iri, max_id, limit)
    return [
        {
            "id": r["id"],
            "item": outgoing.outbox_create(
                r["activity_iri"], r["actor_iri"], r["document"],
                published=r["published"], to=r["to"], cc=r["cc"],
            ),
        }
        for r in rows
    ]
