"""The `follows` table: who follows whom, in which state, by which Follow activity.

Every statement that reads or writes `follows` lives here, whichever flow calls it (the
administrator's follows, the inbox executor, the collections pages, the admin page).

One upsert writes a follow, under one merge rule (`record_follow`): an accepted follow is
never downgraded by a repeated or late Follow; any other state is replaced by the new one, and
the row always remembers the latest Follow activity's id (what an Undo or an Accept names).
"""

from __future__ import annotations

from typing import Literal

import asyncpg

State = Literal["pending", "accepted", "rejected"]

RECORD_FOLLOW = """
INSERT INTO follows (follower_iri, followee_iri, state, activity_iri) VALUES ($1, $2, $3, $4)
ON CONFLICT (follower_iri, followee_iri) DO UPDATE
SET activity_iri = EXCLUDED.activity_iri, updated_at = now(),
    state = CASE WHEN follows.state = 'accepted' THEN 'accepted' ELSE EXCLUDED.state END
RETURNING state
"""
FOLLOW_ROW = "SELECT * FROM follows WHERE follower_iri = $1 AND followee_iri = $2"
FOLLOW_STATE = "SELECT state FROM follows WHERE follower_iri = $1 AND followee_iri = $2"
DELETE_FOLLOW = "DELETE FROM follows WHERE follower_iri = $1 AND followee_iri = $2"
# Accept or Reject of a Follow we sent: matched by the follower or by the Follow's id, since
# some servers answer with the Follow's id only.
ANSWER_OUR_FOLLOW = """
UPDATE follows SET state = $3, updated_at = now()
WHERE followee_iri = $1 AND state <> $3
  AND (follower_iri = $2 OR activity_iri = $4)
  AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
# A remote actor deleted at its origin: its follows, both ways, and its row go together.
FORGET_ACTOR = """
WITH gone AS (DELETE FROM follows WHERE follower_iri = $1 OR followee_iri = $1)
DELETE FROM actors WHERE iri = $1 AND NOT local
"""
LOCALLY_FOLLOWED = """
SELECT 1 FROM follows
WHERE followee_iri = $1 AND state <> 'rejected'
  AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
FOLLOWED_BY_LOCAL = """
SELECT followee_iri FROM follows
WHERE state = 'accepted' AND follower_iri IN (SELECT iri FROM actors WHERE local)
"""
COUNT_FOLLOWS = """
SELECT
    count(*) FILTER (WHERE followee_iri = $1 AND state = 'accepted') AS followers,
    count(*) FILTER (WHERE follower_iri = $1 AND state = 'accepted') AS following
FROM follows WHERE (followee_iri = $1 OR follower_iri = $1)
"""
FOLLOWERS_PAGE = """
SELECT id, follower_iri AS iri FROM follows
WHERE followee_iri = $1 AND state = 'accepted' AND id < $2
ORDER BY id DESC LIMIT $3
"""
FOLLOWING_PAGE = """
SELECT id, followee_iri AS iri FROM follows
WHERE follower_iri = $1 AND state = 'accepted' AND id < $2
ORDER BY id DESC LIMIT $3
"""
# The admin page's lists: $2 true lists followers of $1, false the actors $1 follows.
FOLLOW_LIST = """
SELECT f.follower_iri, f.followee_iri, f.state, f.created_at,
       a.name, a.username, a.domain, a.url
FROM follows f
LEFT JOIN actors a ON a.iri = (CASE WHEN $2 THEN f.follower_iri ELSE f.followee_iri END)
WHERE (CASE WHEN $2 THEN f.followee_iri ELSE f.follower_iri END) = $1
  AND f.state = ANY($3::text[])
ORDER BY f.id DESC
LIMIT 500
"""


async def record_follow(
    conn: asyncpg.Connection, follower: str, followee: str, state: State, activity_iri: str | None
) -> str:
    """Write a follow; return the state it now has. The merge rule: an accepted follow stays
    accepted (a peer re-sending its Follow, or a Follow arriving after our Accept, must not
    turn a follower back into a request); any other state takes `state`; the Follow's id is
    always the latest one."""
    return str(await conn.fetchval(RECORD_FOLLOW, follower, followee, state, activity_iri))


async def follow_row(
    conn: asyncpg.Connection, follower: str, followee: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(FOLLOW_ROW, follower, followee)


async def follow_state(conn: asyncpg.Connection, follower: str, followee: str) -> str | None:
    state = await conn.fetchval(FOLLOW_STATE, follower, followee)
    return str(state) if state is not None else None


async def delete_follow(conn: asyncpg.Connection, follower: str, followee: str) -> None:
    await conn.execute(DELETE_FOLLOW, follower, followee)


async def answer_our_follow(
    conn: asyncpg.Connection, follower: str, followee: str, follow_iri: str | None, *,
    accepted: bool,
) -> str:
    """Record a peer's answer to a Follow a local actor sent; return the command status."""
    state = "accepted" if accepted else "rejected"
    return str(await conn.execute(ANSWER_OUR_FOLLOW, followee, follower, state, follow_iri))


async def forget_actor(conn: asyncpg.Connection, actor_iri: str) -> None:
    """Drop a remote actor with every follow it had (a `Delete` of the actor)."""
    await conn.execute(FORGET_ACTOR, actor_iri)


async def locally_followed(conn: asyncpg.Connection, actor_iri: str) -> bool:
    """Whether a local actor follows `actor_iri`, or has asked to (pending)."""
    return bool(await conn.fetchval(LOCALLY_FOLLOWED, actor_iri))


async def followed_by_local(conn: asyncpg.Connection) -> frozenset[str]:
    """The actors some local actor follows (accepted)."""
    return frozenset(r["followee_iri"] for r in await conn.fetch(FOLLOWED_BY_LOCAL))


async def follow_counts(conn: asyncpg.Connection, actor_iri: str) -> tuple[int, int]:
    """(followers, following) of an actor, accepted follows only."""
    row = await conn.fetchrow(COUNT_FOLLOWS, actor_iri)
    assert row is not None
    return int(row["followers"]), int(row["following"])


async def followers_page(
    conn: asyncpg.Connection, actor_iri: str, max_id: int, limit: int
) -> list[asyncpg.Record]:
    """Accepted followers (columns id, iri), newest first, with id below `max_id`."""
    return list(await conn.fetch(FOLLOWERS_PAGE, actor_iri, max_id, limit))


async def following_page(
    conn: asyncpg.Connection, actor_iri: str, max_id: int, limit: int
) -> list[asyncpg.Record]:
    """Accepted follows of the actor (columns id, iri), newest first, with id below `max_id`."""
    return list(await conn.fetch(FOLLOWING_PAGE, actor_iri, max_id, limit))


async def follow_list(
    conn: asyncpg.Connection, actor_iri: str, *, followers: bool, states: list[str]
) -> list[asyncpg.Record]:
    """Followers of (or follows by) an actor in the given states, with the other side's name,
    handle parts and web link when known."""
    return list(await conn.fetch(FOLLOW_LIST, actor_iri, followers, states))
