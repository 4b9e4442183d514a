"""Initiatives and events: the editor's input checked, stored, rendered and published.

Each change is one transaction: the `objects` row and the activity that announces it
(`Create`, `Update`, `Delete`), so what followers receive is exactly what is stored.
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import nh3

from federation import objects as vocab
from federation.validation import validate_event_input, validate_initiative_input
from federation.vocab import AS_CONTEXT, PUBLIC
from server.context import Context
from server.publish.outbox import new_activity_id, publish
from server.store import actors as store


class InputError(Exception):
    """What is wrong with an editor's input: one `field: problem` line per fault."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


UPSERT_OBJECT = """
INSERT INTO objects (iri, kind, local, actor_iri, url, title, summary, content_html, themes,
                     place_name, place_address, latitude, longitude, online_url, start_time,
                     end_time, timezone, status, initiative_iri, image_url, image_alt, website,
                     contact, stage, input, document, published, updated)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25, $26, $27, $28)
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
    updated = EXCLUDED.updated, deleted_at = NULL
WHERE objects.actor_iri = EXCLUDED.actor_iri AND objects.local = EXCLUDED.local
RETURNING *
"""
LOCAL_BY_ID = "SELECT * FROM objects WHERE id = $1 AND local AND deleted_at IS NULL"
LIST_LOCAL = """
SELECT * FROM objects WHERE local AND deleted_at IS NULL ORDER BY published DESC, id DESC LIMIT $1
"""
MARK_DELETED = """
UPDATE objects SET deleted_at = now(), document = $2, input = NULL WHERE id = $1
"""


def context_url(base_url: str) -> str:
    return f"{base_url}/ns/maillage.jsonld"


DEFAULT_ZONE = "Europe/Paris"


def _when(value: Any, zone: ZoneInfo) -> datetime | None:
    """`2026-12-05T14:00` is wall-clock time in the event's zone; an offset is kept.
    Input is validated (formats, zone, order) before it gets here."""
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def normalise_input(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate against the JSON Schema (and the date checks beside it); return the input
    as it will be stored."""
    if kind not in ("event", "initiative"):
        raise InputError([f"kind: must be event or initiative, not {kind!r}"])
    clean = {k: v for k, v in data.items() if v not in (None, "", [], {})}
    if kind == "event":
        clean.setdefault("timezone", DEFAULT_ZONE)
        clean.setdefault("status", "confirmed")
    validate = validate_event_input if kind == "event" else validate_initiative_input
    problems = validate(clean)
    if problems:
        raise InputError(problems)
    return clean


def _address(value: Any) -> vocab.PostalAddress | None:
    """An address typed as one line, or given in parts (JSON API, import)."""
    if isinstance(value, str) and value.strip():
        return vocab.PostalAddress(street=value.strip())
    if isinstance(value, dict):
        address = vocab.PostalAddress(
            street=value.get("street"), postal_code=value.get("postal_code"),
            locality=value.get("locality"), region=value.get("region"),
            country=value.get("country"),
        )
        return None if address.is_empty() else address
    return None


def local_object(
    kind: str,
    data: dict[str, Any],
    *,
    iri: str,
    actor: str,
    followers: str,
    published: datetime,
    updated: datetime | None,
) -> vocab.LocalObject:
    place = data.get("place") or None
    zone = ZoneInfo(data.get("timezone") or DEFAULT_ZONE)
    image = data.get("image") or None
    return vocab.LocalObject(
        kind=kind,
        id=iri,
        url=iri,
        actor=actor,
        followers=followers,
        title=data["title"],
        summary=data.get("summary", ""),
        content_html=(
            vocab.sanitize_html(data.get("description", ""))
            if data.get("description_format") == "html"
            else vocab.markdown_to_html(data.get("description", ""))
        ),
        themes=tuple(data.get("themes", [])),
        place=vocab.Place(
            name=place.get("name", ""),
            address=_address(place.get("address")),
            latitude=place.get("latitude"),
            longitude=place.get("longitude"),
        ) if place else None,
        image=vocab.Image(
            url=image["url"], media_type=None, alt=image.get("alt", ""), focal_point=None
        ) if image else None,
        published=published,
        updated=updated,
        website=data.get("website"),
        contact=data.get("contact"),
        stage=data.get("stage"),
        organisers=tuple(data.get("organisers", [])),
        start=_when(data.get("start"), zone),
        end=_when(data.get("end"), zone),
        timezone=data.get("timezone") if kind == "event" else None,
        status=data.get("status", "confirmed"),
        initiative=data.get("initiative"),
    )


async def _save(
    conn: asyncpg.Connection, obj: vocab.LocalObject, document: dict[str, Any],
    data: dict[str, Any] | None, *, local: bool, online_url: str | None = None,
) -> asyncpg.Record:
    place = obj.place
    address = place.address.one_line() if place and place.address else None
    row = await conn.fetchrow(
        UPSERT_OBJECT, obj.id, obj.kind, local, obj.actor, obj.url, obj.title, obj.summary,
        obj.content_html, list(obj.themes), place.name if place else None, address,
        place.latitude if place else None, place.longitude if place else None, online_url,
        obj.start, obj.end, obj.timezone,
        obj.status if obj.kind == "event" else None, obj.initiative,
        obj.image.url if obj.image else None, obj.image.alt if obj.image else None,
        obj.website, obj.contact, obj.stage, data, document, obj.published, obj.updated,
    )
    if row is None:
        raise PermissionError(f"{obj.id} belongs to another actor")
    return row


def _activity(base_url: str, kind: str, actor: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": obj.get("@context", AS_CONTEXT),
        "id": new_activity_id(base_url),
        "type": kind,
        "actor": actor,
        "object": {k: v for k, v in obj.items() if k != "@context"},
        "to": obj.get("to", [PUBLIC]),
        "cc": obj.get("cc", []),
    }


async def _territory(conn: asyncpg.Connection) -> asyncpg.Record:
    row = await store.territory(conn)
    if row is None:
        raise InputError(["territory: this instance has no territory yet"])
    return row


async def create_local(ctx: Context, kind: str, data: dict[str, Any]) -> asyncpg.Record:
    clean = normalise_input(kind, data)
    base = ctx.settings.base_url
    async with ctx.pool.acquire() as conn, conn.transaction():
        territory = await _territory(conn)
        obj = local_object(
            kind, clean, iri=f"{base}/objects/{uuid.uuid4()}", actor=territory["iri"],
            followers=territory["followers"], published=datetime.now(UTC), updated=None,
        )
        document = vocab.to_as2(obj, context_url=context_url(base))
        row = await _save(conn, obj, document, clean, local=True)
        await publish(conn, _activity(base, "Create", territory["iri"], document),
                      to_followers=True, public=True)
    return row


async def update_local(ctx: Context, object_id: int, data: dict[str, Any]) -> asyncpg.Record:
    base = ctx.settings.base_url
    async with ctx.pool.acquire() as conn, conn.transaction():
        existing = await conn.fetchrow(LOCAL_BY_ID, object_id)
        if existing is None:
            raise LookupError(f"no local object {object_id}")
        clean = normalise_input(existing["kind"], data)
        territory = await _territory(conn)
        obj = local_object(
            existing["kind"], clean, iri=existing["iri"], actor=territory["iri"],
            followers=territory["followers"], published=existing["published"],
            updated=datetime.now(UTC),
        )
        document = vocab.to_as2(obj, context_url=context_url(base))
        row = await _save(conn, obj, document, clean, local=True)
        await publish(conn, _activity(base, "Update", territory["iri"], document),
                      to_followers=True)
    return row


async def delete_local(ctx: Context, object_id: int) -> None:
    base = ctx.settings.base_url
    async with ctx.pool.acquire() as conn, conn.transaction():
        existing = await conn.fetchrow(LOCAL_BY_ID, object_id)
        if existing is None:
            raise LookupError(f"no local object {object_id}")
        territory = await _territory(conn)
        former = existing["document"]
        tombstone = {
            "@context": AS_CONTEXT, "id": existing["iri"], "type": "Tombstone",
            "formerType": former.get("type"), "deleted": store.iso(datetime.now(UTC)),
        }
        await conn.execute(MARK_DELETED, object_id, tombstone)
        delete = _activity(base, "Delete", territory["iri"], tombstone)
        delete["to"], delete["cc"] = [PUBLIC], [territory["followers"]]
        await publish(conn, delete, to_followers=True, public=False)


async def list_local(conn: asyncpg.Connection, *, limit: int = 50) -> list[asyncpg.Record]:
    return list(await conn.fetch(LIST_LOCAL, limit))


async def get_local(conn: asyncpg.Connection, object_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(LOCAL_BY_ID, object_id)


def plain_text(html_text: str) -> str:
    """Our `summary` column holds plain text (page descriptions, search); remote summaries
    arrive as HTML."""
    stripped = nh3.clean(html_text.replace("</p>", "</p>\n"), tags=set())
    return html.unescape(stripped).strip()


def _http_url(value: str | None) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


async def store_remote(
    conn: asyncpg.Connection, parsed: vocab.RemoteObject, sender: str
) -> asyncpg.Record:
    """Keep an initiative or event from elsewhere; an Update replaces it. Only its origin's
    actor may write it (the upsert refuses another author)."""
    place = parsed.place
    row = await conn.fetchrow(
        UPSERT_OBJECT, parsed.id, parsed.kind, False, sender, _http_url(parsed.url),
        parsed.title, plain_text(parsed.summary), parsed.content_html, list(parsed.themes),
        place.name if place else None,
        place.address.one_line() if place and place.address else None,
        place.latitude if place else None, place.longitude if place else None,
        _http_url(parsed.online_url), parsed.start, parsed.end, parsed.timezone, parsed.status,
        _http_url(parsed.initiative), _http_url(parsed.image.url) if parsed.image else None,
        parsed.image.alt if parsed.image else None, _http_url(parsed.website), parsed.contact,
        parsed.stage, None, parsed.document, parsed.published or datetime.now(UTC), parsed.updated,
    )
    if row is None:
        raise PermissionError(f"{parsed.id} is stored under another author")
    return row


REMOVE_REMOTE = "DELETE FROM objects WHERE iri = $1 AND NOT local AND actor_iri = $2"


async def remove_remote(conn: asyncpg.Connection, iri: str, sender: str) -> bool:
    return (await conn.execute(REMOVE_REMOTE, iri, sender)) != "DELETE 0"
