"""Remote actors: fetched signed by our instance actor, stored, and their keys cached.

Reading a stored actor never does I/O; fetching is always an explicit `await fetch_actor`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urldefrag

import asyncpg

from federation import webfinger
from federation.errors import BadResponse, FetchError
from federation.fetch import fetch_json
from federation.httpsig import PublicKeyInfo, load_public_key
from federation.inbox.strict import scrub
from federation.remote_actor import RemoteActor, key_owner, parse_actor
from federation.vocab import host_of
from server.context import Context
from server.receive.limits import KEY_WAIT_SECONDS, limits_for
from server.store import actors as actors_table

log = logging.getLogger(__name__)


def _storable(actor: RemoteActor) -> RemoteActor:
    """The actor with NUL and lone surrogates removed from its texts and document: PostgreSQL
    refuses them, and a peer's odd display name must not fail the whole activity."""
    texts = {
        name: scrub(value)
        for name, value in vars(actor).items()
        if isinstance(value, (str, dict))
    }
    return replace(actor, **texts)


async def store_actor(conn: asyncpg.Connection, actor: RemoteActor) -> None:
    actor = _storable(actor)
    await actors_table.upsert_remote_actor(conn, actor)


def actor_from_row(row: asyncpg.Record) -> RemoteActor:
    return actors_table.remote_actor_of(row)


async def fetch_signed(
    ctx: Context, url: str, *, slot_wait: float | None = None
) -> tuple[str, dict[str, Any]]:
    """GET an AS2 document, signed by the instance actor (for authorized-fetch peers).

    Bounded per host and in total (`limits`), so a host whose fetches hang holds a few of
    the client's connections, not all of them; the document comes back scrubbed of what
    PostgreSQL cannot store."""
    async with ctx.pool.acquire() as conn:
        auth = await ctx.signers.instance(conn)
    async with limits_for(ctx.http).slot(host_of(url), slot_wait):
        final_url, document = await fetch_json(ctx.http, url, ctx.fetch_policy, auth=auth)
    return final_url, scrub(document)


async def fetch_actor(
    ctx: Context, iri: str, *, refresh: bool = False, slot_wait: float | None = None
) -> RemoteActor:
    """The stored actor, or fetched from its origin (and stored) when unknown or refreshed."""
    if not refresh:
        async with ctx.pool.acquire() as conn:
            row = await actors_table.actor_by_iri(conn, iri)
        if row is not None and row["document"] is not None and not row["local"]:
            return actor_from_row(row)
    final_url, doc = await fetch_signed(ctx, iri, slot_wait=slot_wait)
    actor = parse_actor(doc, final_url)
    if actor.iri != iri and not refresh:
        log.info("actor %s answered as %s", iri, actor.iri)
    async with ctx.pool.acquire() as conn:
        await store_actor(conn, actor)
    return actor


class KeyCache:
    """Remote public keys by key id: memory, then PostgreSQL, then the key's origin.

    `refresh=True` (asked once by the verifier when a signature fails) re-fetches: the
    actor may have rotated its key. Fetches are bounded per host (`limits.py`) and wait
    only `KEY_WAIT_SECONDS` for a slot: a host whose key fetches hang gets 401s, and holds a
    few of the client's connections, never the pool other senders' keys need.
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
            row = await actors_table.actor_by_key(conn, key_id)
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
        final_url, doc = await fetch_signed(self.ctx, document_url, slot_wait=KEY_WAIT_SECONDS)
        owner = key_owner(doc, key_id)
        if owner is not None:  # a standalone key document: its owner holds the key
            return await fetch_actor(
                self.ctx, owner, refresh=True, slot_wait=KEY_WAIT_SECONDS
            )
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
    query = webfinger.parse_handle(handle)
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
