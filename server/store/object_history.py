"""The `object_history` table: who changed which local initiative or event, and what."""

from __future__ import annotations

import asyncpg

RECORD = """
INSERT INTO object_history (object_id, account_id, account_email, action, changed)
VALUES ($1, $2, $3, $4, $5)
"""
OF_OBJECT = """
SELECT action, account_email, changed, at FROM object_history
WHERE object_id = $1 ORDER BY at DESC, id DESC LIMIT $2
"""


async def record(
    conn: asyncpg.Connection, object_id: int, account_id: int | None,
    account_email: str | None, action: str, changed: list[str],
) -> None:
    await conn.execute(RECORD, object_id, account_id, account_email, action, changed)


async def of_object(
    conn: asyncpg.Connection, object_id: int, limit: int = 50
) -> list[asyncpg.Record]:
    return list(await conn.fetch(OF_OBJECT, object_id, limit))
