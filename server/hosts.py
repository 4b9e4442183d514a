"""What we know of peer hosts: failing, unavailable, and which signature scheme they accept."""

from __future__ import annotations

import asyncpg

HOST_ANSWERED = """
INSERT INTO hosts (host, accepts_rfc9421) VALUES ($1, $2)
ON CONFLICT (host) DO UPDATE SET
    failing_since = NULL, unavailable = false,
    accepts_rfc9421 = hosts.accepts_rfc9421 OR EXCLUDED.accepts_rfc9421
WHERE hosts.failing_since IS NOT NULL OR hosts.unavailable
   OR (EXCLUDED.accepts_rfc9421 AND NOT hosts.accepts_rfc9421)
"""
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


async def host_answered(conn: asyncpg.Connection, host: str, *, rfc9421: bool = False) -> None:
    """The host signed a request to us: it is alive again, and tells us its scheme.
    Writes nothing in the common case where nothing changes."""
    await conn.execute(HOST_ANSWERED, host, rfc9421)


async def host_took_delivery(conn: asyncpg.Connection, host: str) -> None:
    await conn.execute(DELIVERED, host)


async def host_failed(conn: asyncpg.Connection, host: str, unavailable_after: float) -> bool:
    """Record a failure; return True when the host has now failed for too long."""
    return bool(await conn.fetchval(HOST_FAILED, host, unavailable_after))
