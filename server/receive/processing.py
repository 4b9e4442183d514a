"""The executor: turns the handlers' effects into rows and outgoing activities.

Runs in the worker. Each stored activity is claimed, decided and executed in one transaction
with marking it processed, so a crash leaves it to be processed again, and every effect is
written to be harmless when applied twice.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from federation import activities
from federation.errors import FederationError, FetchError
from federation.handlers import (
    OBJECT_TYPES,
    Backfill,
    Effect,
    FetchObject,
    FollowAnswered,
    ForgetActor,
    Ignore,
    LocalActor,
    RecordFollower,
    RefreshActor,
    RemoveFollower,
    RemoveObject,
    SendAnswer,
    Snapshot,
    StoreObject,
    decide,
)
from federation.objects import InvalidObject, parse_remote
from federation.remote_actor import parse_actor
from federation.vocab import id_of, same_origin, type_of
from server.context import Context
from server.publish.objects import remove_remote, store_remote
from server.publish.outbox import new_activity_id, publish
from server.receive.remote import fetch_actor, fetch_signed, store_actor

log = logging.getLogger(__name__)

CLAIM_INBOX = """
UPDATE inbox_log SET locked_until = now() + interval '5 minutes', attempts = attempts + 1
WHERE id IN (
    SELECT id FROM inbox_log
    WHERE processed_at IS NULL AND (locked_until IS NULL OR locked_until < now())
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING id, raw, attempts
"""
MARK_PROCESSED = "UPDATE inbox_log SET processed_at = now(), result = $2 WHERE id = $1"
LOCAL_ACTORS = "SELECT iri, manually_approves FROM actors WHERE local"
FOLLOWING = """
SELECT 1 FROM follows
WHERE followee_iri = $1 AND state <> 'rejected'
  AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
BACKFILL_PAGES = 5
BACKFILL_ITEMS = 200
FOLLOWED = """
SELECT followee_iri FROM follows
WHERE state = 'accepted' AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
UPSERT_FOLLOWER = """
INSERT INTO follows (follower_iri, followee_iri, state, activity_iri) VALUES ($1, $2, $3, $4)
ON CONFLICT (follower_iri, followee_iri) DO UPDATE
SET activity_iri = EXCLUDED.activity_iri, updated_at = now(),
    state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE EXCLUDED.state END
RETURNING state
"""
DELETE_FOLLOW = "DELETE FROM follows WHERE follower_iri = $1 AND followee_iri = $2"
ANSWER_OUR_FOLLOW = """
UPDATE follows SET state = $3, updated_at = now()
WHERE followee_iri = $1 AND state <> $3
  AND (follower_iri = $2 OR activity_iri = $4)
  AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
FORGET_ACTOR = """
WITH gone AS (DELETE FROM follows WHERE follower_iri = $1 OR followee_iri = $1)
DELETE FROM actors WHERE iri = $1 AND NOT local
"""
MAX_ATTEMPTS = 5


async def snapshot(conn: asyncpg.Connection) -> Snapshot:
    rows = await conn.fetch(LOCAL_ACTORS)
    followed = frozenset(r["followee_iri"] for r in await conn.fetch(FOLLOWED))
    return Snapshot(
        {r["iri"]: LocalActor(r["iri"], r["manually_approves"]) for r in rows}, followed
    )


async def _fetch_object(ctx: Context, effect: FetchObject) -> Effect:
    """An object is trusted only as its origin serves it; its author is on that origin."""
    final_url, document = await fetch_signed(ctx, effect.object_iri)
    object_id = document.get("id")
    author = id_of(document.get("attributedTo")) or id_of(document.get("actor"))
    if not isinstance(object_id, str) or not same_origin(object_id, final_url):
        return Ignore(f"{effect.object_iri} served an object from another origin")
    if author is None or not same_origin(author, object_id):
        return Ignore(f"{object_id}: its author is not on its origin")
    return StoreObject(document, author)


async def _backfill(ctx: Context, actor: str) -> list[Effect]:
    """The events and initiatives in the outbox of a territory we now follow: a few pages,
    newest first, keeping only objects on the territory's own origin."""
    async with ctx.pool.acquire() as conn:
        if not await conn.fetchval(FOLLOWING, actor):
            return [Ignore(f"no backfill: we do not follow {actor}")]
        outbox = await conn.fetchval("SELECT outbox FROM actors WHERE iri = $1", actor)
    if not outbox:
        return [Ignore(f"no backfill: {actor} has no outbox")]
    items: list[Any] = []
    try:
        _, collection = await fetch_signed(ctx, outbox)
        items += collection.get("orderedItems") or []
        page: Any = collection.get("first")
        for _ in range(BACKFILL_PAGES):
            if isinstance(page, str) and same_origin(page, actor):
                _, page = await fetch_signed(ctx, page)
            if not isinstance(page, dict):
                break
            items += page.get("orderedItems") or page.get("items") or []
            page = page.get("next")
    except FetchError as exc:
        return [Ignore(f"backfill of {actor} failed: {exc}")]
    effects: list[Effect] = []
    for item in items[:BACKFILL_ITEMS]:
        obj = item.get("object") if type_of(item) in ("Create", "Update") else item
        if (
            isinstance(obj, dict)
            and type_of(obj) in OBJECT_TYPES
            and isinstance(obj.get("id"), str)
            and same_origin(obj["id"], actor)
        ):
            effects.append(StoreObject(obj, actor))
    return effects or [Ignore(f"nothing to backfill from {actor}")]


async def _prefetch(ctx: Context, effects: list[Effect]) -> list[Effect]:
    """Network work happens before the transaction: fetch followers we do not know yet,
    objects that must come from their origin, and a newly followed territory's outbox."""
    ready: list[Effect] = []
    for effect in effects:
        if isinstance(effect, RecordFollower):
            await fetch_actor(ctx, effect.follower)
        if isinstance(effect, FetchObject):
            effect = await _fetch_object(ctx, effect)
        if isinstance(effect, Backfill):
            ready += await _backfill(ctx, effect.actor)
            continue
        ready.append(effect)
    return ready


async def execute(
    ctx: Context, conn: asyncpg.Connection, effects: list[Effect]
) -> list[str]:
    results: list[str] = []
    for effect in effects:
        match effect:
            case Ignore(reason):
                results.append(f"ignored: {reason}")
            case RecordFollower(follower, followee, follow_activity, accepted):
                state = await conn.fetchval(
                    UPSERT_FOLLOWER, follower, followee, "accepted" if accepted else "pending",
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
                await conn.execute(DELETE_FOLLOW, follower, followee)
                results.append(f"unfollowed by {follower}")
            case FollowAnswered(follower, followee, follow_iri, accepted):
                status = await conn.execute(
                    ANSWER_OUR_FOLLOW, followee, follower,
                    "accepted" if accepted else "rejected", follow_iri,
                )
                results.append(f"follow of {followee} {'accepted' if accepted else 'rejected'}"
                               f" ({status})")
            case ForgetActor(actor):
                await conn.execute(FORGET_ACTOR, actor)
                results.append(f"forgot {actor}")
            case RefreshActor(document, actor):
                await store_actor(conn, parse_actor(document, actor))
                results.append(f"refreshed {actor}")
            case StoreObject(document, sender):
                results.append(await _store_object(conn, document, sender))
            case RemoveObject(object_iri, sender):
                removed = await remove_remote(conn, object_iri, sender)
                results.append(f"{'removed' if removed else 'nothing to remove:'} {object_iri}")
    return results


async def _store_object(conn: asyncpg.Connection, document: dict[str, Any], sender: str) -> str:
    try:
        parsed = parse_remote(document)
    except InvalidObject as exc:
        log.info("dropped object %s from %s: %s", document.get("id"), sender, exc)
        return f"dropped: {exc}"
    if not same_origin(parsed.id, sender):
        return f"ignored: {parsed.id} is not on {sender}'s origin"
    try:
        await store_remote(conn, parsed, sender)
    except PermissionError as exc:
        return f"ignored: {exc}"
    return f"stored {parsed.kind} {parsed.id}"


async def process_inbox_batch(ctx: Context, limit: int = 50) -> int:
    """Claim stored activities and process them; return how many were claimed.

    Fetches happen first, outside any transaction. Then one transaction applies the whole
    batch, each activity in a savepoint of its own: one commit per batch, and an activity
    that fails leaves the others applied and itself to a later claim."""
    async with ctx.pool.acquire() as conn:
        claimed = await conn.fetch(CLAIM_INBOX, limit)
        if not claimed:
            return 0
        snap = await snapshot(conn)
    ready = []
    for row in claimed:
        effects = await _ready_effects(ctx, row["raw"], row["attempts"], snap)
        if effects is not None:
            ready.append((row["id"], row["raw"], row["attempts"], effects))
    if not ready:
        return len(claimed)
    async with ctx.pool.acquire() as conn, conn.transaction():
        for row_id, activity, attempts, effects in ready:
            try:
                async with conn.transaction():
                    results = await execute(ctx, conn, effects)
                    await conn.execute(MARK_PROCESSED, row_id, "; ".join(results)[:2000])
            except (asyncpg.PostgresError, FederationError, ValueError) as exc:
                if attempts < MAX_ATTEMPTS:
                    log.warning("activity %s left for a retry: %s", activity.get("id"), exc)
                else:
                    log.warning("activity %s given up: %s", activity.get("id"), exc)
                    await conn.execute(MARK_PROCESSED, row_id, f"failed: {exc}"[:2000])
                continue
            log.info("processed %s %s: %s", activity.get("type"), activity.get("id"), results)
    return len(claimed)


async def _ready_effects(
    ctx: Context, activity: dict[str, Any], attempts: int, snap: Snapshot
) -> list[Effect] | None:
    """The handler's effects with their fetches done; None to wait for a later claim."""
    effects = decide(activity, snap)
    try:
        return await _prefetch(ctx, effects)
    except FetchError as exc:
        if attempts < MAX_ATTEMPTS:
            log.info("activity %s waits for a fetch: %s", activity.get("id"), exc)
            return None  # the claim expires and a later batch tries again
        return [Ignore(f"gave up fetching what it needs: {exc}")]
