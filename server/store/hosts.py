"""What we know of peer hosts: failing, unavailable, and which signature scheme they accept."""

from __future__ import annotations

import asyncpg

# A sender heard from is marked alive by the inbox's own statement (inbox_log.STORE_RECEIVED).
DELIVERED = """
INSERT INTO hosts (host, last_success_at) VALUES ($1, now())
ON CONFLICT (host) DO UPDATE SET failing_since = NULL, unavailable = false, last_success_at = now()
"""
DELIVERED_MANY = """
INSERT INTO hosts (host, last_success_at) SELECT unnest($1::text[]), now()
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
HOSTS_RFC9421 = "SELECT host FROM hosts WHERE host = ANY($1::text[]) AND accepts_rfc9421"


async def host_took_delivery(conn: asyncpg.Connection, host: str) -> None:
    await conn.execute(DELIVERED, host)


async def hosts_took_deliveries(conn: asyncpg.Connection, hosts: list[str]) -> None:
    """`host_took_delivery` for many hosts in one statement; sorted, so two workers lock
    the rows in the same order."""
    await conn.execute(DELIVERED_MANY, sorted(set(hosts)))


async def host_failed(conn: asyncpg.Connection, host: str, unavailable_after: float) -> bool:
    """Record a failure; return True when the host has now failed for too long."""
    return bool(await conn.fetchval(HOST_FAILED, host, unavailable_after))


async def hosts_accepting_rfc9421(conn: asyncpg.Connection, hosts: list[str]) -> set[str]:
    """Those of `hosts` we sign to with RFC 9421 (they signed to us that way)."""
    return {r["host"] for r in await conn.fetch(HOSTS_RFC9421, hosts)}


async def host_refuses_rfc9421(conn: asyncpg.Connection, host: str) -> None:
    """It refused our RFC 9421 signature: sign to it the cavage way from now on."""
    await conn.execute(REFUSES_RFC9421, host)
