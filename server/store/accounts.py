"""The `accounts` table: people who sign in (email, argon2 hash, role).

Two ways to write an account, for two intents: `insert_account` refuses an email already in
use (an invitation must not take over someone's account), `upsert_account` replaces the
password and role (the administrator's command line resets an admin).
"""

from __future__ import annotations

import asyncpg

ACCOUNT_BY_EMAIL = (
    "SELECT id, email, password_hash, role FROM accounts WHERE lower(email) = lower($1)"
)
ACCOUNT_BY_ID = "SELECT id, email FROM accounts WHERE id = $1"
LIST_ACCOUNTS = "SELECT id, email, role FROM accounts ORDER BY lower(email) LIMIT 1000"
INSERT_ACCOUNT = """
INSERT INTO accounts (email, password_hash, role) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING id
"""
UPSERT_ACCOUNT = """
INSERT INTO accounts (email, password_hash, role) VALUES ($1, $2, $3)
ON CONFLICT (lower(email)) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                                         role = EXCLUDED.role
RETURNING id, (xmax = 0) AS created
"""


async def account_by_email(conn: asyncpg.Connection, email: str) -> asyncpg.Record | None:
    """Columns id, email, password_hash, role; the email compared case-insensitively."""
    return await conn.fetchrow(ACCOUNT_BY_EMAIL, email)


async def account_by_id(conn: asyncpg.Connection, account_id: int) -> asyncpg.Record | None:
    """Columns id, email."""
    return await conn.fetchrow(ACCOUNT_BY_ID, account_id)


async def list_accounts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Columns id, email, role; by email."""
    return list(await conn.fetch(LIST_ACCOUNTS))


async def insert_account(
    conn: asyncpg.Connection, email: str, password_hash: str, role: str
) -> int | None:
    """A new account's id; None when the email is already in use (nothing is changed)."""
    account_id = await conn.fetchval(INSERT_ACCOUNT, email, password_hash, role)
    return int(account_id) if account_id is not None else None


async def upsert_account(
    conn: asyncpg.Connection, email: str, password_hash: str, role: str
) -> tuple[int, bool]:
    """Create the account or replace its password and role; return (id, created)."""
    row = await conn.fetchrow(UPSERT_ACCOUNT, email, password_hash, role)
    assert row is not None
    return int(row["id"]), bool(row["created"])
