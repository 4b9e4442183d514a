"""The `invitations` table: single-use links that let someone create an account.

Only the SHA-256 of the link's token is stored, like sessions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

INSERT_INVITATION = """
INSERT INTO invitations (token_hash, role, created_by, expires_at)
VALUES ($1, $2, $3, now() + $4::interval)
RETURNING expires_at
"""
LIST_INVITATIONS = """
SELECT i.token_hash, i.role, i.created_at, i.expires_at, i.used_at,
       i.expires_at <= now() AS expired, a.email AS created_by
FROM invitations i LEFT JOIN accounts a ON a.id = i.created_by
ORDER BY i.created_at DESC LIMIT 100
"""
DELETE_INVITATION = "DELETE FROM invitations WHERE token_hash = $1 AND used_at IS NULL"
INVITATION = """
SELECT role, used_at IS NULL AND expires_at > now() AS usable
FROM invitations WHERE token_hash = $1
"""
INVITATION_FOR_UPDATE = INVITATION + " FOR UPDATE"
USE_INVITATION = "UPDATE invitations SET used_at = now() WHERE token_hash = $1"


async def insert_invitation(
    conn: asyncpg.Connection, token_hash: str, role: str, created_by: int | None,
    lifetime: timedelta,
) -> datetime:
    """Record an invitation; return when it expires."""
    expires_at: datetime = await conn.fetchval(
        INSERT_INVITATION, token_hash, role, created_by, lifetime
    )
    return expires_at


async def list_invitations(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Newest first, with whether each has expired and its creator's email."""
    return list(await conn.fetch(LIST_INVITATIONS))


async def delete_invitation(conn: asyncpg.Connection, token_hash: str) -> None:
    """Withdraw an invitation not used yet (a used one stays, as the record of who joined)."""
    await conn.execute(DELETE_INVITATION, token_hash)


async def invitation(
    conn: asyncpg.Connection, token_hash: str, *, for_update: bool = False
) -> asyncpg.Record | None:
    """Columns role, usable (not used, not expired). `for_update` locks the row until the
    transaction ends, so two people cannot use one link at once."""
    return await conn.fetchrow(INVITATION_FOR_UPDATE if for_update else INVITATION, token_hash)


async def use_invitation(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute(USE_INVITATION, token_hash)
