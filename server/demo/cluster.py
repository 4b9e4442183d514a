"""One embedded PostgreSQL cluster (pgserver) for the whole demo, a database per instance.

The demo process owns the cluster: it starts it, creates the databases, hands each instance
its own `DATABASE_URL`, and stops it last, after every process that uses it. Instances never
start the embedded server themselves (they are given a DSN), so nothing else can keep it
running once the demo has gone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from server.store import db

log = logging.getLogger(__name__)


HANDLES_FILE = ".handle_pids.json"
"""pgserver's list of the processes using a cluster: it stops the server when the last one
leaves, and never forgets a process that died without leaving."""


def _forget_dead_handles(path: Path) -> None:
    """Drop the processes that are gone (a demo killed with SIGKILL), so that this demo,
    once the only user, stops the server when it ends."""
    import psutil

    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._server: Any = None

    def start(self) -> None:
        import pgserver

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        _forget_dead_handles(self.folder / HANDLES_FILE)
        self._server = pgserver.get_server(self.folder, cleanup_mode="stop")
        db.size_embedded(self._server, self.folder)

    def dsn(self, database: str) -> str:
        assert self._server is not None, "start() first"
        parts = urlsplit(str(self._server.get_uri("postgres")))
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))

    async def ensure_databases(self, names: list[str]) -> list[str]:
        """Create the databases that do not exist yet; return the ones created."""
        conn = await asyncpg.connect(self.dsn("postgres"))
        try:
            existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
            created = [name for name in names if name not in existing]
            for name in created:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return created

    def pids(self) -> list[int]:
        """The postmaster and its children (for the memory figure and the leak checks)."""
        import psutil

        if self._server is None:
            return []
        try:
            main = psutil.Process(self._server.get_pid())
            return [main.pid, *(child.pid for child in main.children(recursive=True))]
        except psutil.Error:
            return []

    def stop(self) -> None:
        """Stop the server (pgserver's last-handle clean-up: `pg_ctl stop`)."""
        if self._server is not None:
            server, self._server = self._server, None
            server.cleanup()
