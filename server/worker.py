"""The worker process: processes received activities, fans out and delivers published ones.

Any number of workers can run against one PostgreSQL: every claim is `SKIP LOCKED` with a
lease. An idle worker sleeps until PostgreSQL notifies it (LISTEN) or its poll interval ends.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

import asyncpg

from server.app import prepare_database
from server.context import Context, new_http_client
from server.deliver.delivery import Deliverer, fan_out_batch
from server.publish.outbox import WORK_CHANNEL
from server.receive.processing import process_inbox_batch
from server.settings import Settings
from server.store import db

log = logging.getLogger(__name__)


async def run_worker_once(ctx: Context, deliverer: Deliverer | None = None) -> int:
    """One pass over all kinds of due work; returns how many items were handled."""
    deliverer = deliverer or Deliverer(ctx)
    done = await process_inbox_batch(ctx)
    done += await fan_out_batch(ctx)
    done += await deliverer.run_batch()
    return done


async def drain(ctx: Context, max_rounds: int = 50) -> int:
    """Run passes until nothing is due (tests and `worker --once`)."""
    deliverer = Deliverer(ctx)
    total = 0
    for _ in range(max_rounds):
        done = await run_worker_once(ctx, deliverer)
        total += done
        if not done:
            break
    return total


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    dsn = db.resolve_dsn(settings)
    await prepare_database(settings, dsn)
    pool = await db.create_pool(dsn, min_size=2, max_size=10)
    ctx = Context(settings, pool, new_http_client())
    wake = asyncio.Event()
    stop = asyncio.Event()
    listener: asyncpg.Connection = await asyncpg.connect(dsn)

    def notified(*_: object) -> None:
        wake.set()

    await listener.add_listener(WORK_CHANNEL, notified)
    loop = asyncio.get_running_loop()
    stoppers: list[Callable[[], None]] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
        stoppers.append(lambda sig=sig: loop.remove_signal_handler(sig))
    log.info("worker started")
    try:
        if once:
            await drain(ctx)
            return
        deliverer = Deliverer(ctx)
        while not stop.is_set():
            wake.clear()
            try:
                done = await run_worker_once(ctx, deliverer)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("worker pass failed, retrying: %s", exc)
                done = 0
            if done:
                continue
            sleeper = asyncio.ensure_future(wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {sleeper, stopper}, timeout=settings.worker_poll_seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
            sleeper.cancel()
            stopper.cancel()
    finally:
        for remove in stoppers:
            remove()
        await listener.close()
        await ctx.http.aclose()
        await pool.close()
        log.info("worker stopped")
