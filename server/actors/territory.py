"""Changing the territory: store the fields, then tell followers (`Update{Group}`)."""

from __future__ import annotations

import asyncpg

from federation import activities
from federation.actor import actor_document
from server.actors.local import set_territory
from server.actors.profiles import profile_of
from server.publish.outbox import new_activity_id, publish
from server.settings import Settings
from server.store import actors as store


async def set_and_announce(
    conn: asyncpg.Connection, settings: Settings, slug: str, fields: store.TerritoryFields
) -> asyncpg.Record:
    """Create or update the territory; an update reaches every follower's server, which
    refreshes its copy of the profile (Mastodon does on `Update` of an actor)."""
    async with conn.transaction():
        existed = await store.territory(conn) is not None
        row = await set_territory(conn, settings.base_url, settings.domain, slug, fields)
        if existed:
            document = actor_document(profile_of(row, settings))
            update = activities.update_actor(new_activity_id(settings.base_url), document)
            await publish(conn, update, to_followers=True)
    return row
