"""The `deliveries` table: one row per (activity, inbox), the unit of delivery.

Fan-out writes the rows (with a NULL `body`: send the activity's `raw`; a row may carry its
own body, so one activity can take a different shape per peer). Deliverers claim due rows
in short transactions (`FOR UPDATE SKIP LOCKED` and a lease), POST outside any transaction,
and record each outcome as soon as it is known.
"""

from __future__ import annotations

import asyncpg

CLAIM_FANOUT = """
SELECT id, actor_iri, recipients, to_followers, public FROM activities
WHERE NOT fanned_out ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
# One follower per target inbox (the shared one, else its own), as fan-out keeps only the
# distinct targets: 10,000 followers on 500 servers are 500 rows, not 10,000.
FOLLOWER_INBOXES = """
SELECT DISTINCT ON (coalesce(a.shared_inbox, a.inbox)) a.iri, a.inbox, a.shared_inbox
FROM follows f JOIN actors a ON a.iri = f.follower_iri
WHERE f.followee_iri = $1 AND f.state = 'accepted' AND NOT a.local
ORDER BY coalesce(a.shared_inbox, a.inbox), a.iri
"""
RECIPIENT_INBOXES = "SELECT iri, inbox, shared_inbox FROM actors WHERE iri = ANY($1::text[])"
# Blocked inboxes (decided by the caller) and hosts marked unavailable are written skipped.
INSERT_DELIVERIES = """
INSERT INTO deliveries (activity_id, inbox, host, state)
SELECT $1, t.inbox, t.host,
       CASE WHEN t.blocked OR h.unavailable THEN 'skipped' ELSE 'pending' END
FROM unnest($2::text[], $3::text[], $4::boolean[]) AS t(inbox, host, blocked)
LEFT JOIN hosts h ON h.host = t.host
ON CONFLICT (activity_id, inbox) DO NOTHING
"""
MARK_FANNED_OUT = "UPDATE activities SET fanned_out = true WHERE id = $1"

CLAIM_DELIVERIES = """
UPDATE deliveries d SET locked_until = now() + make_interval(secs => $2),
                        attempts = d.attempts + 1
FROM activities a
WHERE a.id = d.activity_id AND d.id IN (
    SELECT id FROM deliveries
    WHERE state = 'pending' AND next_attempt_at <= now()
      AND (locked_until IS NULL OR locked_until < now())
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.activity_id, d.inbox, d.host, d.attempts, d.created_at, a.actor_iri,
          a.iri AS activity_iri, coalesce(d.body, a.raw)::text AS body,
          d.body IS NOT NULL AS own_body
"""
RECORD_DONE = """
UPDATE deliveries SET state = 'done', last_status = $2, finished_at = now(), locked_until = NULL,
                      last_error = NULL
WHERE id = $1
"""
RECORD_DONE_MANY = """
UPDATE deliveries AS d SET state = 'done', last_status = u.status, finished_at = now(),
                           locked_until = NULL, last_error = NULL
FROM unnest($1::bigint[], $2::int[]) AS u(id, status)
WHERE d.id = u.id
"""
RECORD_RETRY = """
UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $2), locked_until = NULL,
                      last_status = $3, last_error = $4
WHERE id = $1
"""
RECORD_FINISHED = """
UPDATE deliveries SET state = $2, last_status = $3, last_error = $4, finished_at = now(),
                      locked_until = NULL
WHERE id = $1
"""
SKIP_HOST = """
UPDATE deliveries SET state = 'skipped', finished_at = now(), locked_until = NULL
WHERE host = $1 AND state = 'pending'
"""


async def claim_fanout(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Activities not fanned out yet, locked until the caller's transaction ends."""
    return list(await conn.fetch(CLAIM_FANOUT, limit))


async def follower_inboxes(conn: asyncpg.Connection, actor_iri: str) -> list[asyncpg.Record]:
    """Columns iri, inbox, shared_inbox of the actor's accepted remote followers, one per
    target inbox (`FOLLOWER_INBOXES`)."""
    return list(await conn.fetch(FOLLOWER_INBOXES, actor_iri))


async def recipient_inboxes(conn: asyncpg.Connection, iris: list[str]) -> list[asyncpg.Record]:
    """Columns iri, inbox, shared_inbox of the named actors we know."""
    return list(await conn.fetch(RECIPIENT_INBOXES, iris))


async def insert_deliveries(
    conn: asyncpg.Connection,
    activity_id: int,
    inboxes: list[str],
    hosts: list[str],
    blocked: list[bool],
) -> None:
    await conn.execute(INSERT_DELIVERIES, activity_id, inboxes, hosts, blocked)


async def mark_fanned_out(conn: asyncpg.Connection, activity_id: int) -> None:
    await conn.execute(MARK_FANNED_OUT, activity_id)


async def claim_due(conn: asyncpg.Connection, limit: int, lease: float) -> list[asyncpg.Record]:
    """Due pending rows, leased for `lease` seconds, `attempts` counting this one. Columns
    id, activity_id, inbox, host, attempts, created_at, actor_iri, activity_iri, body (the
    row's own, else the activity's, as JSON text: it is sent as is, never decoded) and
    own_body."""
    return list(await conn.fetch(CLAIM_DELIVERIES, limit, lease))


async def record_done(conn: asyncpg.Connection, delivery_id: int, status: int | None) -> None:
    await conn.execute(RECORD_DONE, delivery_id, status)


async def record_done_many(
    conn: asyncpg.Connection, delivery_ids: list[int], statuses: list[int | None]
) -> None:
    """`record_done` for many deliveries in one statement."""
    await conn.execute(RECORD_DONE_MANY, delivery_ids, statuses)


async def record_retry(
    conn: asyncpg.Connection, delivery_id: int, delay: float, status: int | None,
    error: str | None,
) -> None:
    await conn.execute(RECORD_RETRY, delivery_id, delay, status, error)


async def record_finished(
    conn: asyncpg.Connection, delivery_id: int, state: str, status: int | None,
    error: str | None,
) -> None:
    """`failed` (given up) or `skipped` (not sent: blocked, host unavailable)."""
    await conn.execute(RECORD_FINISHED, delivery_id, state, status, error)


async def skip_host(conn: asyncpg.Connection, host: str) -> None:
    """Every pending delivery to an unavailable host is skipped."""
    await conn.execute(SKIP_HOST, host)

