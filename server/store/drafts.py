"""The `drafts` table: editors' input kept here, neither published nor sent."""

from __future__ import annotations

from typing import Any

import asyncpg

INSERT = """
INSERT INTO drafts (kind, input, account_id) VALUES ($1, $2, $3) RETURNING *
"""
UPDATE = "UPDATE drafts SET input = $2, updated_at = now() WHERE id = $1 RETURNING *"
BY_ID = "SELECT * FROM drafts WHERE id = $1"
LIST = "SELECT * FROM drafts ORDER BY updated_at DESC, id DESC LIMIT $1"
DELETE = "DELETE FROM drafts WHERE id = $1"


async def save(
    conn: asyncpg.Connection, draft_id: int | None, kind: str, data: dict[str, Any],
    account_id: int | None,
) -> asyncpg.Record:
    """A new draft, or the draft `draft_id` replaced."""
    body = data  # the pool's jsonb codec encodes it
    if draft_id is not None:
        row = await conn.fetchrow(UPDATE, draft_id, body)
        if row is not None:
            return row
    row = await conn.fetchrow(INSERT, kind, body, account_id)
    assert row is not None
    return row


async def get(conn: asyncpg.Connection, draft_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(BY_ID, draft_id)


async def list_all(conn: asyncpg.Connection, limit: int = 200) -> list[asyncpg.Record]:
    return list(await conn.fetch(LIST, limit))


async def remove(conn: asyncpg.Connection, draft_id: int) -> None:
    await conn.execute(DELETE, draft_id)
