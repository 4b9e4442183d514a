"""Creating our local actors with their keys: the instance actor and the territory.

Keys are generated here and handed to the store as PEM; an actor's id is federated as soon
as peers have seen it, so a territory is created once and never renamed.
"""

from __future__ import annotations

import asyncpg

from federation.actor import ActorUrls
from server.actors.keys import generate_keys
from server.store import actors as store
from server.store.actors import NewLocalActor, TerritoryFields


class SlugTaken(ValueError):
    """The territory exists under another slug; its actor id cannot change once federated."""


async def _create(
    conn: asyncpg.Connection,
    *,
    role: str,
    type_: str,
    username: str,
    domain: str,
    urls: ActorUrls,
    fields: TerritoryFields,
) -> None:
    keys = generate_keys()
    await store.insert_local_actor(
        conn,
        NewLocalActor(
            role=role,
            type=type_,
            username=username,
            domain=domain,
            urls=urls,
            name=fields.name or username,
            summary=fields.summary or "",
            public_key_pem=keys.public_key_pem,
            private_key_pem=keys.private_key_pem,
            ed25519_private=keys.ed25519_private,
            place_name=fields.place_name,
            latitude=fields.latitude,
            longitude=fields.longitude,
        ),
    )


async def ensure_instance_actor(
    conn: asyncpg.Connection, base_url: str, domain: str
) -> asyncpg.Record:
    """The Application actor that signs fetches; created with its keys on first start."""
    row = await store.instance_actor(conn)
    if row is not None:
        return row
    host = domain.rsplit(":", 1)[0]
    await _create(
        conn,
        role="instance",
        type_="Application",
        username=host,
        domain=domain,
        urls=ActorUrls.instance(base_url),
        fields=TerritoryFields(name=f"Maillage {domain}"),
    )
    row = await store.instance_actor(conn)  # a concurrent starter may have won the insert
    assert row is not None
    return row


async def set_territory(
    conn: asyncpg.Connection, base_url: str, domain: str, slug: str, fields: TerritoryFields
) -> asyncpg.Record:
    """Create the territory on first call, then update the fields given."""
    existing = await store.territory(conn)
    if existing is None:
        await _create(
            conn,
            role="territory",
            type_="Group",
            username=slug,
            domain=domain,
            urls=ActorUrls.territory(base_url, slug),
            fields=fields,
        )
        existing = await store.territory(conn)  # ours, or a concurrent creator's
        assert existing is not None
    if existing["username"].lower() != slug.lower():
        raise SlugTaken(
            f"this instance's territory is already '{existing['username']}'; "
            "its address is federated and cannot be renamed"
        )
    return await store.update_territory(conn, existing["id"], fields)
