"""Delivery, step two: POST the claimed rows, signed, and record each outcome at once.

Claims are short transactions (`FOR UPDATE SKIP LOCKED` with a lease), the HTTP call happens
outside any transaction, and each result is recorded in its own transaction as soon as its
answer comes: a worker killed mid-batch re-sends only what had not been answered. What an
answer means is `federation.delivery.policy.decide`; this module carries the decision out.
A delivery POSTed but not yet recorded is sent again after a crash; receivers de-duplicate
by activity id, so nothing shows twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime

import asyncpg

from federation.delivery.policy import Action, Attempt, Decision, Outcome, Refusal, decide
from federation.delivery.retry import parse_retry_after
from federation.domains import hostname_of
from federation.errors import ForbiddenAddress
from federation.httpsig import HttpSignatureAuth, UnsignedPost
from server.context import Context
from server.deliver.poster import HttpxPoster, Poster, PostFailed
from server.deliver.signing import SigningPool
from server.store import deliveries, hosts

log = logging.getLogger(__name__)

PER_HOST_CONCURRENCY = 4
ACTIVITY = "application/activity+json"


class Deliverer:
    """Posts claimed deliveries with bounded concurrency, overall and per host.

    `run_batch` claims and waits for what it claimed; `top_up` claims only as many rows as
    there are free slots and returns at once, so a worker loop calling it is a rolling pool:
    one slow host does not hold back the next deliveries (`settle` waits, `close` cancels).
    """

    def __init__(self, ctx: Context, concurrency: int = 64) -> None:
        self.ctx = ctx
        self.poster: Poster = ctx.poster or HttpxPoster(ctx.http)
        self.signing = ctx.signing or SigningPool(processes=0)
        self.recorder = DoneRecorder(ctx.pool)
        self.concurrency = concurrency
        self.global_limit = asyncio.Semaphore(concurrency)
        self.host_limits: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(PER_HOST_CONCURRENCY)
        )
        self._in_flight: set[asyncio.Task[None]] = set()
        self.slot_freed = asyncio.Event()
        """Set whenever a delivery in flight ends: a worker loop waiting for a free slot
        wakes on it to `top_up` again."""

    async def run_batch(self, limit: int | None = None) -> int:
        """Claim at most what can be in flight at once, so a batch ends well within its
        lease even when a host is slow; return once every claimed row is recorded."""
        tasks = await self._start(limit or self.concurrency)
        if tasks:
            await asyncio.gather(*tasks)
        return len(tasks)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def top_up(self) -> int:
        """Start deliveries for the free slots only; return how many were claimed. While
        many are in flight, claims wait for a quarter of the slots to be free: fewer,
        larger claims (each costs round trips), and a slow host still holds only its own."""
        free = self.concurrency - len(self._in_flight)
        if free <= 0 or (self._in_flight and free < max(1, self.concurrency // 4)):
            return 0
        return len(await self._start(free))

    async def settle(self) -> None:
        """Wait for every delivery in flight to be recorded."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def close(self) -> None:
        """Stop: deliveries in flight are cancelled; their leases expire, they are re-sent.
        Answers already in hand are still recorded."""
        for task in list(self._in_flight):
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self.recorder.flushed()

    async def _start(self, limit: int) -> list[asyncio.Task[None]]:
        lease = self.ctx.settings.delivery_lease_seconds
        async with self.ctx.pool.acquire() as conn:
            claimed = await deliveries.claim_due(conn, limit, lease)
            if not claimed:
                return []
            rfc9421 = await hosts.hosts_accepting_rfc9421(
                conn, sorted({r["host"] for r in claimed})
            )
            signers = {
                (actor, signs_rfc9421): await self.ctx.signers.for_actor(
                    conn, actor, rfc9421=signs_rfc9421
                )
                for actor, signs_rfc9421 in {
                    (r["actor_iri"], r["host"] in rfc9421) for r in claimed
                }
            }
        shared_bodies: dict[int, bytes] = {}
        posts: dict[HttpSignatureAuth, list[tuple[int, UnsignedPost]]] = defaultdict(list)
        prepared: list[tuple[asyncpg.Record, bytes, bool]] = []
        for index, row in enumerate(claimed):
            if row["own_body"]:
                body = row["body"].encode("utf-8")
            else:
                body = shared_bodies.get(row["activity_id"]) or row["body"].encode("utf-8")
                shared_bodies[row["activity_id"]] = body
            signs_rfc9421 = row["host"] in rfc9421
            signer = signers[(row["actor_iri"], signs_rfc9421)]
            posts[signer].append((index, signer.prepare_post(row["inbox"], body, ACTIVITY)))
            prepared.append((row, body, signs_rfc9421))
        # The claim's signatures are made together (in the signing process, while the
        # deliveries already in flight go on); each delivery waits for its own headers.
        signed = asyncio.ensure_future(self._sign(posts, len(claimed)))
        tasks = []
        for index, (row, body, signs_rfc9421) in enumerate(prepared):
            task = asyncio.create_task(self._deliver(row, body, signed, index, signs_rfc9421))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)
            tasks.append(task)
        return tasks

    async def _sign(
        self, posts: dict[HttpSignatureAuth, list[tuple[int, UnsignedPost]]], count: int
    ) -> list[dict[str, str]]:
        headers: list[dict[str, str]] = [{} for _ in range(count)]
        for signer, items in posts.items():
            done = await self.signing.headers(signer, [post for _, post in items])
            for (index, _), signed in zip(items, done, strict=True):
                headers[index] = signed
        return headers

    def _finished(self, task: asyncio.Task[None]) -> None:
        """A delivery that could not even be recorded (PostgreSQL gone) is logged here; its
        lease expires and it is sent again. `run_batch` also re-raises it to the worker."""
        self._in_flight.discard(task)
        self.slot_freed.set()
        if not task.cancelled() and task.exception() is not None:
            log.warning("delivery not recorded: %r", task.exception())

    async def _deliver(
        self, row: asyncpg.Record, body: bytes, signed: asyncio.Future[list[dict[str, str]]],
        index: int, signs_rfc9421: bool,
    ) -> None:
        outcome = await self._post(row, body, signed, index)
        now = datetime.now(UTC)
        attempt = Attempt(
            attempts=row["attempts"],
            elapsed_seconds=(now - row["created_at"]).total_seconds(),
            signed_rfc9421=signs_rfc9421,
        )
        await self._record(row, outcome, decide(self.ctx.retry_policy, attempt, outcome))

    async def _post(
        self, row: asyncpg.Record, body: bytes, signed: asyncio.Future[list[dict[str, str]]],
        index: int,
    ) -> Outcome:
        if await self.ctx.blocks.blocks(self.ctx.pool, hostname_of(row["inbox"])):
            return Outcome(None, "blocked domain", refused=Refusal.BLOCKED)
        headers = (await asyncio.shield(signed))[index]
        async with self.global_limit, self.host_limits[row["host"]]:
            try:
                answer = await self.poster.post(row["inbox"], body, headers)
            except ForbiddenAddress as exc:
                return Outcome(None, f"refused: {exc}"[:500], refused=Refusal.ADDRESS)
            except PostFailed as exc:
                return Outcome(None, str(exc)[:500])
        if answer.is_success:
            return Outcome(answer.status)
        return Outcome(
            answer.status, answer.text, parse_retry_after(answer.retry_after, datetime.now(UTC))
        )

    async def _record(self, row: asyncpg.Record, outcome: Outcome, decision: Decision) -> None:
        host = row["host"]
        if decision.action is Action.DONE and decision.host_answered and not (
            decision.host_failing or decision.fall_back_to_cavage
        ):
            await self.recorder.done(row["id"], outcome.status, host)
            return
        async with self.ctx.pool.acquire() as conn, conn.transaction():
            if decision.action is Action.DONE:
                await deliveries.record_done(conn, row["id"], outcome.status)
            elif decision.action is Action.RETRY:
                if decision.fall_back_to_cavage:
                    await hosts.host_refuses_rfc9421(conn, host)
                await deliveries.record_retry(
                    conn, row["id"], decision.delay, outcome.status, outcome.error
                )
            else:
                await deliveries.record_finished(
                    conn, row["id"], decision.action.value, outcome.status, outcome.error
                )
                if decision.action is Action.FAIL:
                    log.info("delivery to %s given up: %s %s", row["inbox"], outcome.status,
                             outcome.error)
            if decision.host_answered:
                await hosts.host_took_delivery(conn, host)
            unavailable_after = self.ctx.retry_policy.give_up_after_seconds
            if decision.host_failing and await hosts.host_failed(conn, host, unavailable_after):
                await deliveries.skip_host(conn, host)
                log.warning("host %s unavailable: its deliveries are skipped", host)


class DoneRecorder:
    """Successful deliveries, recorded together (group commit): each `done` waits until
    its row is written, and while one transaction writes, the answers that come in the
    meantime queue for the next. One transaction for tens of deliveries instead of one
    each, and still no delivery is counted before its row says done. Failures, retries and
    host state changes keep their own transaction in `Deliverer._record`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._queue: list[tuple[int, int | None, str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def done(self, delivery_id: int, status: int | None, host: str) -> None:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery_id, status, host, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await written

    async def flushed(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await deliveries.record_done_many(
                        conn, [b[0] for b in batch], [b[1] for b in batch]
                    )
                    await hosts.hosts_took_deliveries(conn, [b[2] for b in batch])
            except Exception as exc:  # PostgreSQL gone: each waiting delivery fails with it
                for *_, written in batch:
                    if not written.done():
                        written.set_exception(exc)
                continue
            for *_, written in batch:
                if not written.done():
                    written.set_result(None)
