"""Migrations and the embedded PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from server.store import db, follows
from server.store.migrate import apply_migrations, discover


async def test_migrations_apply_twice_without_error(database: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        first = await apply_migrations(conn)
        second = await apply_migrations(conn)
        assert first == [m.name for m in discover()]
        assert second == []
        recorded = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        assert recorded == len(first)
        assert await conn.fetchval("SELECT to_regclass('actors') IS NOT NULL")
    finally:
        await conn.close()


async def test_french_full_text_configuration_is_available(database: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        vector = await conn.fetchval("SELECT to_tsvector('french', 'les jardins partagés')::text")
    finally:
        await conn.close()
    assert "'jardin'" in vector


def test_embedded_postgres_starts_in_a_fresh_folder_and_is_reused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    dsn = db.embedded_dsn(data)
    assert (data / "postgres" / "PG_VERSION").exists()
    assert dsn == db.embedded_dsn(data)  # same process: the running server is reused


async def test_a_repeated_follow_never_downgrades_an_accepted_follow(database: str) -> None:
    """The one follows upsert's merge rule: accepted stays accepted, any other state is
    replaced, and the latest Follow's id is kept (an Undo names it)."""
    conn = await db.connect(database)
    try:
        ana, brest = "https://remote.example/users/ana", "http://brest.example/actors/brest"
        assert await follows.record_follow(conn, ana, brest, "pending", "f1") == "pending"
        assert await follows.record_follow(conn, ana, brest, "accepted", "f1") == "accepted"
        assert await follows.record_follow(conn, ana, brest, "pending", "f2") == "accepted"
        row = await follows.follow_row(conn, ana, brest)
        assert row is not None and row["activity_iri"] == "f2"
        assert await follows.record_follow(conn, brest, ana, "rejected", "f3") == "rejected"
        assert await follows.record_follow(conn, brest, ana, "pending", "f4") == "pending"
    finally:
        await conn.close()


def test_the_embedded_server_gets_a_cache_for_the_machine_once(tmp_path: Path) -> None:
    """A quarter of the memory, 128 MB to 1 GB, asked once: not again when the server's
    `postgresql.auto.conf` already names it (an administrator's own value is kept)."""
    asked: list[str] = []

    class Server:
        def psql(self, command: str) -> str:
            asked.append(command)
            (tmp_path / "postgresql.auto.conf").write_text("shared_buffers = '512MB'\n")
            return "ALTER SYSTEM"

    assert 128 <= db.shared_buffers_mb() <= 1024
    db.size_embedded(Server(), tmp_path)
    db.size_embedded(Server(), tmp_path)
    assert asked == [f"ALTER SYSTEM SET shared_buffers = '{db.shared_buffers_mb()}MB';"]
