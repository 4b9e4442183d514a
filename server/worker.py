"""The worker process: processes received activities, fans out and delivers published ones.

Any number of workers can run against one PostgreSQL: every claim is `SKIP LOCKED` with a
lease. Inside one worker, inbox processing, fan-out and delivery are loops running side by
side, so a batch waiting on slow fetches does not hold back deliveries, nor the reverse. An idle
loop sleeps until PostgreSQL notifies (LISTEN) or its poll interval ends. Deliveries are a
rolling pool (`Deliverer.top_up`): each free slot is refilled as soon as a delivery ends,
so a batch's slowest host never holds back the next ones. `run_worker_once`/`drain` keep
the step-by-step batches for tests and `worker --once`.

Nothing stops the worker but a signal: a pass that fails (PostgreSQL restarting, a bug)
is logged and retried with back-off; the pool replaces broken connections, and the LISTEN
connection is reopened when it drops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import uvloop

from server.context import Context, new_http_client
from server.deliver.deliverer import Deliverer
from server.deliver.fanout import fan_out_batch
from server.deliver.poster import AiohttpPoster
from server.deliver.signing import SigningPool, processes_for
from server.receive.processing import InboxProcessor, process_inbox_batch
from server.runtime import prepare_database
from server.settings import Settings
from server.store import db
from server.store.db import WORK_CHANNEL

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 0.25
BACKOFF_CAP_SECONDS = 10.0
STOP_GRACE_SECONDS = 5.0
INBOX_GATHER_SECONDS = 0.02


async def run_worker_once(ctx: Context, deliverer: Deliverer | None = None) -> int:
    """One pass over all kinds of due work; returns how many items were handled."""
    deliverer = deliverer or Deliverer(ctx)
    done = await process_inbox_batch(ctx)
    done += await deliver_once(ctx, deliverer)
    return done


async def deliver_once(ctx: Context, deliverer: Deliverer) -> int:
    done = await fan_out_batch(ctx)
    done += await deliverer.run_batch()
    return done


async def fan_out_then_wake(ctx: Context, deliver_wake: asyncio.Event) -> int:
    """The worker's fan-out step: expand activities into deliveries and wake the delivery
    loop when there are new ones."""
    done = await fan_out_batch(ctx)
    if done:
        deliver_wake.set()
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


class Backoff:
    """Jittered exponential back-off between failed passes, reset by a good one."""

    def __init__(
        self, first: float = BACKOFF_FIRST_SECONDS, cap: float = BACKOFF_CAP_SECONDS
    ) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0

    def reset(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        delay: float = min(self.cap, self.first * 2.0 ** (self.failures - 1))
        return delay * random.uniform(0.8, 1.2)


async def _sleep_unless(stop: asyncio.Event, seconds: float, *events: asyncio.Event) -> None:
    """Sleep up to `seconds`, waking early when `stop` or any of `events` is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in (stop, *events)]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def work_loop(
    name: str,
    step: Callable[[], Awaitable[int]],
    wake: asyncio.Event,
    stop: asyncio.Event,
    poll_seconds: float,
    *also: asyncio.Event,
) -> None:
    """Run `step` until `stop`: at once again while it finds work, else after a
    notification (`wake`, or any of `also`) or `poll_seconds`; after a failure, after a
    back-off."""
    backoff = Backoff()
    while not stop.is_set():
        wake.clear()
        for event in also:
            event.clear()
        try:
            done = await step()
        except Exception as exc:  # the loop must outlive any one pass
            delay = backoff.next_delay()
            log.warning("%s pass failed, retrying in %.1f s: %r", name, delay, exc)
            await _sleep_unless(stop, delay)
            continue
        backoff.reset()
        if not done:
            await _sleep_unless(stop, poll_seconds, wake, *also)


class Listener:
    """The LISTEN connection, reopened with back-off whenever it drops. Each notification
    (and each reconnection, as notifications may have been missed) sets every `wakes`."""

    def __init__(self, dsn: str, wakes: Sequence[asyncio.Event]) -> None:
        self.dsn = dsn
        self.wakes = wakes
        self.dropped = asyncio.Event()
        self.conn: asyncpg.Connection | None = None

    def _wake(self, *_: object) -> None:
        for event in self.wakes:
            event.set()

    def _lost(self, *_: object) -> None:
        self.dropped.set()

    async def connect(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        conn.add_termination_listener(self._lost)
        await conn.add_listener(WORK_CHANNEL, self._wake)
        self.conn = conn
        self.dropped.clear()
        self._wake()

    async def run(self, stop: asyncio.Event, check_seconds: float) -> None:
        backoff = Backoff()
        while not stop.is_set():
            if self.conn is None or self.conn.is_closed():
                await self.close()
                try:
                    await self.connect()
                    backoff.reset()
                    log.info("listening for work again")
                except Exception as exc:
                    delay = backoff.next_delay()
                    log.warning("cannot LISTEN, retrying in %.1f s: %r", delay, exc)
                    await _sleep_unless(stop, delay)
                    continue
            await _sleep_unless(stop, check_seconds, self.dropped)

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            await asyncio.wait_for(conn.close(), timeout=2)
        except Exception as exc:  # a dead connection may not close cleanly: drop it
            log.debug("closing the LISTEN connection: %r", exc)
            conn.terminate()


async def serve(ctx: Context, stop: asyncio.Event, *, dsn: str | None = None) -> None:
    """Inbox processing, fan-out and delivery as loops side by side until `stop`, woken by
    the LISTEN connection when `dsn` is given (else by their poll interval alone)."""
    inbox_wake, fanout_wake, deliver_wake = asyncio.Event(), asyncio.Event(), asyncio.Event()
    poll = ctx.settings.worker_poll_seconds
    deliverer = Deliverer(ctx)
    inbox = InboxProcessor(ctx, gather_seconds=INBOX_GATHER_SECONDS)
    loops = [
        work_loop("inbox", inbox.step, inbox_wake, stop, poll),
        work_loop("fan-out", lambda: fan_out_then_wake(ctx, deliver_wake), fanout_wake, stop,
                  poll),
        # the rolling pool: free slots refilled whenever a delivery ends, without waiting
        # for the others (nor reading the fan-out's tables each time)
        work_loop("delivery", deliverer.top_up, deliver_wake, stop, poll, deliverer.slot_freed),
    ]
    listener = Listener(dsn, [inbox_wake, fanout_wake, deliver_wake]) if dsn else None
    if listener is not None:
        loops.append(listener.run(stop, check_seconds=max(poll, 1.0)))
    try:
        await asyncio.gather(*loops)
    finally:
        await inbox.close()
        await _stop_delivering(deliverer)
        if listener is not None:
            await listener.close()


async def _stop_delivering(deliverer: Deliverer) -> None:
    """Let deliveries in flight finish for a moment (their answers get recorded, so they
    are not sent again), then cancel the rest: their leases expire and they are re-sent."""
    try:
        await asyncio.wait_for(deliverer.settle(), timeout=STOP_GRACE_SECONDS)
    except TimeoutError:
        log.info("stopping: %d deliveries in flight cancelled", deliverer.in_flight)
    await deliverer.close()


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    dsn = db.resolve_dsn(settings)
    await prepare_database(settings, dsn)
    # No floor of open connections: after a PostgreSQL restart the pool reconnects on demand
    # instead of retrying (and logging tracebacks) in the background.
    pool = await db.create_pool(dsn, min_size=0, max_size=10,
                                server_settings=db.wall_clock_zone(settings.timezone))
    signing = SigningPool(processes=processes_for(settings.signing_processes, os.cpu_count()))
    ctx = Context(settings, pool, new_http_client(dev=settings.dev),
                  poster=AiohttpPoster(allow_private=settings.dev), signing=signing)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        if not once:  # a long-running worker signs its first fan-out in the child already
            await signing.start()
        log.info("worker started")
        if once:
            await drain(ctx)
            return
        await serve(ctx, stop, dsn=dsn)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        if ctx.poster is not None:
            await ctx.poster.aclose()
        signing.close()
        await ctx.http.aclose()
        await pool.close()
        log.info("worker stopped")


def main(settings: Settings, *, once: bool = False) -> None:
    """`maillage worker`: on uvloop, as the web process runs under uvicorn[standard]
    (cheaper socket I/O for the many round trips and POSTs; issue 11)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run_worker(settings, once=once))
