"""Which actor announced a remote object to us (the "via" shown beside its author), kept
apart from the object's row: the object is stored once, by its id, however many ways it
came; the first relaying actor that brought it is remembered."""

from __future__ import annotations

import asyncpg

RECORD_VIA = """
INSERT INTO object_via (object_iri, via_iri) VALUES ($1, $2)
ON CONFLICT (object_iri) DO NOTHING
"""
VIA_OF = """
SELECT a.iri, a.name, a.url FROM object_via v JOIN actors a ON a.iri = v.via_iri
WHERE v.object_iri = $1
"""


async def record_via(conn: asyncpg.Connection, object_iri: str, via_iri: str) -> None:
    await conn.execute(RECORD_VIA, object_iri, via_iri)


async def via_of(conn: asyncpg.Connection, object_iri: str) -> asyncpg.Record | None:
    """The relaying actor (iri, name, url) that brought `object_iri`, if one did."""
    return await conn.fetchrow(VIA_OF, object_iri)
