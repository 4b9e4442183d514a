"""The `domain_blocks` table: domains (and their subdomains) this instance refuses."""

from __future__ import annotations

import asyncpg

LIST_BLOCKS = "SELECT domain, reason, created_at FROM domain_blocks ORDER BY domain LIMIT 1000"
UPSERT_BLOCK = """
INSERT INTO domain_blocks (domain, reason) VALUES ($1, $2)
ON CONFLICT (domain) DO UPDATE SET reason = EXCLUDED.reason
"""
DELETE_BLOCK = "DELETE FROM domain_blocks WHERE domain = $1"
BLOCKED_DOMAINS = "SELECT domain FROM domain_blocks"


async def list_blocks(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Columns domain, reason, created_at; in domain order."""
    return list(await conn.fetch(LIST_BLOCKS))


async def block(conn: asyncpg.Connection, domain: str, reason: str) -> None:
    """Block a domain; blocking it again replaces the reason."""
    await conn.execute(UPSERT_BLOCK, domain, reason)


async def unblock(conn: asyncpg.Connection, domain: str) -> bool:
    """Lift a block; False when the domain was not blocked."""
    status: str = await conn.execute(DELETE_BLOCK, domain)
    return status != "DELETE 0"


async def blocked_domains(conn: asyncpg.Connection) -> frozenset[str]:
    return frozenset(r["domain"] for r in await conn.fetch(BLOCKED_DOMAINS))
