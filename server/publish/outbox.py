"""Publishing: an activity row, in the caller's transaction, that the worker fans out.

The row is the durable record: once the caller's transaction commits, the activity will reach
every recipient even if this process dies right after.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from federation.vocab import id_of
from server.store import activities
from server.store.db import WORK_CHANNEL


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
    row_id = await activities.insert_activity(
        conn,
        activity,
        id_of(activity.get("object")),
        recipients=recipients or [],
        to_followers=to_followers,
        public=public,
    )
    await conn.execute(f"NOTIFY {WORK_CHANNEL}")
    return row_id
