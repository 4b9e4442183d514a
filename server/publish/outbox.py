"""Publishing: an activity row, in the caller's transaction, that the worker fans out.

The row is the durable record: once the caller's transaction commits, the activity will reach
every recipient even if this process dies right after.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from federation.vocab import id_of

INSERT_ACTIVITY = """
INSERT INTO activities (iri, actor_iri, type, object_iri, raw, recipients, to_followers, public)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (iri) DO NOTHING
RETURNING id
"""
WORK_CHANNEL = "maillage_work"


def new_activity_id(base_url: str) -> str:
    return f"{base_url}/activities/{uuid.uuid4()}"


async def publish(
    conn: asyncpg.Connection,
    activity: dict[str, Any],
    *,
    recipients: list[str] | None = None,
    to_followers: bool = False,
    public: bool = False,
) -> int | None:
    """Record `activity` for delivery to `recipients` (actor ids) and/or the actor's followers."""
    row_id = await conn.fetchval(
        INSERT_ACTIVITY,
        activity["id"],
        activity["actor"],
        activity["type"],
        id_of(activity.get("object")),
        activity,
        recipients or [],
        to_followers,
        public,
    )
    await conn.execute(f"NOTIFY {WORK_CHANNEL}")
    return int(row_id) if row_id is not None else None
