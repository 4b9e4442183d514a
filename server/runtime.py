"""Start-up shared by every process (web, worker, CLI): the database is migrated and the
instance actor exists before anything is served or processed.

Its own module, so the worker and the CLI need not import the web application for it.
"""

from __future__ import annotations

from server.actors.local import ensure_instance_actor
from server.settings import Settings
from server.store import db
from server.store.migrate import apply_migrations


async def prepare_database(settings: Settings, dsn: str) -> None:
    """Migrate and create the instance actor: done by every process that starts."""
    pool = await db.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn)
            await ensure_instance_actor(conn, settings.base_url, settings.domain)
    finally:
        await pool.close()
