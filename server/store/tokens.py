"""The `api_tokens` table: bearer tokens of the JSON API, by their SHA-256."""

from __future__ import annotations

import asyncpg

TOKEN_ACCOUNT = """
UPDATE api_tokens t SET last_used_at = now()
FROM accounts a
WHERE t.token_hash = $1 AND a.id = t.account_id
RETURNING a.id, a.email, a.role, t.name
"""
INSERT_TOKEN = "INSERT INTO api_tokens (token_hash, account_id, name) VALUES ($1, $2, $3)"
LIST_TOKENS = """
SELECT t.token_hash, t.name, t.created_at, t.last_used_at, a.email
FROM api_tokens t JOIN accounts a ON a.id = t.account_id
ORDER BY t.created_at DESC LIMIT 500
"""
DELETE_TOKEN = "DELETE FROM api_tokens WHERE token_hash = $1"


async def token_account(conn: asyncpg.Connection, token_hash: str) -> asyncpg.Record | None:
    """The token's account (columns id, email, role, and the token's name), marking the
    token used now; None for an unknown token."""
    return await conn.fetchrow(TOKEN_ACCOUNT, token_hash)


async def insert_token(
    conn: asyncpg.Connection, token_hash: str, account_id: int, name: str
) -> None:
    await conn.execute(INSERT_TOKEN, token_hash, account_id, name)


async def list_tokens(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Newest first, with the account's email; never the token itself (it is not stored)."""
    return list(await conn.fetch(LIST_TOKENS))


async def delete_token(conn: asyncpg.Connection, token_hash: str) -> None:
    await conn.execute(DELETE_TOKEN, token_hash)
