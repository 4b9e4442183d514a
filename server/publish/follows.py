"""Following and being followed: what an administrator (web page or CLI) can do.

Each function checks, records and publishes in one transaction; the worker delivers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from federation import activities
from federation.errors import FetchError
from federation.webfinger import BadResource
from server.context import Context
from server.publish.outbox import new_activity_id, publish
from server.receive.remote import fetch_actor, resolve_handle
from server.store import actors as store
from server.store import follows as follows_table
from server.store import inbox_log


class FollowError(Exception):
    """What went wrong, in words an administrator can act on."""


@dataclass(frozen=True)
class FollowLists:
    requests: list[asyncpg.Record]
    """Follow requests waiting for approval (manually approved territories)."""
    followers: list[asyncpg.Record]
    following: list[asyncpg.Record]
    """Accepted and still pending follows we sent."""


async def _territory(conn: asyncpg.Connection) -> asyncpg.Record:
    row = await store.territory(conn)
    if row is None:
        raise FollowError("this instance has no territory yet (maillage territory set)")
    return row


async def follow(ctx: Context, handle: str) -> str:
    """Send a Follow from our territory to the actor a handle names; return its id."""
    try:
        target = await resolve_handle(ctx, handle)
        actor = await fetch_actor(ctx, target, refresh=True)
    except BadResource as exc:
        raise FollowError(str(exc)) from exc
    except FetchError as exc:
        raise FollowError(f"could not reach {handle}: {exc}") from exc
    async with ctx.pool.acquire() as conn, conn.transaction():
        local = await _territory(conn)
        if actor.iri == local["iri"]:
            raise FollowError("a territory cannot follow itself")
        existing = await follows_table.follow_row(conn, local["iri"], actor.iri)
        if existing is not None and existing["state"] == "accepted":
            raise FollowError(f"already following {actor.handle}")
        activity = activities.follow(
            new_activity_id(ctx.settings.base_url), local["iri"], actor.iri
        )
        await follows_table.record_follow(conn, local["iri"], actor.iri, "pending", activity["id"])
        await publish(conn, activity, recipients=[actor.iri])
    return actor.iri


async def unfollow(ctx: Context, actor_iri: str) -> None:
    async with ctx.pool.acquire() as conn, conn.transaction():
        local = await _territory(conn)
        row = await follows_table.follow_row(conn, local["iri"], actor_iri)
        if row is None:
            raise FollowError(f"not following {actor_iri}")
        follow_activity: dict[str, Any] = activities.follow(
            row["activity_iri"] or new_activity_id(ctx.settings.base_url), local["iri"], actor_iri
        )
        await follows_table.delete_follow(conn, local["iri"], actor_iri)
        undo_id = new_activity_id(ctx.settings.base_url)
        undo = activities.undo(undo_id, local["iri"], follow_activity)
        await publish(conn, undo, recipients=[actor_iri])


async def answer_request(ctx: Context, follower_iri: str, *, accept: bool) -> None:
    """Approve or refuse a pending follow request (or remove an accepted follower)."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        local = await _territory(conn)
        row = await follows_table.follow_row(conn, follower_iri, local["iri"])
        if row is None:
            raise FollowError(f"no follow request from {follower_iri}")
        raw = await inbox_log.received_raw(conn, row["activity_iri"])
        follow_activity = raw or activities.follow(
            row["activity_iri"] or new_activity_id(ctx.settings.base_url), follower_iri,
            local["iri"],
        )
        if accept:
            await follows_table.record_follow(
                conn, follower_iri, local["iri"], "accepted", row["activity_iri"]
            )
        else:
            await follows_table.delete_follow(conn, follower_iri, local["iri"])
        answer = activities.answer_follow(
            "Accept" if accept else "Reject",
            new_activity_id(ctx.settings.base_url),
            local["iri"],
            follow_activity,
        )
        await publish(conn, answer, recipients=[follower_iri])


async def follow_lists(conn: asyncpg.Connection, local_iri: str) -> FollowLists:
    return FollowLists(
        requests=await follows_table.follow_list(conn, local_iri, followers=True,
                                                 states=["pending"]),
        followers=await follows_table.follow_list(conn, local_iri, followers=True,
                                                  states=["accepted"]),
        following=await follows_table.follow_list(conn, local_iri, followers=False,
                                                  states=["accepted", "pending"]),
    )
