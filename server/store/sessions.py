"""The `sessions` table: signed-in browsers, by the SHA-256 of their cookie's token."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

INSERT_SESSION = """
INSERT INTO sessions (token_hash, account_id, csrf_token, expires_at)
VALUES ($1, $2, $3, now() + $4::interval)
"""
SESSION_ACCOUNT = """
SELECT a.id, a.email, a.role, s.csrf_token, s.token_hash, s.expires_at
FROM sessions s JOIN accounts a ON a.id = s.account_id
WHERE s.token_hash = $1 AND s.expires_at > now()
"""
DELETE_SESSION = "DELETE FROM sessions WHERE token_hash = $1"
DELETE_EXPIRED = "DELETE FROM sessions WHERE expires_at <= now()"


async def insert_session(
    conn: asyncpg.Connection, token_hash: str, account_id: int, csrf_token: str,
    lifetime: timedelta,
) -> None:
    await conn.execute(INSERT_SESSION, token_hash, account_id, csrf_token, lifetime)


async def session_account(conn: asyncpg.Connection, token_hash: str) -> asyncpg.Record | None:
    """The live session's account (columns id, email, role, csrf_token, token_hash,
    expires_at), or None when unknown or expired."""
    return await conn.fetchrow(SESSION_ACCOUNT, token_hash)


async def delete_session(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute(DELETE_SESSION, token_hash)


async def delete_expired(conn: asyncpg.Connection) -> None:
    await conn.execute(DELETE_EXPIRED)
