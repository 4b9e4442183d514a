"""The `objects` table: initiatives and events, ours and those of territories we follow.

`ObjectRow` is the row as written, one field per column the upsert sets; `upsert_params` is
the one place where it becomes the statement's 32 positional parameters (its columns, then
the folded texts of its search vector), so the column list and the parameter order cannot
drift apart between callers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from server.store.search import search_texts

UPSERT_OBJECT = """
INSERT INTO objects (iri, kind, local, actor_iri, url, title, summary, content_html, themes,
                     place_name, place_address, latitude, longitude, online_url, start_time,
                     end_time, timezone, status, initiative_iri, image_url, image_alt, website,
                     contact, stage, input, document, published, updated, search)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25, $26, $27, $28, maillage_search_vector($29, $30, $31, $32))
ON CONFLICT (iri) DO UPDATE SET
    kind = EXCLUDED.kind, url = EXCLUDED.url, title = EXCLUDED.title,
    summary = EXCLUDED.summary, content_html = EXCLUDED.content_html, themes = EXCLUDED.themes,
    place_name = EXCLUDED.place_name, place_address = EXCLUDED.place_address,
    latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,
    online_url = EXCLUDED.online_url, start_time = EXCLUDED.start_time,
    end_time = EXCLUDED.end_time, timezone = EXCLUDED.timezone, status = EXCLUDED.status,
    initiative_iri = EXCLUDED.initiative_iri, image_url = EXCLUDED.image_url,
    image_alt = EXCLUDED.image_alt, website = EXCLUDED.website, contact = EXCLUDED.contact,
    stage = EXCLUDED.stage, input = EXCLUDED.input, document = EXCLUDED.document,
    updated = EXCLUDED.updated, search = EXCLUDED.search, deleted_at = NULL
WHERE objects.actor_iri = EXCLUDED.actor_iri AND objects.local = EXCLUDED.local
RETURNING *
"""
# The same upsert for many rows in one statement: one array per column, `themes` as JSON
# text (a text[][] would have to be rectangular, and unnest flattens it). Each iri at most
# once per statement (PostgreSQL refuses to update a row twice in one INSERT); the iris
# returned are those written.
_CONFLICT = UPSERT_OBJECT[UPSERT_OBJECT.index("ON CONFLICT"):UPSERT_OBJECT.index("RETURNING")]
UPSERT_OBJECTS = f"""
INSERT INTO objects (iri, kind, local, actor_iri, url, title, summary, content_html, themes,
                     place_name, place_address, latitude, longitude, online_url, start_time,
                     end_time, timezone, status, initiative_iri, image_url, image_alt, website,
                     contact, stage, input, document, published, updated, search)
SELECT u.iri, u.kind, u.local, u.actor_iri, u.url, u.title, u.summary, u.content_html,
       ARRAY(SELECT jsonb_array_elements_text(u.themes::jsonb)), u.place_name, u.place_address,
       u.latitude, u.longitude, u.online_url, u.start_time, u.end_time, u.timezone, u.status,
       u.initiative_iri, u.image_url, u.image_alt, u.website, u.contact, u.stage, u.input,
       u.document, u.published, u.updated, maillage_search_vector(u.sa, u.sb, u.sc, u.sd)
FROM unnest($1::text[], $2::text[], $3::bool[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::float8[],
            $13::float8[], $14::text[], $15::timestamptz[], $16::timestamptz[], $17::text[],
            $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
            $24::text[], $25::jsonb[], $26::jsonb[], $27::timestamptz[], $28::timestamptz[],
            $29::text[], $30::text[], $31::text[], $32::text[])
    AS u(iri, kind, local, actor_iri, url, title, summary, content_html, themes, place_name,
         place_address, latitude, longitude, online_url, start_time, end_time, timezone,
         status, initiative_iri, image_url, image_alt, website, contact, stage, input,
         document, published, updated, sa, sb, sc, sd)
{_CONFLICT}RETURNING iri
"""
OBJECT_BY_IRI = "SELECT * FROM objects WHERE iri = $1"
OBJECT_BY_ID = "SELECT * FROM objects WHERE id = $1 AND deleted_at IS NULL"
LOCAL_BY_ID = "SELECT * FROM objects WHERE id = $1 AND local AND deleted_at IS NULL"
LIST_LOCAL = """
SELECT * FROM objects WHERE local AND deleted_at IS NULL ORDER BY published DESC, id DESC LIMIT $1
"""
LOCAL_INITIATIVES = """
SELECT iri, title FROM objects
WHERE local AND kind = 'initiative' AND deleted_at IS NULL
ORDER BY lower(title), id LIMIT 1000
"""
MARK_DELETED = """
UPDATE objects SET deleted_at = now(), document = $2, input = NULL WHERE id = $1
"""
LOCAL_SERIES = """
SELECT * FROM objects WHERE local AND deleted_at IS NULL AND input ->> 'series' = $1
ORDER BY start_time, id
"""
LOCAL_BY_EXTERNAL_ID = """
SELECT * FROM objects WHERE local AND deleted_at IS NULL AND kind = $1
  AND input ->> 'external_id' = $2
ORDER BY id LIMIT 1
"""
KNOWN_PLACES = """
SELECT DISTINCT ON (lower(place_name)) place_name, place_address, latitude, longitude
FROM objects
WHERE local AND deleted_at IS NULL AND place_name IS NOT NULL AND place_name <> ''
ORDER BY lower(place_name), (latitude IS NULL), updated DESC NULLS LAST, id DESC
LIMIT $1
"""
REMOVE_REMOTE = "DELETE FROM objects WHERE iri = $1 AND NOT local AND actor_iri = $2"


@dataclass(frozen=True)
class ObjectRow:
    """An initiative or event as stored: flat columns, URLs already checked by the caller."""

    iri: str
    kind: str
    local: bool
    actor_iri: str
    url: str | None
    title: str
    summary: str
    content_html: str
    themes: list[str]
    place_name: str | None
    place_address: str | None
    latitude: float | None
    longitude: float | None
    online_url: str | None
    start_time: datetime | None
    end_time: datetime | None
    timezone: str | None
    status: str | None
    initiative_iri: str | None
    image_url: str | None
    image_alt: str | None
    website: str | None
    contact: str | None
    stage: str | None
    input: dict[str, Any] | None
    """What the editor typed (local objects), so the form shows it again."""
    document: dict[str, Any]
    """The AS2 document, served as is (ours) or as received (remote)."""
    published: datetime
    updated: datetime | None


def upsert_params(row: ObjectRow) -> tuple[Any, ...]:
    """The row in `UPSERT_OBJECT`'s parameter order: its 28 columns ($1 … $28), then the
    four folded texts of its search vector ($29 … $32, `server.store.search`)."""
    return (
        row.iri, row.kind, row.local, row.actor_iri, row.url, row.title, row.summary,
        row.content_html, row.themes, row.place_name, row.place_address, row.latitude,
        row.longitude, row.online_url, row.start_time, row.end_time, row.timezone, row.status,
        row.initiative_iri, row.image_url, row.image_alt, row.website, row.contact, row.stage,
        row.input, row.document, row.published, row.updated,
        *search_texts(row.title, row.summary, row.place_name, row.content_html),
    )


async def upsert_object(conn: asyncpg.Connection, row: ObjectRow) -> asyncpg.Record | None:
    """Insert or replace (and undelete) an object; None when the stored one has another
    author or locality: only its origin's actor may rewrite an object."""
    return await conn.fetchrow(UPSERT_OBJECT, *upsert_params(row))


async def upsert_objects(conn: asyncpg.Connection, rows: list[ObjectRow]) -> set[str]:
    """`upsert_object` for many rows (distinct iris) in one round trip; the iris written.
    An iri missing from the answer has another author or locality, as `upsert_object`'s
    None says."""
    if not rows:
        return set()
    columns: list[list[Any]] = [[] for _ in range(32)]
    for row in rows:
        for column, value in zip(columns, upsert_params(row), strict=True):
            column.append(value)
    columns[8] = [json.dumps(list(themes)) for themes in columns[8]]
    return {r["iri"] for r in await conn.fetch(UPSERT_OBJECTS, *columns)}


async def object_by_iri(conn: asyncpg.Connection, iri: str) -> asyncpg.Record | None:
    """Deleted ones too (their tombstone is served with 410)."""
    return await conn.fetchrow(OBJECT_BY_IRI, iri)


async def object_by_id(conn: asyncpg.Connection, object_id: int) -> asyncpg.Record | None:
    """A live object, ours or remote."""
    return await conn.fetchrow(OBJECT_BY_ID, object_id)


async def local_by_id(conn: asyncpg.Connection, object_id: int) -> asyncpg.Record | None:
    """A live object of ours."""
    return await conn.fetchrow(LOCAL_BY_ID, object_id)


async def list_local(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Our live objects, newest first."""
    return list(await conn.fetch(LIST_LOCAL, limit))


async def local_initiatives(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Our live initiatives (columns iri, title), by title: what an event may belong to."""
    return list(await conn.fetch(LOCAL_INITIATIVES))


async def local_series(conn: asyncpg.Connection, series: str) -> list[asyncpg.Record]:
    """The live events of one series (editor input `series`), by date."""
    return list(await conn.fetch(LOCAL_SERIES, series))


async def local_by_external_id(
    conn: asyncpg.Connection, kind: str, external_id: str
) -> asyncpg.Record | None:
    """The live object an import made from the item with this identifier (ICS UID…)."""
    return await conn.fetchrow(LOCAL_BY_EXTERNAL_ID, kind, external_id)


async def known_places(conn: asyncpg.Connection, limit: int = 500) -> list[asyncpg.Record]:
    """The places our initiatives and events already use, one per name (with coordinates
    when any use has them), for the editor to pick again."""
    return list(await conn.fetch(KNOWN_PLACES, limit))


async def mark_deleted(
    conn: asyncpg.Connection, object_id: int, tombstone: dict[str, Any]
) -> None:
    """Keep the row as a tombstone (its IRI answers 410); the editor's input is dropped."""
    await conn.execute(MARK_DELETED, object_id, tombstone)


async def remove_remote(conn: asyncpg.Connection, iri: str, actor_iri: str) -> bool:
    """Drop a remote object, only when `actor_iri` is its author; whether one was dropped."""
    status: str = await conn.execute(REMOVE_REMOTE, iri, actor_iri)
    return status != "DELETE 0"
