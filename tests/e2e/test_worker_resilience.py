"""A real `maillage worker` outlives a PostgreSQL restart (issue 8, item 2).

The worker runs against an embedded PostgreSQL of its own (not the suite's shared one),
which the test restarts with `pg_ctl` while the worker is idle. The worker's poll interval
is a minute, so the activity stored after the restart is processed promptly only if the
worker's LISTEN connection came back, not merely its pool.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pgserver
import pytest

from server.publish.outbox import WORK_CHANNEL
from tests.e2e.procs import free_port, instance_env, maillage, start, stop

PG_CTL = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"


class OwnPostgres:
    """An embedded PostgreSQL for one test alone, which the test may restart."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self.server.psql('CREATE DATABASE "worker_test";')
        self.dsn = str(self.server.get_uri("worker_test"))

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """pg_ctl as the server's owner (pgserver runs it as `pgserver` under root)."""
        return subprocess.run(
            [str(PG_CTL), "-D", str(self.pgdata), *args], capture_output=True, text=True,
            timeout=60, user=self.server.system_user,
        )


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[OwnPostgres]:
    postgres = OwnPostgres(tmp_path / "pg")
    try:
        yield postgres
    finally:
        postgres.pg_ctl("stop", "-m", "immediate", "-w")
        try:
            postgres.server.cleanup()
        except Exception:  # stopped above already
            pass


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def store_and_notify(dsn: str, n: int) -> None:
    """As the inbox does: one row in `inbox_log`, then a NOTIFY to wake the workers."""
    conn = await asyncpg.connect(dsn)
    try:
        activity = {"id": f"https://peer.example/dance/{n}", "type": "Dance",
                    "actor": "https://peer.example/u"}
        await conn.execute(
            "INSERT INTO inbox_log (activity_iri, actor_iri, type, raw) "
            "VALUES ($1, $2, $3, $4::jsonb)",
            activity["id"], activity["actor"], "Dance", json.dumps(activity),
        )
        await conn.execute(f"NOTIFY {WORK_CHANNEL}")
    finally:
        await conn.close()


async def processed(dsn: str, n: int) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval(
            "SELECT processed_at IS NOT NULL FROM inbox_log WHERE activity_iri = $1",
            f"https://peer.example/dance/{n}",
        ))
    finally:
        await conn.close()


def wait_processed(dsn: str, n: int, proc: subprocess.Popen[bytes], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert proc.poll() is None, f"the worker exited with {proc.returncode}"
        try:
            if run(processed(dsn, n)):
                return time.monotonic() - started
        except (OSError, asyncpg.PostgresError):
            pass  # PostgreSQL still starting
        time.sleep(0.1)
    raise AssertionError(f"activity {n} not processed within {timeout}s")


def test_worker_reconnects_after_postgresql_restarts(
    tmp_path: Path, own_postgres: OwnPostgres
) -> None:
    dsn = own_postgres.dsn
    env = instance_env("127.0.0.2", free_port("127.0.0.2"), tmp_path / "data",
                       DATABASE_URL=dsn, MAILLAGE_WORKER_POLL_SECONDS="60")
    set_up = maillage(env, "territory", "set", "--slug", "brest", "--name", "Brest")
    assert set_up.returncode == 0, set_up.stderr
    log = tmp_path / "worker.log"
    worker = start(env, log, "worker")
    try:
        time.sleep(2.0)  # started and listening
        run(store_and_notify(dsn, 1))
        wait_processed(dsn, 1, worker, timeout=20)

        restarted = own_postgres.pg_ctl(
            "restart", "-m", "fast", "-w", "-l", str(own_postgres.pgdata / "log")
        )
        assert restarted.returncode == 0, restarted.stderr
        time.sleep(3.0)  # the worker notices, backs off and reconnects
        assert worker.poll() is None, log.read_text()[-3000:]

        run(store_and_notify(dsn, 2))
        took = wait_processed(dsn, 2, worker, timeout=15)
        assert took < 10, "woken by the poll interval, not by LISTEN"
    finally:
        stop(worker)
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
