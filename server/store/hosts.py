"""What we know of peer hosts: failing, unavailable, and which signature scheme they accept."""

from __future__ import annotations

import asyncpg

# Used inside the inbox's store statement, whose parameters $5, $6 are the sender's host and
# whether it signed with RFC 9421. The sender is alive: clear its failures, and remember that
# it verifies RFC 9421. Both touch (and lock) the host's row only when something changes, so
# a busy peer's requests do not queue behind each other.
HOST_ANSWERED = """
revived AS (
    UPDATE hosts SET failing_since = NULL, unavailable = false,
                     accepts_rfc9421 = accepts_rfc9421 OR $6
    WHERE host = $5 AND (failing_since IS NOT NULL OR unavailable OR ($6 AND NOT accepts_rfc9421))
), first_seen AS (
    INSERT INTO hosts (host, accepts_rfc9421)
    SELECT $5, true WHERE $6 AND NOT EXISTS (SELECT 1 FROM hosts WHERE host = $5)
    ON CONFLICT (host) DO NOTHING
)"""
DELIVERED = """
INSERT INTO hosts (host, last_success_at) VALUES ($1, now())
ON CONFLICT (host) DO UPDATE SET failing_since = NULL, unavailable = false, last_success_at = now()
"""
HOST_FAILED = """
INSERT INTO hosts (host, failing_since) VALUES ($1, now())
ON CONFLICT (host) DO UPDATE SET
    failing_since = coalesce(hosts.failing_since, now()),
    unavailable = hosts.unavailable
        OR coalesce(hosts.failing_since, now()) < now() - make_interval(secs => $2)
RETURNING unavailable
"""
REFUSES_RFC9421 = "UPDATE hosts SET accepts_rfc9421 = false WHERE host = $1"


async def host_took_delivery(conn: asyncpg.Connection, host: str) -> None:
    await conn.execute(DELIVERED, host)


async def host_failed(conn: asyncpg.Connection, host: str, unavailable_after: float) -> bool:
    """Record a failure; return True when the host has now failed for too long."""
    return bool(await conn.fetchval(HOST_FAILED, host, unavailable_after))
