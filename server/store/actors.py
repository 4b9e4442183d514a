"""The `actors` table: our local actors (instance, territory) and the remote ones we know.

Pure SQL: keys arrive as PEM and multibase strings (made in server/actors/), rows leave as
`asyncpg.Record`s; a remote actor is read back through its one mapper, `remote_actor_of`
(the stored document parsed again), so reading never does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from federation.actor import ActorUrls, main_key_id
from federation.remote_actor import RemoteActor, parse_actor

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
    icon_path = coalesce($8, icon_path),
    banner_path = coalesce($9, banner_path),
    website = nullif(coalesce($10, website), ''),
    contact = nullif(coalesce($11, contact), ''),
    relays = coalesce($12, relays),
    updated_at = now()
WHERE id = $1
RETURNING *
"""

COUNT_LOCAL_ACTORS = "SELECT count(*) FROM actors WHERE local AND role = 'territory'"
LOCAL_SIGNING_KEY = "SELECT public_key_id, private_key_pem FROM actors WHERE iri = $1 AND local"
NAME_AND_URL = "SELECT name, url FROM actors WHERE iri = $1"

UPSERT_REMOTE_ACTOR = """
INSERT INTO actors (iri, local, type, username, domain, name, summary, url, inbox, shared_inbox,
                    outbox, followers, following, icon_url, manually_approves, public_key_id,
                    public_key_pem, document, fetched_at)
VALUES ($1, false, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, now())
ON CONFLICT (iri) DO UPDATE SET
    type = EXCLUDED.type, username = EXCLUDED.username, name = EXCLUDED.name,
    summary = EXCLUDED.summary, url = EXCLUDED.url, inbox = EXCLUDED.inbox,
    shared_inbox = EXCLUDED.shared_inbox, outbox = EXCLUDED.outbox,
    followers = EXCLUDED.followers, following = EXCLUDED.following,
    icon_url = EXCLUDED.icon_url, manually_approves = EXCLUDED.manually_approves,
    public_key_id = EXCLUDED.public_key_id, public_key_pem = EXCLUDED.public_key_pem,
    document = EXCLUDED.document, fetched_at = now(), updated_at = now()
WHERE NOT actors.local
"""
ACTOR_BY_IRI = "SELECT * FROM actors WHERE iri = $1"
ACTOR_BY_KEY = "SELECT iri, public_key_id, public_key_pem FROM actors WHERE public_key_id = $1"
DELETE_REMOTE_ACTOR = "DELETE FROM actors WHERE iri = $1 AND NOT local"


@dataclass(frozen=True)
class TerritoryFields:
    """What an administrator may set on the territory; None leaves a field as it is."""

    name: str | None = None
    summary: str | None = None
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    manually_approves: bool | None = None
    icon_path: str | None = None
    banner_path: str | None = None
    website: str | None = None
    """"" removes it (as `contact`)."""
    contact: str | None = None
    relays: bool | None = None
    """Announce to our followers what the territories we follow publish (a circle)."""


@dataclass(frozen=True)
class NewLocalActor:
    """A local actor about to be created, with the key material made for it."""

    role: str
    type: str
    username: str
    domain: str
    urls: ActorUrls
    name: str
    summary: str
    public_key_pem: str
    private_key_pem: str
    ed25519_private: str
    """multibase/multicodec-encoded Ed25519 private key (bovine's format)."""
    place_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None


# -------------------------------------------------------------------------- local actors


async def instance_actor(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_ACTOR_BY_ROLE, "instance")


async def territory(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_ACTOR_BY_ROLE, "territory")


async def local_actor(conn: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_ACTOR_BY_USERNAME, username)


async def insert_local_actor(conn: asyncpg.Connection, actor: NewLocalActor) -> None:
    """Create a local actor; nothing happens when its id or username is taken (a concurrent
    starter won the insert): read the row back with `instance_actor` or `territory`."""
    urls = actor.urls
    await conn.execute(
        INSERT_LOCAL_ACTOR,
        urls.id,
        actor.role,
        actor.type,
        actor.username,
        actor.domain,
        actor.name,
        actor.summary,
        urls.url,
        urls.inbox,
        urls.shared_inbox,
        urls.outbox,
        urls.followers,
        urls.following,
        actor.place_name,
        actor.latitude,
        actor.longitude,
        main_key_id(urls.id),
        actor.public_key_pem,
        actor.private_key_pem,
        actor.ed25519_private,
    )


async def update_territory(
    conn: asyncpg.Connection, actor_id: int, fields: TerritoryFields
) -> asyncpg.Record:
    """Set the fields given (None leaves a column as it is); return the updated row."""
    row = await conn.fetchrow(
        UPDATE_TERRITORY,
        actor_id,
        fields.name,
        fields.summary,
        fields.place_name,
        fields.latitude,
        fields.longitude,
        fields.manually_approves,
        fields.icon_path,
        fields.banner_path,
        fields.website,
        fields.contact,
        fields.relays,
    )
    assert row is not None
    return row


async def count_territories(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval(COUNT_LOCAL_ACTORS))


async def local_signing_key(conn: asyncpg.Connection, iri: str) -> asyncpg.Record | None:
    """Columns public_key_id, private_key_pem of a local actor; None when not local."""
    return await conn.fetchrow(LOCAL_SIGNING_KEY, iri)


# ------------------------------------------------------------------------- remote actors


async def upsert_remote_actor(conn: asyncpg.Connection, actor: RemoteActor) -> None:
    """Store what a remote actor's origin served; a local actor's row is never overwritten."""
    await conn.execute(
        UPSERT_REMOTE_ACTOR, actor.iri, actor.type, actor.username, actor.domain, actor.name,
        actor.summary, actor.url, actor.inbox, actor.shared_inbox, actor.outbox,
        actor.followers, actor.following, actor.icon_url, actor.manually_approves,
        actor.public_key_id, actor.public_key_pem, actor.document,
    )


def remote_actor_of(row: asyncpg.Record) -> RemoteActor:
    """The row mapper for remote actors: the stored document, parsed as when it arrived."""
    return parse_actor(row["document"], row["iri"])


async def actor_by_iri(conn: asyncpg.Connection, iri: str) -> asyncpg.Record | None:
    """Any actor's row, local or remote."""
    return await conn.fetchrow(ACTOR_BY_IRI, iri)


async def name_and_url(conn: asyncpg.Connection, iri: str) -> asyncpg.Record | None:
    """Any known actor's display name and web page (columns name, url)."""
    return await conn.fetchrow(NAME_AND_URL, iri)


async def actor_by_key(conn: asyncpg.Connection, key_id: str) -> asyncpg.Record | None:
    """Columns iri, public_key_id, public_key_pem of the actor holding a key id."""
    return await conn.fetchrow(ACTOR_BY_KEY, key_id)


async def delete_remote_actor(conn: asyncpg.Connection, iri: str) -> None:
    await conn.execute(DELETE_REMOTE_ACTOR, iri)
