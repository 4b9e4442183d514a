"""The executor: turns the handlers' effects into rows and outgoing activities.

Runs in the worker. A claimed activity is parsed into its typed envelope, decided by the
handlers in `federation.inbox`, its fetches done (outside any transaction), then its effects
applied in one transaction with marking it processed: a crash leaves it to be processed
again, and every effect is written to be harmless when applied twice.

Activities of one actor are processed in the order received; different actors' are
processed concurrently, so one slow host does not hold back the others. Whatever goes wrong
with one activity is recorded on its row (`server/store/inbox_log.py`) and counts an
attempt; the worker carries on. An envelope that does not parse, or a fetch our own rules
refuse (`ForbiddenAddress`), is final: never retried.

Most traffic needs no network: a followed territory's `Create`/`Update` of an event. The
actors whose claimed activities are all of that kind are applied set-wise: every object of
the batch in one multi-row upsert, every row marked in one statement, one commit (issue 11).
Should that transaction fail, those activities are processed one at a time instead, so only
the one at fault is marked failed. The other actors (fetches, follows, deletes...) go one
activity at a time, concurrently, beside it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from federation import activities
from federation.errors import FetchError, ForbiddenAddress
from federation.inbox import (
    Backfill,
    Effect,
    Fetcher,
    FetchObject,
    FollowAnswered,
    ForgetActor,
    Ignore,
    InvalidActivity,
    LocalActor,
    RecordFollower,
    RefreshActor,
    Relay,
    RemoveFollower,
    RemoveObject,
    SendAnswer,
    Snapshot,
    StoreObject,
    backfill,
    decide,
    fetch_object,
    parse_activity,
)
from federation.objects import RemoteObject
from federation.vocab import host_of, id_of
from server.context import Context
from server.publish.objects import remove_remote, store_remote, store_remotes
from server.publish.outbox import new_activity_id, publish
from server.publish.relay import relay, relaying_territory
from server.receive.remote import fetch_actor, fetch_signed, store_actor
from server.store import follows, inbox_log, relayed

log = logging.getLogger(__name__)

LOCAL_ACTORS = "SELECT iri, manually_approves FROM actors WHERE local"
# Handlers ask only whether an activity's own actor is followed: ask only about the batch's.
FOLLOWED_AMONG = """
SELECT DISTINCT followee_iri FROM follows
WHERE state = 'accepted' AND followee_iri = ANY($1::text[])
  AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
ACTOR_OUTBOX = "SELECT outbox FROM actors WHERE iri = $1"
MAX_ATTEMPTS = 5
BATCH_SIZE = 256
WRITERS = 2

# Failures of PostgreSQL itself, not of the activity: the worker backs off and reconnects,
# and the activity is claimed again when its lease ends.
DATABASE_GONE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.InternalClientError,
)


class SignedFetcher:
    """The `federation.inbox.Fetcher` Protocol over the instance's signed, bounded fetch."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def fetch(self, url: str) -> tuple[str, dict[str, Any]]:
        return await fetch_signed(self.ctx, url)


async def snapshot(conn: asyncpg.Connection, senders: Sequence[str] | None = None) -> Snapshot:
    """Our actors and which actors they follow: all of them, or only among `senders`."""
    rows = await conn.fetch(LOCAL_ACTORS)
    if senders is None:
        followed = await follows.followed_by_local(conn)
    else:
        found = await conn.fetch(FOLLOWED_AMONG, list(senders))
        followed = frozenset(r["followee_iri"] for r in found)
    relaying = await relaying_territory(conn)
    return Snapshot(
        {r["iri"]: LocalActor(r["iri"], r["manually_approves"]) for r in rows}, followed,
        relaying=relaying["iri"] if relaying else None,
    )


async def _backfill(ctx: Context, fetcher: Fetcher, actor: str) -> list[Effect]:
    """Wiring only: whether we follow the territory and where its outbox is come from our
    tables; what to fetch and keep is `federation.inbox.backfill`'s decision."""
    async with ctx.pool.acquire() as conn:
        if not await follows.locally_followed(conn, actor):
            return [Ignore(f"no backfill: we do not follow {actor}")]
        outbox = await conn.fetchval(ACTOR_OUTBOX, actor)
    if not outbox:
        return [Ignore(f"no backfill: {actor} has no outbox")]
    return await backfill(fetcher, actor, outbox)


async def _know_author(ctx: Context, author: str) -> None:
    """An object announced by a circle may come from a territory we do not follow: fetch
    its actor, so that its pages name the author beside the "via". Unreachable, the object
    is still kept, shown without the author's name."""
    try:
        await fetch_actor(ctx, author)
    except FetchError as exc:
        log.info("author %s of an announced object not fetched: %s", author, exc)


async def _prefetch(ctx: Context, fetcher: Fetcher, effects: list[Effect]) -> list[Effect]:
    """Network work happens before the transaction: fetch followers we do not know yet,
    objects that must come from their origin, and a newly followed territory's outbox."""
    ready: list[Effect] = []
    for effect in effects:
        if isinstance(effect, RecordFollower):
            await fetch_actor(ctx, effect.follower)
        if isinstance(effect, FetchObject):
            effect = await fetch_object(fetcher, effect)
            if isinstance(effect, StoreObject) and effect.via is not None:
                await _know_author(ctx, effect.sender)
        if isinstance(effect, Backfill):
            ready += await _backfill(ctx, fetcher, effect.actor)
            continue
        ready.append(effect)
    return ready


async def _without_blocked_links(ctx: Context, parsed: RemoteObject) -> RemoteObject:
    """The object as we may show it: an image on a blocked domain is dropped, so no page
    of ours makes a reader's browser fetch from that domain."""
    if parsed.image is not None and await ctx.blocks.blocks(ctx.pool, host_of(parsed.image.url)):
        return replace(parsed, image=None)
    return parsed


async def execute(
    ctx: Context, conn: asyncpg.Connection, effects: list[Effect]
) -> list[str]:
    results: list[str] = []
    for effect in effects:
        match effect:
            case Ignore(reason):
                results.append(f"ignored: {reason}")
            case RecordFollower(follower, followee, follow_activity, accepted):
                state = await follows.record_follow(
                    conn, follower, followee, "accepted" if accepted else "pending",
                    follow_activity["id"],
                )
                results.append(f"follower {follower}: {state}")
            case SendAnswer(kind, local_actor, follow_activity):
                answer = activities.answer_follow(
                    kind, new_activity_id(ctx.settings.base_url), local_actor, follow_activity
                )
                await publish(conn, answer, recipients=[follow_activity["actor"]])
                results.append(f"{kind} queued")
            case RemoveFollower(follower, followee):
                await follows.delete_follow(conn, follower, followee)
                results.append(f"unfollowed by {follower}")
            case FollowAnswered(follower, followee, follow_iri, accepted):
                status = await follows.answer_our_follow(
                    conn, follower, followee, follow_iri, accepted=accepted
                )
                results.append(f"follow of {followee} {'accepted' if accepted else 'rejected'}"
                               f" ({status})")
            case ForgetActor(actor):
                await follows.forget_actor(conn, actor)
                results.append(f"forgot {actor}")
            case RefreshActor(actor):
                await store_actor(conn, actor)
                results.append(f"refreshed {actor.iri}")
            case StoreObject(parsed, sender, via):
                try:
                    await store_remote(conn, await _without_blocked_links(ctx, parsed), sender)
                except PermissionError as exc:
                    results.append(f"ignored: {exc}")
                else:
                    if via is not None:
                        await relayed.record_via(conn, parsed.id, via)
                    results.append(f"stored {parsed.kind} {parsed.id}"
                                   + (f" via {via}" if via else ""))
            case RemoveObject(object_iri, sender):
                removed = await remove_remote(conn, object_iri, sender)
                results.append(f"{'removed' if removed else 'nothing to remove:'} {object_iri}")
            case Relay(received, object_iri):
                results.append(await relay(conn, ctx.settings.base_url, received, object_iri))
    return results


def _sender(row: asyncpg.Record) -> str:
    raw = row["raw"]
    sender = id_of(raw.get("actor")) if isinstance(raw, dict) else None
    return sender or f"#{row['id']}"


@dataclass(frozen=True)
class Decided:
    """A claimed row whose effects need no network and only `store_remotes`' set-wise
    write: `effects` holds only `StoreObject` and `Ignore`; `refused` is set instead for
    an envelope that does not parse (final)."""

    row: asyncpg.Record
    effects: tuple[StoreObject | Ignore, ...] = ()
    refused: str | None = None


def decide_set_wise(row: asyncpg.Record, snap: Snapshot) -> Decided | None:
    """The row's decision when it can be applied set-wise, else None (one at a time)."""
    try:
        activity = parse_activity(row["raw"])
    except InvalidActivity as exc:
        return Decided(row, refused=f"failed: invalid activity: {exc}")
    try:
        effects = decide(activity, snap)
    except Exception:  # decided again one at a time, where the failure is recorded
        return None
    if all(isinstance(e, (StoreObject, Ignore)) for e in effects):
        return Decided(row, tuple(e for e in effects if isinstance(e, (StoreObject, Ignore))))
    return None


async def process_inbox_batch(
    ctx: Context, limit: int = BATCH_SIZE, *, fetcher: Fetcher | None = None
) -> int:
    """Claim stored activities and process them; return how many were claimed.

    Raises only when PostgreSQL itself fails (`DATABASE_GONE`); any other failure is the
    activity's, recorded on its row. `fetcher` defaults to the signed, bounded fetch."""
    claimed, writing = await _run_batch(ctx, limit, fetcher, None)
    if writing is not None:
        await writing
    return claimed


class InboxProcessor:
    """The worker's inbox step: `process_inbox_batch`, except that a batch's set-wise
    write is left running while the next batch is claimed and decided (CPU in the worker
    while PostgreSQL writes). The next batch writes nothing before that write is done, so
    one actor's activities still apply in order; `close` waits for the last write."""

    def __init__(
        self, ctx: Context, *, limit: int = BATCH_SIZE, fetcher: Fetcher | None = None,
        gather_seconds: float = 0.0,
    ) -> None:
        self.ctx = ctx
        self.limit = limit
        self.fetcher = fetcher
        self.gather_seconds = gather_seconds
        """After a small batch, wait this long before the next claim, so activities that
        trickle in (one NOTIFY each) are processed many at a time, not one by one."""
        self._writing: asyncio.Task[None] | None = None
        self._last = 0

    async def step(self) -> int:
        if self.gather_seconds and 0 < self._last < self.limit // 8:
            await asyncio.sleep(self.gather_seconds)
        writing, self._writing = self._writing, None
        claimed, self._writing = await _run_batch(self.ctx, self.limit, self.fetcher, writing)
        self._last = claimed
        return claimed

    async def close(self) -> None:
        writing, self._writing = self._writing, None
        if writing is not None:
            await asyncio.gather(writing, return_exceptions=True)


async def _run_batch(
    ctx: Context, limit: int, fetcher: Fetcher | None, previous: asyncio.Task[None] | None
) -> tuple[int, asyncio.Task[None] | None]:
    """Claim and decide a batch, wait for `previous` (the last batch's write), run the
    one-at-a-time activities; return the count and the set-wise write, still running."""
    try:
        async with ctx.pool.acquire() as conn:
            claimed = await inbox_log.claim(conn, limit, MAX_ATTEMPTS)
            by_actor: dict[str, list[asyncpg.Record]] = {}
            for row in claimed:
                by_actor.setdefault(_sender(row), []).append(row)
            snap = await snapshot(conn, list(by_actor)) if claimed else None
    except BaseException:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        raise
    if snap is None:
        if previous is not None:
            await previous
        return 0, None
    set_wise, one_by_one = _split(by_actor, snap)  # pure, CPU, while `previous` writes
    if previous is not None:
        await previous  # raises when PostgreSQL failed under it: the loop backs off
    fetcher = fetcher or SignedFetcher(ctx)
    writing = (
        asyncio.create_task(_apply_set_wise(ctx, fetcher, snap, set_wise)) if set_wise else None
    )
    outcomes = await asyncio.gather(
        *(_process_in_order(ctx, fetcher, snap, rows) for rows in one_by_one),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            if writing is not None:
                await asyncio.gather(writing, return_exceptions=True)
            raise outcome
    return len(claimed), writing


def _split(
    by_actor: dict[str, list[asyncpg.Record]], snap: Snapshot
) -> tuple[list[Decided], list[list[asyncpg.Record]]]:
    """The rows of actors whose activities all apply set-wise (decided), and the other
    actors' rows, for one at a time."""
    set_wise: list[Decided] = []
    one_by_one: list[list[asyncpg.Record]] = []
    for rows in by_actor.values():
        decided = [decide_set_wise(row, snap) for row in rows]
        if all(d is not None for d in decided):
            set_wise += [d for d in decided if d is not None]
        else:
            one_by_one.append(rows)
    return set_wise, one_by_one


async def _apply_set_wise(
    ctx: Context, fetcher: Fetcher, snap: Snapshot, batch: list[Decided]
) -> None:
    """`batch` split by actor into `WRITERS` parts written side by side, each on its own
    connection: PostgreSQL spends most of a feed row's cost in one backend (the French
    `to_tsvector` of the `search` column, about 3/4 of it), so two writers use two cores.
    An actor's activities stay in one part, in order."""
    parts: list[list[Decided]] = [[] for _ in range(WRITERS)]
    actors: dict[str, int] = {}
    for d in batch:
        part = actors.setdefault(_sender(d.row), len(actors) % WRITERS)
        parts[part].append(d)
    await asyncio.gather(
        *(_write_set_wise(ctx, fetcher, snap, part) for part in parts if part)
    )


async def _write_set_wise(
    ctx: Context, fetcher: Fetcher, snap: Snapshot, batch: list[Decided]
) -> None:
    """Every object of `batch` in one upsert, every row marked in one statement, one commit;
    on failure, one activity at a time (per actor, in order) so only the faulty one fails."""
    stores = [
        (d.row["id"], effect) for d in batch for effect in d.effects
        if isinstance(effect, StoreObject)
    ]
    try:
        async with ctx.pool.acquire() as conn, conn.transaction():
            stored = await store_remotes(
                conn, [(await _without_blocked_links(ctx, e.object), e.sender) for _, e in stores]
            )
            outcome = iter(stored)
            results: dict[int, str] = {}
            for d in batch:
                results[d.row["id"]] = d.refused or "; ".join(
                    _set_wise_result(effect, outcome) for effect in d.effects
                )
            await inbox_log.mark_processed_many(conn, results)
    except DATABASE_GONE:
        raise
    except Exception as exc:  # one of them is at fault: find out which, one at a time
        log.warning("batch of %d activities failed set-wise (%s: %s): one at a time",
                    len(batch), type(exc).__name__, exc)
        by_actor: dict[str, list[asyncpg.Record]] = {}
        for d in batch:
            by_actor.setdefault(_sender(d.row), []).append(d.row)
        await asyncio.gather(
            *(_process_in_order(ctx, fetcher, snap, rows) for rows in by_actor.values())
        )
        return
    log.info("processed %d activities set-wise (%d objects stored)",
             len(batch), sum(stored))
    if log.isEnabledFor(logging.DEBUG):
        for row_id, result in results.items():
            log.debug("processed activity %s: %s", row_id, result)


def _set_wise_result(effect: StoreObject | Ignore, stored: Any) -> str:
    """What `execute` would have said of the effect; `stored` yields each StoreObject's
    outcome in order."""
    if isinstance(effect, Ignore):
        return f"ignored: {effect.reason}"
    if next(stored):
        return f"stored {effect.object.kind} {effect.object.id}"
    return f"ignored: {effect.object.id} is stored under another author"


async def _process_in_order(
    ctx: Context, fetcher: Fetcher, snap: Snapshot, rows: Sequence[asyncpg.Record]
) -> None:
    for row in rows:
        await process_one(ctx, fetcher, snap, row)


async def process_one(
    ctx: Context, fetcher: Fetcher, snap: Snapshot, row: asyncpg.Record
) -> None:
    row_id, raw, attempts = row["id"], row["raw"], row["attempts"]
    try:
        activity = parse_activity(raw)
    except InvalidActivity as exc:
        log.info("activity %s refused for good: %s", row_id, exc)
        async with ctx.pool.acquire() as conn:
            await inbox_log.mark_processed(conn, row_id, f"failed: invalid activity: {exc}")
        return
    try:
        effects = await _prefetch(ctx, fetcher, decide(activity, snap))
        async with ctx.pool.acquire() as conn, conn.transaction():
            results = await execute(ctx, conn, effects)
            await inbox_log.mark_processed(conn, row_id, "; ".join(results))
    except DATABASE_GONE:
        raise
    except ForbiddenAddress as exc:  # our own rules refused a fetch: final, no retry
        log.info("activity %s refused for good: %s", activity.id, exc)
        async with ctx.pool.acquire() as conn:
            await inbox_log.mark_processed(conn, row_id, f"refused: {exc}")
        return
    except Exception as exc:  # anything else is this activity's fault: record it, go on
        error = f"{type(exc).__name__}: {exc}"
        async with ctx.pool.acquire() as conn:
            given_up = await inbox_log.mark_failed(
                conn, row_id, error, attempts=attempts, max_attempts=MAX_ATTEMPTS
            )
        log.warning(
            "activity %s %s (attempt %d): %s", activity.id,
            "given up" if given_up else "left for a retry", attempts, error,
        )
        return
    log.info("processed %s %s: %s", activity.type, activity.id, results)
