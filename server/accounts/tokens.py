"""API tokens: made here, shown once, stored only as their SHA-256 (like session cookies)."""

from __future__ import annotations

import secrets

import asyncpg

from server.accounts.auth import hash_token
from server.store import tokens

TOKEN_PREFIX = "mlg_"
"""Lets secret scanners and people recognise a Maillage token."""
MAX_TOKEN_NAME = 100


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def create_token(conn: asyncpg.Connection, account_id: int, name: str) -> str:
    """Record a token for `account_id`; return it (it is never stored, only its hash)."""
    token = new_token()
    await tokens.insert_token(conn, hash_token(token), account_id, name)
    return token


async def token_account(conn: asyncpg.Connection, token: str) -> asyncpg.Record | None:
    """The account a bearer token acts for (marking the token used), or None."""
    return await tokens.token_account(conn, hash_token(token))
