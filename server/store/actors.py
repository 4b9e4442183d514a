"""SQL for actors and accounts: queries as named constants, functions at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from federation.actor import ActorUrls, main_key_id
from server.actors.keys import generate_keys

LOCAL_ACTOR_BY_ROLE = "SELECT * FROM actors WHERE local AND role = $1 ORDER BY id LIMIT 1"
LOCAL_ACTOR_BY_USERNAME = "SELECT * FROM actors WHERE local AND lower(username) = lower($1)"

INSERT_LOCAL_ACTOR = """
INSERT INTO actors (iri, local, role, type, username, domain, name, summary, url, inbox,
                    shared_inbox, outbox, followers, following, place_name, latitude, longitude,
                    public_key_id, public_key_pem, private_key_pem, ed25519_private)
VALUES ($1, true, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
        $17, $18, $19, $20)
ON CONFLICT DO NOTHING
RETURNING *
"""

UPDATE_TERRITORY = """
UPDATE actors SET
    name = coalesce($2, name),
    summary = coalesce($3, summary),
    place_name = coalesce($4, place_name),
    latitude = coalesce($5, latitude),
    longitude = coalesce($6, longitude),
    manually_approves = coalesce($7, manually_approves),
    updated_at = now()
WHERE id = $1
RETURNING *
"""

COUNT_FOLLOWS = """
SELECT
    count(*) FILTER (WHERE followee_iri = $1 AND state = 'accepted') AS followers,
    count(*) FILTER (WHERE follower_iri = $1 AND state = 'accepted') AS following
FROM follows WHERE (followee_iri = $1 OR follower_iri = $1)
"""

INSERT_ACCOUNT = """
INSERT INTO accounts (email, password_hash, role) VALUES ($1, $2, $3)
ON CONFLICT (lower(email)) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                                         role = EXCLUDED.role
RETURNING id, (xmax = 0) AS created
"""

COUNT_LOCAL_ACTORS = "SELECT count(*) FROM actors WHERE local AND role = 'territory'"


@dataclass(frozen=True)
class TerritoryFields:
    """What an administrator may set on the territory; None leaves a field as it is."""

    name: str | None = None
    summary: str | None = None
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    manually_approves: bool | None = None


async def instance_actor(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_ACTOR_BY_ROLE, "instance")


async def territory(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_ACTOR_BY_ROLE, "territory")


async def local_actor(conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_ACTOR_BY_USERNAME, username)


async def _insert_local_actor(
    conn: asyncpg.Connection,
    *,
    role: str,
    type_: str,
    username: str,
    domain: str,
    urls: ActorUrls,
    fields: TerritoryFields,
) -> asyncpg.Record | None:
    keys = generate_keys()
    return await conn.fetchrow(
        INSERT_LOCAL_ACTOR,
        urls.id,
        role,
        type_,
        username,
        domain,
        fields.name or username,
        fields.summary or "",
        urls.url,
        urls.inbox,
        urls.shared_inbox,
        urls.outbox,
        urls.followers,
        urls.following,
        fields.place_name,
        fields.latitude,
        fields.longitude,
        main_key_id(urls.id),
        keys.public_key_pem,
        keys.private_key_pem,
        keys.ed25519_private,
    )


async def ensure_instance_actor(
    conn: asyncpg.Connection, base_url: str, domain: str
) -> asyncpg.Record:
    """The Application actor that signs fetches; created with its keys on first start."""
    row = await instance_actor(conn)
    if row is not None:
        return row
    host = domain.rsplit(":", 1)[0]
    await _insert_local_actor(
        conn,
        role="instance",
        type_="Application",
        username=host,
        domain=domain,
        urls=ActorUrls.instance(base_url),
        fields=TerritoryFields(name=f"Maillage {domain}"),
    )
    row = await instance_actor(conn)  # a concurrent starter may have won the insert
    assert row is not None
    return row


class SlugTaken(ValueError):
    """The territory exists under another slug; its actor id cannot change once federated."""


async def set_territory(
    conn: asyncpg.Connection, base_url: str, domain: str, slug: str, fields: TerritoryFields
) -> asyncpg.Record:
    """Create the territory on first call, then update the fields given."""
    existing = await territory(conn)
    if existing is None:
        await _insert_local_actor(
            conn,
            role="territory",
            type_="Group",
            username=slug,
            domain=domain,
            urls=ActorUrls.territory(base_url, slug),
            fields=fields,
        )
        existing = await territory(conn)  # ours, or a concurrent creator's
        assert existing is not None
    if existing["username"].lower() != slug.lower():
        raise SlugTaken(
            f"this instance's territory is already '{existing['username']}'; "
            "its address is federated and cannot be renamed"
        )
    row = await conn.fetchrow(
        UPDATE_TERRITORY,
        existing["id"],
        fields.name,
        fields.summary,
        fields.place_name,
        fields.latitude,
        fields.longitude,
        fields.manually_approves,
    )
    assert row is not None
    return row


async def follow_counts(conn: asyncpg.Connection, actor_iri: str) -> tuple[int, int]:
    row = await conn.fetchrow(COUNT_FOLLOWS, actor_iri)
    assert row is not None
    return int(row["followers"]), int(row["following"])


async def upsert_account(
    conn: asyncpg.Connection, email: str, password_hash: str, role: str
) -> tuple[int, bool]:
    row = await conn.fetchrow(INSERT_ACCOUNT, email, password_hash, role)
    assert row is not None
    return int(row["id"]), bool(row["created"])


async def count_territories(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval(COUNT_LOCAL_ACTORS))


def iso(value: datetime) -> str:
    """UTC timestamp as AS2 documents write it: `2026-11-25T14:00:00Z`."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
