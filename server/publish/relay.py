"""A relaying territory (a circle) announces to its own followers each initiative or event
that a territory it follows has just published or changed (FEP-1b12; the forms are
`federation.relay`'s decision). Runs in the worker, in the transaction that stores the
received object, so an announce leaves exactly when the object is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from federation import relay as forms
from federation.vocab import id_of, utc_timestamp
from server.publish.outbox import new_activity_id, publish

FOLLOWERS_WITH_TYPES = """
SELECT f.follower_iri AS iri, a.type
FROM follows f LEFT JOIN actors a ON a.iri = f.follower_iri
WHERE f.followee_iri = $1 AND f.state = 'accepted'
ORDER BY f.id
"""
KEPT = "SELECT actor_iri FROM objects WHERE iri = $1 AND NOT local AND deleted_at IS NULL"
RELAYING = "SELECT iri, followers FROM actors WHERE local AND role = 'territory' AND relays"


async def relaying_territory(conn: asyncpg.Connection) -> asyncpg.Record | None:
    """Our territory when it relays (`maillage territory set --relay`), else None."""
    return await conn.fetchrow(RELAYING)


async def relay(
    conn: asyncpg.Connection, base_url: str, received: dict[str, Any], object_iri: str
) -> str:
    """Announce `received` (a Create or Update of `object_iri`, as it came) to our
    followers, each in its form; a word for the processing log."""
    territory = await relaying_territory(conn)
    if territory is None:
        return "not relayed: this territory does not relay"
    author = await conn.fetchval(KEPT, object_iri)
    if author is None:
        return f"not relayed: {object_iri} is not kept"
    followers = await conn.fetch(FOLLOWERS_WITH_TYPES, territory["iri"])
    by_form = forms.split_followers((row["iri"], row["type"]) for row in followers)
    published = utc_timestamp(datetime.now(UTC))
    sent = []
    plan: list[tuple[str, list[str], str | dict[str, Any]]] = [
        ("activity", by_form["activity"], received), ("object", by_form["object"], object_iri),
    ]
    for form, recipients, announced in plan:
        if not recipients:
            continue
        activity = forms.announce(
            new_activity_id(base_url), territory["iri"], announced,
            followers=territory["followers"], author=id_of(received.get("actor")) or author,
            published=published,
        )
        await publish(conn, activity, recipients=recipients, public=True)
        sent.append(f"{len(recipients)} {form}")
    return f"relayed {object_iri} to " + (", ".join(sent) if sent else "no follower")
