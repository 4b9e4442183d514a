"""Remote actors: fetched signed by our instance actor, stored, and their keys cached.

Reading a stored actor never does I/O; fetching is always an explicit `await fetch_actor`.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urldefrag, urlsplit

import asyncpg

from federation import webfinger
from federation.errors import BadResponse, FetchError
from federation.fetch import fetch_json
from federation.httpsig import PublicKeyInfo, load_public_key
from federation.remote_actor import RemoteActor, key_owner, parse_actor
from server.context import Context

log = logging.getLogger(__name__)

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


async def store_actor(conn: asyncpg.Connection, actor: RemoteActor) -> None:
    await conn.execute(
        UPSERT_REMOTE_ACTOR, actor.iri, actor.type, actor.username, actor.domain, actor.name,
        actor.summary, actor.url, actor.inbox, actor.shared_inbox, actor.outbox,
        actor.followers, actor.following, actor.icon_url, actor.manually_approves,
        actor.public_key_id, actor.public_key_pem, actor.document,
    )


def actor_from_row(row: asyncpg.Record) -> RemoteActor:
    return parse_actor(row["document"], row["iri"])


async def fetch_signed(ctx: Context, url: str) -> tuple[str, dict[str, Any]]:
    """GET an AS2 document, signed by the instance actor (for authorized-fetch peers)."""
    async with ctx.pool.acquire() as conn:
        auth = await ctx.signers.instance(conn)
    return await fetch_json(ctx.http, url, ctx.fetch_policy, auth=auth)


async def fetch_actor(ctx: Context, iri: str, *, refresh: bool = False) -> RemoteActor:
    """The stored actor, or fetched from its origin (and stored) when unknown or refreshed."""
    if not refresh:
        async with ctx.pool.acquire() as conn:
            row = await conn.fetchrow(ACTOR_BY_IRI, iri)
        if row is not None and row["document"] is not None and not row["local"]:
            return actor_from_row(row)
    final_url, doc = await fetch_signed(ctx, iri)
    actor = parse_actor(doc, final_url)
    if actor.iri != iri and not refresh:
        log.info("actor %s answered as %s", iri, actor.iri)
    async with ctx.pool.acquire() as conn:
        await store_actor(conn, actor)
    return actor


class KeyCache:
    """Remote public keys by key id: memory, then PostgreSQL, then the key's origin.

    `refresh=True` (asked once by the verifier when a signature fails) re-fetches: the
    actor may have rotated its key.
    """

    def __init__(self, ctx: Context, ttl_seconds: float = 600.0) -> None:
        self.ctx = ctx
        self.ttl = ttl_seconds
        self._memory: dict[str, tuple[float, PublicKeyInfo]] = {}

    def forget(self, key_id: str) -> None:
        self._memory.pop(key_id, None)

    async def stored(self, key_id: str) -> PublicKeyInfo | None:
        cached = self._memory.get(key_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        async with self.ctx.pool.acquire() as conn:
            row = await conn.fetchrow(ACTOR_BY_KEY, key_id)
        if row is None or not row["public_key_pem"]:
            return None
        return self._remember(key_id, row["iri"], row["public_key_pem"])

    def _remember(self, key_id: str, owner: str, pem: str) -> PublicKeyInfo:
        info = PublicKeyInfo(key_id=key_id, owner=owner, public_key=load_public_key(pem))
        self._memory[key_id] = (time.monotonic(), info)
        return info

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKeyInfo | None:
        if not refresh:
            found = await self.stored(key_id)
            if found is not None:
                return found
        self.forget(key_id)
        try:
            actor = await self._fetch_key_owner(key_id)
        except FetchError as exc:
            log.info("cannot fetch key %s: %s", key_id, exc)
            return None
        if actor.public_key_id != key_id or actor.public_key_pem is None:
            return None
        return self._remember(key_id, actor.iri, actor.public_key_pem)

    async def _fetch_key_owner(self, key_id: str) -> RemoteActor:
        document_url = urldefrag(key_id).url
        final_url, doc = await fetch_signed(self.ctx, document_url)
        owner = key_owner(doc, key_id)
        if owner is not None:  # a standalone key document: its owner holds the key
            return await fetch_actor(self.ctx, owner, refresh=True)
        actor = parse_actor(doc, final_url)
        async with self.ctx.pool.acquire() as conn:
            await store_actor(conn, actor)
        return actor


AS_LINK_TYPES = frozenset(
    {"application/activity+json", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
)


async def resolve_handle(ctx: Context, handle: str) -> str:
    """`@name@domain`, `name@domain` or an actor URL → the actor id, via WebFinger."""
    handle = handle.strip()
    if handle.startswith(("http://", "https://")):
        return handle
    query = webfinger.parse_resource(handle)
    assert isinstance(query, webfinger.AcctQuery)
    scheme = "http" if ctx.settings.dev else "https"
    resource = f"acct:{query.username}@{query.domain}"
    url = f"{scheme}://{query.domain}/.well-known/webfinger?resource={resource}"
    _, jrd = await fetch_json(ctx.http, url, ctx.fetch_policy, accept="application/jrd+json")
    for link in jrd.get("links", []):
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and link.get("type") in AS_LINK_TYPES
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    raise BadResponse(f"WebFinger for {handle} names no ActivityPub actor")


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()
