"""Where the PostgreSQL server comes from, and the asyncpg pool on it.

With `DATABASE_URL` unset, an embedded PostgreSQL (the `pgserver` wheel) runs under the data
folder, so a newcomer needs nothing but Python. Several processes (web, worker) on the same
data folder share one embedded server: pgserver counts its users and stops the server when the
last one exits.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import asyncpg

from server.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "maillage"
WORK_CHANNEL = "maillage_work"
"""NOTIFY channel that wakes the workers: new activities to fan out, received ones to process."""
_embedded: dict[Path, Any] = {}


def embedded_dsn(data_dir: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded PostgreSQL under `data_dir/postgres` and return a DSN."""
    import pgserver  # imported here: a DATABASE_URL deployment never loads it

    pgdata = (data_dir / "postgres").resolve()
    server = _embedded.get(pgdata)
    if server is None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting embedded PostgreSQL in %s", pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        size_embedded(server, pgdata)
        _embedded[pgdata] = server
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    return str(server.get_uri(database))


def shared_buffers_mb() -> int:
    """A quarter of the machine's memory, between 128 MB (PostgreSQL's default) and 1 GB:
    PostgreSQL's own advice for a server of its own, capped for a machine that does more."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in (Path("/sys/fs/cgroup/memory.max"),
                  Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:  # a container's own limit, when lower than the host's memory
            memory = min(memory, int(limit.read_text().strip()))
        except (OSError, ValueError):
            continue
    return max(128, min(1024, memory // 4 // 2**20))


def size_embedded(server: Any, pgdata: Path) -> None:
    """Give the embedded server a cache sized for the machine, once (in its
    `postgresql.auto.conf`; it applies from the server's next start). At 1M objects the
    reader's scattered reads went through the OS cache page by page with the default 128 MB
    (bench part 7). A `DATABASE_URL` server is never touched: its administrator tunes it."""
    auto = pgdata / "postgresql.auto.conf"
    if auto.exists() and "shared_buffers" in auto.read_text("utf-8"):
        return
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers_mb()}MB';")


def resolve_dsn(settings: Settings) -> str:
    return settings.database_url or embedded_dsn(settings.data_dir)


CONNECT_TIMEOUT = 5.0
"""Seconds a new pool connection may take: past it, a request answers 503 (TimeoutError)
instead of waiting a minute on a PostgreSQL that does not answer."""


async def keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release. asyncpg has already rolled back an open transaction;
    our pooled connections set no session variables, LISTEN on none (the worker listens on
    a connection of its own) and release their advisory locks themselves, so the default
    `RESET ALL; UNLISTEN *; …` is skipped: it was a round trip on every release, 10 % of the
    web process's samples under intake load (bench/README.md, issue 11)."""


CUSTOM_PLANS = {"plan_cache_mode": "force_custom_plan"}
"""Startup settings of the web process's pool. asyncpg prepares and caches each statement
per connection; from a statement's 6th run PostgreSQL may switch it to a generic plan, which
cannot see the reader's filter and date values: at 1M objects the `.ics` query went from
4 ms to 1.6–1.8 s, a theme calendar from 9 to 300 ms (bench part 7). Planning each run costs
well under a millisecond; the worker's statements are not affected and keep the default."""


def wall_clock_zone(zone: str) -> dict[str, str]:
    """Startup setting naming the instance's zone, which `objects.start_local` falls back to
    for an event in no zone PostgreSQL knows (migration 0009)."""
    return {"maillage.timezone": zone}


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10,
    server_settings: dict[str, str] | None = None,
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=init_connection,
        timeout=CONNECT_TIMEOUT, reset=keep_session, server_settings=server_settings,
    )
    assert pool is not None
    return pool


async def connect(
    dsn: str, server_settings: dict[str, str] | None = None
) -> asyncpg.Connection:
    """A single connection configured like the pool's."""
    conn = await asyncpg.connect(dsn, server_settings=server_settings)
    await init_connection(conn)
    return conn


async def init_connection(conn: asyncpg.Connection) -> None:
    """jsonb columns read and written as Python objects."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
