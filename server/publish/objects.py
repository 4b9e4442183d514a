"""Initiatives and events: the editor's input checked, stored, rendered and published.

Each change is one transaction: the `objects` row and the activity that announces it
(`Create`, `Update`, `Delete`), so what followers receive is exactly what is stored.
"""

from __future__ import annotations

import html
import mimetypes
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import nh3

from federation import activities
from federation import objects as vocab
from federation.validation import (
    Issue,
    check_event_input,
    check_initiative_input,
    input_fields,
)
from federation.vocab import AS_CONTEXT, DEFAULT_TIMEZONE, PUBLIC, as_kind, utc_timestamp
from server.context import Context
from server.publish.outbox import new_activity_id, publish
from server.publish.series import series_inputs
from server.store import actors as store
from server.store import object_history
from server.store import objects as objects_table
from server.store.objects import ObjectRow


class InputError(Exception):
    """What is wrong with an editor's input: one `field: problem` line per fault
    (`messages`, for scripts and the API) and the same as `issues`, for pages to word in
    the reader's language."""

    def __init__(self, messages: list[str], issues: list[Issue] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.issues = issues if issues is not None else [Issue("", "invalid", None, m)
                                                         for m in messages]


@dataclass(frozen=True)
class Author:
    """Who makes a change, for the item's history (None from the CLI importer)."""

    account_id: int | None
    email: str


SERIES_FIELDS = ("series", "series_index")
"""Kept in the input of each event of a series, set by the service, never by the editor."""


def context_url(base_url: str) -> str:
    return f"{base_url}/ns/maillage.jsonld"


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
    fields = input_fields(kind)
    clean = {k: v for k, v in data.items() if k in fields and v not in (None, "", [], {})}
    if kind == "event":
        clean.setdefault("timezone", DEFAULT_TIMEZONE)
        clean.setdefault("status", "confirmed")
    check = check_event_input if kind == "event" else check_initiative_input
    issues = check(clean)
    if issues:
        raise InputError([str(issue) for issue in issues], issues)
    return clean


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The input fields whose value differs, for the history."""
    before = before or {}
    names = (set(before) | set(after)) - set(SERIES_FIELDS)
    return sorted(name for name in names if before.get(name) != after.get(name))


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


def image_media_type(url: str) -> str | None:
    """`image/png` for a `.png` address…: receivers (ours among them) keep a `Document`
    attachment as the picture only when its `mediaType` says it is one."""
    guessed = mimetypes.guess_type(url)[0]
    return guessed if guessed and guessed.startswith("image/") else None


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
    zone = ZoneInfo(data.get("timezone") or DEFAULT_TIMEZONE)
    image = data.get("image") or None
    return vocab.LocalObject(
        kind=as_kind(kind),
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
            url=image["url"], media_type=image_media_type(image["url"]),
            alt=image.get("alt", ""), focal_point=None,
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
        online_url=data.get("online_url") if kind == "event" else None,
        all_day=bool(data.get("all_day")),
    )


async def _save(
    conn: asyncpg.Connection, obj: vocab.LocalObject, document: dict[str, Any],
    data: dict[str, Any] | None, *, local: bool, online_url: str | None = None,
) -> asyncpg.Record:
    row = await objects_table.upsert_object(
        conn, _local_row(obj, document, data, local=local, online_url=online_url)
    )
    if row is None:
        raise PermissionError(f"{obj.id} belongs to another actor")
    return row


def _place_columns(place: vocab.Place | None) -> dict[str, Any]:
    return {
        "place_name": place.name if place else None,
        "place_address": place.address.one_line() if place and place.address else None,
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
    }


def _local_row(
    obj: vocab.LocalObject, document: dict[str, Any], data: dict[str, Any] | None, *,
    local: bool, online_url: str | None,
) -> ObjectRow:
    return ObjectRow(
        iri=obj.id, kind=obj.kind, local=local, actor_iri=obj.actor, url=obj.url,
        title=obj.title, summary=obj.summary, content_html=obj.content_html,
        themes=list(obj.themes), **_place_columns(obj.place), online_url=online_url,
        start_time=obj.start, end_time=obj.end, timezone=obj.timezone,
        status=obj.status if obj.kind == "event" else None, initiative_iri=obj.initiative,
        image_url=obj.image.url if obj.image else None,
        image_alt=obj.image.alt if obj.image else None,
        website=obj.website, contact=obj.contact, stage=obj.stage, input=data,
        document=document, published=obj.published, updated=obj.updated,
    )


def _activity(base_url: str, kind: str, actor: str, obj: dict[str, Any]) -> dict[str, Any]:
    return activities.about_object(kind, new_activity_id(base_url), actor, obj)


async def _territory(conn: asyncpg.Connection) -> asyncpg.Record:
    row = await store.territory(conn)
    if row is None:
        raise InputError(["territory: this instance has no territory yet"])
    return row


async def _record(
    conn: asyncpg.Connection, object_id: int, by: Author | None, action: str,
    changed: list[str],
) -> None:
    await object_history.record(
        conn, object_id, by.account_id if by else None, by.email if by else None, action,
        changed,
    )


async def _create(
    conn: asyncpg.Connection, base: str, kind: str, clean: dict[str, Any], by: Author | None,
    action: str = "create",
) -> asyncpg.Record:
    territory = await _territory(conn)
    obj = local_object(
        kind, clean, iri=f"{base}/objects/{uuid.uuid4()}", actor=territory["iri"],
        followers=territory["followers"], published=datetime.now(UTC), updated=None,
    )
    document = vocab.to_as2(obj, context_url=context_url(base))
    row = await _save(conn, obj, document, clean, local=True, online_url=obj.online_url)
    await publish(conn, _activity(base, "Create", territory["iri"], document),
                  to_followers=True, public=True)
    await _record(conn, row["id"], by, action, sorted(clean))
    return row


async def _update(
    conn: asyncpg.Connection, base: str, existing: asyncpg.Record, clean: dict[str, Any],
    by: Author | None, action: str = "update",
) -> asyncpg.Record:
    territory = await _territory(conn)
    obj = local_object(
        existing["kind"], clean, iri=existing["iri"], actor=territory["iri"],
        followers=territory["followers"], published=existing["published"],
        updated=datetime.now(UTC),
    )
    document = vocab.to_as2(obj, context_url=context_url(base))
    row = await _save(conn, obj, document, clean, local=True, online_url=obj.online_url)
    await publish(conn, _activity(base, "Update", territory["iri"], document),
                  to_followers=True)
    await _record(conn, row["id"], by, action, changed_fields(existing["input"], clean))
    return row


async def _delete(
    conn: asyncpg.Connection, base: str, existing: asyncpg.Record, by: Author | None
) -> None:
    territory = await _territory(conn)
    former = existing["document"]
    tombstone = {
        "@context": AS_CONTEXT, "id": existing["iri"], "type": "Tombstone",
        "formerType": former.get("type"), "deleted": utc_timestamp(datetime.now(UTC)),
    }
    await objects_table.mark_deleted(conn, existing["id"], tombstone)
    delete = activities.about_object(
        "Delete", new_activity_id(base), territory["iri"], tombstone,
        to=[PUBLIC], cc=[territory["followers"]],
    )
    await publish(conn, delete, to_followers=True, public=False)
    await _record(conn, existing["id"], by, "delete", [])


def _without_series(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in SERIES_FIELDS}


async def create_local(
    ctx: Context, kind: str, data: dict[str, Any], by: Author | None = None
) -> asyncpg.Record:
    """Publish a new initiative or event; an event with a `recurrence` becomes one Event
    per date (the first one is returned), all in one transaction."""
    clean = normalise_input(kind, _without_series(data))
    base = ctx.settings.base_url
    async with ctx.pool.acquire() as conn, conn.transaction():
        if kind == "event" and clean.get("recurrence"):
            rows = [
                await _create(conn, base, kind, item, by)
                for item in series_inputs(clean, str(uuid.uuid4()))
            ]
            return rows[0]
        return await _create(conn, base, kind, clean, by)


async def update_local(
    ctx: Context, object_id: int, data: dict[str, Any], by: Author | None = None
) -> asyncpg.Record:
    """Publish changes. For an event of a series, the whole series is rewritten from the
    new first date: existing events are updated in order (keeping their IRIs), dates
    added are created, dates dropped are deleted."""
    base = ctx.settings.base_url
    async with ctx.pool.acquire() as conn, conn.transaction():
        existing = await objects_table.local_by_id(conn, object_id)
        if existing is None:
            raise LookupError(f"no local object {object_id}")
        clean = normalise_input(existing["kind"], _without_series(data))
        series = (existing["input"] or {}).get("series")
        if existing["kind"] != "event" or not (series or clean.get("recurrence")):
            return await _update(conn, base, existing, clean, by)
        members = await objects_table.local_series(conn, series) if series else [existing]
        if not clean.get("recurrence"):  # the series becomes one event: this one
            for member in members:
                if member["id"] != existing["id"]:
                    await _delete(conn, base, member, by)
            return await _update(conn, base, existing, clean, by)
        wanted = series_inputs(clean, series or str(uuid.uuid4()))
        first: asyncpg.Record | None = None
        for index, item in enumerate(wanted):
            if index < len(members):
                row = await _update(conn, base, members[index], item, by)
            else:
                row = await _create(conn, base, "event", item, by)
            first = first or row
        for member in members[len(wanted):]:
            await _delete(conn, base, member, by)
        assert first is not None
        return first


async def delete_local(
    ctx: Context, object_id: int, by: Author | None = None, *, whole_series: bool = False
) -> None:
    """Delete (Tombstone + `Delete` to followers); with `whole_series`, every event of the
    series this one belongs to."""
    base = ctx.settings.base_url
    async with ctx.pool.acquire() as conn, conn.transaction():
        existing = await objects_table.local_by_id(conn, object_id)
        if existing is None:
            raise LookupError(f"no local object {object_id}")
        series = (existing["input"] or {}).get("series")
        members = (
            await objects_table.local_series(conn, series)
            if whole_series and series else [existing]
        )
        for member in members:
            await _delete(conn, base, member, by)


async def series_of(conn: asyncpg.Connection, row: asyncpg.Record) -> list[asyncpg.Record]:
    """The events of the series `row` belongs to (empty when it is alone)."""
    series = (row["input"] or {}).get("series")
    return await objects_table.local_series(conn, series) if series else []


async def history(conn: asyncpg.Connection, object_id: int) -> list[asyncpg.Record]:
    return await object_history.of_object(conn, object_id)


async def list_local(conn: asyncpg.Connection, *, limit: int = 50) -> list[asyncpg.Record]:
    return await objects_table.list_local(conn, limit)


async def get_local(conn: asyncpg.Connection, object_id: int) -> asyncpg.Record | None:
    return await objects_table.local_by_id(conn, object_id)


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
    row = await objects_table.upsert_object(conn, _remote_row(parsed, sender))
    if row is None:
        raise PermissionError(f"{parsed.id} is stored under another author")
    return row


async def store_remotes(
    conn: asyncpg.Connection, items: list[tuple[vocab.RemoteObject, str]]
) -> list[bool]:
    """`store_remote` for many objects, set-wise (the worker's batches): for each item,
    whether it was stored (False: stored under another author). Items are written in
    order; an object named twice is written in as many statements, the last one winning."""
    rounds: list[list[int]] = []
    seen: dict[str, int] = {}
    for index, (parsed, _) in enumerate(items):
        depth = seen.get(parsed.id, 0)
        seen[parsed.id] = depth + 1
        if depth == len(rounds):
            rounds.append([])
        rounds[depth].append(index)
    stored = [False] * len(items)
    for indexes in rounds:
        written = await objects_table.upsert_objects(
            conn, [_remote_row(*items[i]) for i in indexes]
        )
        for i in indexes:
            stored[i] = items[i][0].id in written
    return stored


def _remote_row(parsed: vocab.RemoteObject, sender: str) -> ObjectRow:
    """Links that are not http(s) are dropped: they end up in our pages' `href`s."""
    return ObjectRow(
        iri=parsed.id, kind=parsed.kind, local=False, actor_iri=sender,
        url=_http_url(parsed.url), title=parsed.title, summary=plain_text(parsed.summary),
        content_html=parsed.content_html, themes=list(parsed.themes),
        **_place_columns(parsed.place), online_url=_http_url(parsed.online_url),
        start_time=parsed.start, end_time=parsed.end, timezone=parsed.timezone,
        status=parsed.status, initiative_iri=_http_url(parsed.initiative),
        image_url=_http_url(parsed.image.url) if parsed.image else None,
        image_alt=parsed.image.alt if parsed.image else None,
        website=_http_url(parsed.website), contact=parsed.contact, stage=parsed.stage,
        input=None, document=parsed.document, published=parsed.published or datetime.now(UTC),
        updated=parsed.updated,
    )


async def remove_remote(conn: asyncpg.Connection, iri: str, sender: str) -> bool:
    return await objects_table.remove_remote(conn, iri, sender)
