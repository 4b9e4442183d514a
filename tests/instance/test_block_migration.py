"""Blocks written before hosts had one normal form are brought to it by migration 0005."""

from __future__ import annotations

import asyncpg

from server.store.migrate import apply_migrations, discover


async def test_blocks_stored_with_capitals_or_a_trailing_dot_are_normalised(
    database: str,
) -> None:
    conn = await asyncpg.connect(database)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        before = [m for m in discover() if m.version < 5]
        await apply_migrations(conn, before)
        await conn.execute(
            "INSERT INTO domain_blocks (domain, reason, created_at) VALUES"
            " ('Spam.Example.', 'first', now() - interval '1 day'),"
            " ('spam.example', 'second', now()),"
            " ('Other.Example', 'alone', now())"
        )
        await apply_migrations(conn)
        rows = await conn.fetch("SELECT domain, reason FROM domain_blocks ORDER BY domain")
        assert [(r["domain"], r["reason"]) for r in rows] == [
            ("other.example", "alone"), ("spam.example", "first"),
        ]
        assert await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns"
            " WHERE table_name = 'deliveries' AND column_name = 'body'"
        ) == 1
    finally:
        await conn.close()
