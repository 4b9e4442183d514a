"""Subscriptions: feed rows as iCalendar, Atom and JSON Feed 1.1 (GeoJSON is written by
PostgreSQL: `server.read.subscriptions.GEOJSON`), and the listings' validators. Pure
functions.

Each takes the rows a listing read (`server.read.feed.COLUMNS`, plus `actor_name`) and what
a document says about itself (its own URL, the page it mirrors, a title), and returns bytes
or a dict; the route adds the HTTP validators. Links point at our item pages
(`/items/{id}`), which show local and received items alike; ids are the objects' IRIs, stable
across instances and renames.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event, Timezone, vGeo

from federation import themes
from federation.objects.dates import zone as event_zone
from server.version import VERSION

ICS_STATUS = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True)
class Document:
    """What an exported document says about itself."""

    base_url: str
    self_url: str
    """This document's own URL (with its filters)."""
    html_url: str
    """The page listing the same items."""
    title: str
    locale: str = "fr"


def item_url(base_url: str, row: Any) -> str:
    return f"{base_url}/items/{row['id']}"


def changed_at(row: Any) -> datetime:
    updated: datetime | None = row["updated"]
    published: datetime = row["published"]
    return max(updated, published) if updated is not None else published


def sequence(row: Any) -> int:
    """RFC 5545's SEQUENCE must grow with each revision: the seconds from publication to
    the last Update do, without a revision counter to store (every Update moves `updated`)."""
    return max(0, int((changed_at(row) - row["published"]).total_seconds()))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def revision_us(moment: datetime) -> int:
    """Microseconds since 1970: the revision as the ETag writes it (and as
    `server.read.subscriptions.VALIDATORS` writes it in SQL)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def validators(rows: Sequence[Any], salt: str) -> tuple[str, datetime | None]:
    """(ETag, Last-Modified) of a listing: the ETag covers each row's id and revision and the
    request's own variant (`salt`: path, filters, language), so a deletion, an edit or a
    status change gives a new one; Last-Modified is the newest revision. The same bytes
    as the SQL of a poll's narrow read (`server.read.subscriptions.validators`), rows taken
    by id."""
    revisions = {row["id"]: (changed_at(row), row["status"]) for row in rows}
    text = "".join(f"|{ident}:{revision_us(at)}:{status or ''}"
                   for ident, (at, status) in sorted(revisions.items()))
    digest = hashlib.sha256((salt + text).encode())
    newest = max((at for at, _ in revisions.values()), default=None)
    return f'W/"{digest.hexdigest()[:32]}"', newest


def _labels(ids: Sequence[str], locale: str) -> list[str]:
    return [theme.label(locale) for theme in map(themes.by_id, ids) if theme is not None]


def _place(row: Any) -> str | None:
    parts = [p for p in (row["place_name"], row["place_address"]) if p]
    return ", ".join(parts) if parts else None


# --------------------------------------------------------------------------- iCalendar


EVENT_FIELDS = ("id", "iri", "published", "updated", "title", "start_time", "end_time",
                "timezone", "summary", "online_url", "place_name", "place_address",
                "latitude", "longitude", "status", "themes")
"""What a VEVENT says: the key of its cached text."""


def _vevent(row: Any, base_url: str, locale: str) -> Event:
    tz = event_zone(row["timezone"])
    event = Event()
    event.add("uid", row["iri"])
    event.add("dtstamp", changed_at(row).astimezone(UTC))
    event.add("created", row["published"].astimezone(UTC))
    event.add("last-modified", changed_at(row).astimezone(UTC))
    event.add("sequence", sequence(row))
    event.add("summary", row["title"])
    event.add("dtstart", row["start_time"].astimezone(tz) if tz else row["start_time"])
    if row["end_time"] is not None:
        event.add("dtend", row["end_time"].astimezone(tz) if tz else row["end_time"])
    description = row["summary"] or ""
    if row["online_url"]:
        description = f"{description}\n\n{row['online_url']}".strip()
    if description:
        event.add("description", description)
    place = _place(row)
    if place:
        event.add("location", place)
    if row["latitude"] is not None and row["longitude"] is not None:
        event.add("geo", vGeo((row["latitude"], row["longitude"])))
    event.add("url", item_url(base_url, row))
    event.add("status", ICS_STATUS.get(row["status"] or "confirmed", "CONFIRMED"))
    labels = _labels(row["themes"], locale)
    if labels:
        event.add("categories", labels)
    return event


@lru_cache(maxsize=20_000)
def _vevent_text(fields: tuple[Any, ...], base_url: str, locale: str) -> bytes:
    """One VEVENT as icalendar writes it, kept for the next poll: icalendar takes ~0.45 ms
    an event, so a calendar of 500 cost ~250 ms to build each time (bench part 7); an event
    is written again only when one of its `EVENT_FIELDS` changes."""
    return bytes(_vevent(dict(zip(EVENT_FIELDS, fields, strict=True)), base_url,
                         locale).to_ical())


@lru_cache(maxsize=64)
def _vtimezone_text(name: str) -> bytes:
    """The VTIMEZONE icalendar makes for a zone (b"" for one it does not know), once."""
    try:
        return bytes(Timezone.from_tzid(name).to_ical())
    except ValueError:
        return b""


def ics(rows: Sequence[Any], doc: Document) -> bytes:
    """An RFC 5545 calendar of the events among `rows`, with a VTIMEZONE for each zone
    an event is written in (times stay in the event's own zone, as its organisers wrote
    them). The calendar's own lines come from icalendar; its components, each written by
    icalendar too, are cached texts put in before its end."""
    cal = Calendar()
    cal.add("prodid", f"-//Maillage//Maillage {VERSION}//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", doc.title)
    cal.add("x-published-ttl", "PT1H")
    cal.add("url", doc.html_url)
    zones: set[str] = set()
    events: list[bytes] = []
    for row in rows:
        if row["kind"] == "event" and row["start_time"] is not None:
            fields = tuple(tuple(row[k]) if k == "themes" else row[k] for k in EVENT_FIELDS)
            events.append(_vevent_text(fields, doc.base_url, doc.locale))
            tz = event_zone(row["timezone"])
            if tz is not None:
                zones.add(tz.key)
    end = b"END:VCALENDAR\r\n"
    head = bytes(cal.to_ical())
    if not head.endswith(end):
        raise AssertionError("icalendar ends a calendar with END:VCALENDAR")
    return b"".join([head[: -len(end)], *(_vtimezone_text(z) for z in sorted(zones)),
                     *events, end])


# -------------------------------------------------------------------------------- Atom


def atom(rows: Sequence[Any], doc: Document) -> bytes:
    fg = FeedGenerator()
    fg.id(doc.self_url)
    fg.title(doc.title)
    fg.link(href=doc.html_url, rel="alternate", type="text/html")
    fg.link(href=doc.self_url, rel="self", type="application/atom+xml")
    fg.language(doc.locale)
    fg.generator("Maillage", version=VERSION)
    fg.updated(max((changed_at(r) for r in rows), default=datetime(2026, 1, 1, tzinfo=UTC)))
    for row in reversed(rows):  # feedgen prepends each entry: newest ends up first
        entry = fg.add_entry()
        entry.id(row["iri"])
        entry.title(row["title"])
        entry.link(href=item_url(doc.base_url, row), rel="alternate", type="text/html")
        entry.published(row["published"])
        entry.updated(changed_at(row))
        if row["summary"]:
            entry.summary(row["summary"])
        if row.get("actor_name"):
            entry.author(name=row["actor_name"], uri=row["actor_iri"])
        else:
            entry.author(name=row["actor_iri"], uri=row["actor_iri"])
        for theme_id, label in zip(row["themes"], _labels(row["themes"], doc.locale),
                                   strict=False):
            entry.category(term=theme_id, label=label)
    return bytes(fg.atom_str(pretty=False))


# --------------------------------------------------------------------------- JSON Feed


def json_feed(rows: Sequence[Any], doc: Document) -> dict[str, Any]:
    """JSON Feed 1.1; what is specific to initiatives and events (dates, place, status)
    travels in the `_maillage` extension object the spec provides for."""
    items = []
    for row in rows:
        item: dict[str, Any] = {
            "id": row["iri"],
            "url": item_url(doc.base_url, row),
            "title": row["title"],
            "content_text": row["summary"] or row["title"],
            "date_published": row["published"].astimezone(UTC).isoformat(),
            "date_modified": changed_at(row).astimezone(UTC).isoformat(),
            "tags": list(row["themes"]),
            "language": doc.locale,
        }
        if row["summary"]:
            item["summary"] = row["summary"]
        if row["image_url"]:
            item["image"] = row["image_url"]
        item["authors"] = [{"name": row.get("actor_name") or row["actor_iri"],
                            "url": row["actor_iri"]}]
        extension: dict[str, Any] = {"kind": row["kind"]}
        if row["start_time"] is not None:
            extension["start_time"] = row["start_time"].isoformat()
        if row["end_time"] is not None:
            extension["end_time"] = row["end_time"].isoformat()
        for key in ("timezone", "status", "place_name", "place_address", "latitude",
                    "longitude"):
            if row[key] is not None:
                extension[key] = row[key]
        item["_maillage"] = extension
        items.append(item)
    return {
        "version": JSON_FEED_VERSION,
        "title": doc.title,
        "home_page_url": doc.html_url,
        "feed_url": doc.self_url,
        "language": doc.locale,
        "items": items,
    }


# ----------------------------------------------------------------------------- GeoJSON
# The FeatureCollection itself is written by PostgreSQL (server/read/subscriptions.GEOJSON).


GEO_COLUMNS = (
    "id, kind, actor_iri, title, themes, place_name, place_address, latitude, longitude, "
    "start_time, end_time, timezone, status, published, updated"
)
"""What a map's feature shows, and its validators: a third of `feed.COLUMNS`, for 5,000 rows."""
