"""The `inbox_log` table: received activities waiting for, or done with, processing.

Rows are written by the inbox (`store_received`, one statement that also tells `hosts` the
sender is alive and wakes the workers) and claimed by workers here. `attempts`
counts claims, so an activity whose processing kills the worker each time still ends:
once it has been claimed `max_attempts` times and its lease ran out, it is given up.

`result` says what processing did; it starts with `failed` when processing raised. While
the activity is still to be retried the row keeps `processed_at` NULL and the last error in
`result`; when given up `processed_at` is set. Administrators list both with
`FAILED_ACTIVITIES`.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from server.store.db import WORK_CHANNEL

LEASE = "5 minutes"

# One round trip: store once by id; the sender ($5, its host) is alive, so clear its failures
# and remember whether it signs with RFC 9421 ($6), touching (and locking) the host's row only
# when something changes, so a busy peer's requests do not queue behind each other; wake the
# workers if the activity is new.
STORE_RECEIVED = f"""
WITH stored AS (
    INSERT INTO inbox_log (activity_iri, actor_iri, type, raw) VALUES ($1, $2, $3, $4)
    ON CONFLICT (activity_iri) DO NOTHING
    RETURNING id
), revived AS (
    UPDATE hosts SET failing_since = NULL, unavailable = false,
                     accepts_rfc9421 = accepts_rfc9421 OR $6
    WHERE host = $5 AND (failing_since IS NOT NULL OR unavailable OR ($6 AND NOT accepts_rfc9421))
), first_seen AS (
    INSERT INTO hosts (host, accepts_rfc9421)
    SELECT $5, true WHERE $6 AND NOT EXISTS (SELECT 1 FROM hosts WHERE host = $5)
    ON CONFLICT (host) DO NOTHING
)
SELECT pg_notify('{WORK_CHANNEL}', '') FROM stored
"""

# Rows claimed `max_attempts` times whose lease ran out never finished: the worker died on
# them (or lost its connection) every time. Give them up before claiming more.
GIVE_UP_CRASHED = """
UPDATE inbox_log
SET processed_at = now(),
    result = left('failed: given up after ' || attempts || ' attempts'
                  || coalesce(' (last: ' || result || ')', ''), 2000)
WHERE processed_at IS NULL AND attempts >= $1 AND locked_until < now()
"""
CLAIM = f"""
UPDATE inbox_log SET locked_until = now() + interval '{LEASE}', attempts = attempts + 1
WHERE id IN (
    SELECT id FROM inbox_log
    WHERE processed_at IS NULL AND attempts < $2
      AND (locked_until IS NULL OR locked_until < now())
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING id, raw, attempts
"""
MARK_PROCESSED = "UPDATE inbox_log SET processed_at = now(), result = left($2, 2000) WHERE id = $1"
MARK_PROCESSED_MANY = """
UPDATE inbox_log AS l SET processed_at = now(), result = left(u.result, 2000)
FROM unnest($1::bigint[], $2::text[]) AS u(id, result)
WHERE l.id = u.id
"""
# Left for a later claim when its lease ends; the error is kept for administrators.
MARK_FAILED_FOR_NOW = "UPDATE inbox_log SET result = left($2, 2000) WHERE id = $1"
RECEIVED_RAW = "SELECT raw FROM inbox_log WHERE activity_iri = $1"
FAILED_ACTIVITIES = """
SELECT id, activity_iri, actor_iri, type, received_at, processed_at, attempts, result
FROM inbox_log WHERE result LIKE 'failed%'
ORDER BY id DESC LIMIT $1
"""


async def store_received(
    conn: asyncpg.Connection,
    *,
    activity_iri: str,
    actor_iri: str,
    type_: str,
    raw: dict[str, Any],
    sender_host: str,
    rfc9421: bool,
) -> None:
    """Keep a verified activity (once per id) for the workers; see `STORE_RECEIVED`."""
    await conn.execute(
        STORE_RECEIVED, activity_iri, actor_iri, type_, raw, sender_host, rfc9421
    )


async def claim(conn: asyncpg.Connection, limit: int, max_attempts: int) -> list[asyncpg.Record]:
    async with conn.transaction():
        await conn.execute(GIVE_UP_CRASHED, max_attempts)
        rows = await conn.fetch(CLAIM, limit, max_attempts)
    # UPDATE … RETURNING gives no order: sort, as one actor's activities apply in this order.
    return sorted(rows, key=lambda row: row["id"])


async def mark_processed(conn: asyncpg.Connection, row_id: int, result: str) -> None:
    await conn.execute(MARK_PROCESSED, row_id, result)


async def mark_processed_many(conn: asyncpg.Connection, results: dict[int, str]) -> None:
    """`mark_processed` for a whole batch in one statement (row id -> result)."""
    await conn.execute(MARK_PROCESSED_MANY, list(results), list(results.values()))


async def mark_failed(
    conn: asyncpg.Connection, row_id: int, error: str, *, attempts: int, max_attempts: int
) -> bool:
    """Record a failure; True when that was the last attempt and the activity is given up."""
    if attempts >= max_attempts:
        await conn.execute(
            MARK_PROCESSED, row_id, f"failed: given up after {attempts} attempts: {error}"
        )
        return True
    await conn.execute(
        MARK_FAILED_FOR_NOW, row_id, f"failed (attempt {attempts} of {max_attempts}): {error}"
    )
    return False


async def failed_activities(conn: asyncpg.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """For the admin page: activities whose processing failed, newest first."""
    return [dict(row) for row in await conn.fetch(FAILED_ACTIVITIES, limit)]


async def received_raw(conn: asyncpg.Connection, activity_iri: str | None) -> Any:
    """The activity as received under this id (a Follow we answer late), or None."""
    return await conn.fetchval(RECEIVED_RAW, activity_iri)
