"""`parse_remote`: what Mobilizon, Gancio and Maillage send, read into a `RemoteObject`.

Real servers send a field as a string, an object or a list; each reader below accepts all
three. The raw JSON is kept beside the typed value, and everything displayed later is
capped and sanitised here. Pure functions: no I/O.
"""

from __future__ import annotations

import html
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from federation import themes as theme_vocab
from federation.errors import InvalidObject, UnsupportedType
from federation.objects.dates import zone as _zone
from federation.objects.html import capped_html as _capped_html
from federation.objects.model import Image, Place, PostalAddress, RemoteObject
from federation.validation import (
    DATE_RANGE_DETAIL,
    in_date_range,
    is_http_url,
    validate_remote_object,
)
from federation.vocab import STAGES, STATUSES, Kind, id_of, ids_of, same_origin

TITLE_MAX = 200
SUMMARY_MAX = 1_000
CONTENT_MAX = 100_000
ALT_MAX = 1_000
FIELD_MAX = 200
MAX_ORGANISERS = 20
MAX_OTHER_TAGS = 20


def _types(doc: dict[str, Any]) -> list[str]:
    found = doc.get("type")
    if isinstance(found, str):
        return [found]
    if isinstance(found, list):
        return [t for t in found if isinstance(t, str)]
    return []


ACTIVITY_TYPES = frozenset(
    {"Create", "Update", "Delete", "Announce", "Undo", "Follow", "Accept", "Reject", "Like"}
)


def _kind(doc: dict[str, Any]) -> Kind:
    types = _types(doc)
    if "Event" in types:
        return "event"
    if doc.get("maillageKind") == "initiative" and "Page" in types:
        return "initiative"
    shown = "/".join(types) or "untyped object"
    if ACTIVITY_TYPES.intersection(types):
        raise UnsupportedType(f"{shown} is an activity: parse its object")
    raise UnsupportedType(f"{shown} is neither an event nor an initiative")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain(value: Any, limit: int) -> str:
    """One line of plain text, control characters removed, capped with an ellipsis."""
    if isinstance(value, dict):  # nameMap-like
        value = next((v for v in value.values() if isinstance(v, str)), "")
    if not isinstance(value, str):
        return ""
    text = " ".join(_CONTROL.sub(" ", value).split())
    text = unicodedata.normalize("NFC", text)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


LANGUAGES = ("fr", "en")
"""The languages a language map is read in, by preference; then any language."""


def _in_language(mapped: dict[str, Any]) -> str:
    texts = {str(tag).lower(): v for tag, v in mapped.items() if isinstance(v, str) and v}
    for wanted in LANGUAGES:
        for tag, text in texts.items():
            if tag == wanted or tag.startswith(f"{wanted}-"):
                return text
    return next(iter(texts.values()), "")


def _localized(doc: dict[str, Any], name: str) -> str:
    """`name` when it is a string, else its `nameMap` (`summaryMap`, `contentMap`) entry in
    French, English, or any language: Mastodon sends both, some servers only the map."""
    value = doc.get(name)
    if isinstance(value, str):
        return value
    mapped = doc.get(f"{name}Map")
    if isinstance(mapped, dict):
        return _in_language(mapped)
    return ""


def _link_url(value: Any) -> str | None:
    """An http(s) URL from a string, a Link/Object (`href` or `url`), or a list of those;
    a list prefers its text/html entry."""
    if isinstance(value, str):
        return value if is_http_url(value) else None
    if isinstance(value, dict):
        return _link_url(value.get("href")) or _link_url(value.get("url"))
    if isinstance(value, list):
        html_first = sorted(
            value, key=lambda v: not (isinstance(v, dict) and v.get("mediaType") == "text/html")
        )
        for item in html_first:
            if found := _link_url(item):
                return found
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and low <= value <= high and value == value:
        return float(value)
    return None


def _address(value: Any) -> PostalAddress | None:
    if isinstance(value, str):
        found = PostalAddress(street=_plain(value, 300) or None)
    elif isinstance(value, dict) and value.get("type", "PostalAddress") == "PostalAddress":
        found = PostalAddress(
            street=_plain(value.get("streetAddress"), FIELD_MAX) or None,
            postal_code=_plain(value.get("postalCode"), 20) or None,
            locality=_plain(value.get("addressLocality"), 100) or None,
            region=_plain(value.get("addressRegion"), 100) or None,
            country=_plain(value.get("addressCountry"), 100) or None,
        )
    else:
        return None
    return None if found.is_empty() else found


def _coordinates(item: dict[str, Any]) -> tuple[float | None, float | None]:
    source = item
    if "latitude" not in item and isinstance(item.get("geo"), dict):
        source = item["geo"]  # Mobilizon 1.0: GeoCoordinates
    latitude = _number(source.get("latitude"), -90, 90)
    longitude = _number(source.get("longitude"), -180, 180)
    if latitude is None or longitude is None:
        return None, None
    return latitude, longitude


def _virtual_url(item: dict[str, Any]) -> str | None:
    if "VirtualLocation" in _types(item):
        return _link_url(item.get("url")) or _link_url(item.get("href"))
    address = item.get("address")
    if isinstance(address, dict) and "VirtualLocation" in _types(address):
        return _link_url(address.get("url")) or _link_url(item.get("id"))
    return None


def parse_location(value: Any) -> tuple[Place | None, str | None]:
    """The first physical place and the first online address in `location`, which may be a
    Place, a VirtualLocation, or a list mixing them. A place without a name is no place."""
    place: Place | None = None
    online: str | None = None
    for item in _as_list(value):
        if not isinstance(item, dict):
            continue
        types = _types(item)
        if types and not {"Place", "VirtualLocation"}.intersection(types):
            continue
        if (url := _virtual_url(item)) is not None:
            online = online or url
            continue
        if place is not None:
            continue
        name = _plain(item.get("name"), FIELD_MAX)
        if not name:
            continue
        latitude, longitude = _coordinates(item)
        place = Place(name, _address(item.get("address")), latitude, longitude)
    return place, online


def _image(doc: dict[str, Any]) -> Image | None:
    candidates = [
        item
        for item in _as_list(doc.get("attachment"))
        if isinstance(item, dict) and {"Document", "Image"}.intersection(_types(item))
    ]
    if isinstance(doc.get("image"), dict):
        candidates.append(doc["image"])
    elif isinstance(doc.get("image"), str):
        candidates.append({"type": "Image", "url": doc["image"]})
    for item in candidates:
        link = item.get("url")
        media_type = item.get("mediaType")
        if isinstance(link, dict) and not isinstance(media_type, str):
            media_type = link.get("mediaType")
        if isinstance(media_type, str) and not media_type.startswith("image/"):
            continue
        url = _link_url(link)
        if url is None:
            continue
        if not isinstance(media_type, str) and "Image" not in _types(item):
            # A Document without mediaType (Gancio and others send it): a picture unless
            # its address names another kind of file.
            guessed = mimetypes.guess_type(url.split("?", 1)[0])[0]
            if guessed is not None and not guessed.startswith("image/"):
                continue
        focal = item.get("focalPoint")
        focal_point = None
        if isinstance(focal, list) and len(focal) == 2:
            x, y = _number(focal[0], -1, 1), _number(focal[1], -1, 1)
            focal_point = (x, y) if x is not None and y is not None else None
        return Image(
            url=url,
            media_type=media_type if isinstance(media_type, str) else None,
            alt=_plain(item.get("name"), ALT_MAX),
            focal_point=focal_point,
        )
    return None


def _online_from_attachments(doc: dict[str, Any]) -> str | None:
    """Gancio and Mobilizon (name "Website") put an online event's address in a Link."""
    for item in _as_list(doc.get("attachment")):
        if isinstance(item, dict) and "Link" in _types(item):
            media_type = item.get("mediaType")
            if media_type in (None, "text/html") and (url := _link_url(item.get("href"))):
                return url
    return None


def _datetime(value: Any, zone: ZoneInfo | None) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone) if zone is not None else None
    return parsed


def _event_time(doc: dict[str, Any], name: str, zone: ZoneInfo | None) -> datetime | None:
    """`startTime`/`endTime`; a date outside the range we can store and word is refused."""
    moment = _datetime(doc.get(name), zone)
    if moment is not None and not in_date_range(moment):
        raise InvalidObject(f"{name}: {DATE_RANGE_DETAIL}")
    return moment


def _timestamp(value: Any) -> datetime | None:
    """`published`/`updated`: only informative, so an unusable date is left out."""
    moment = _datetime(value, ZoneInfo("UTC"))
    return moment if moment is not None and in_date_range(moment) else None


def _zone_from_offset(moment: datetime) -> str | None:
    offset = moment.utcoffset()
    if offset is None:
        return None
    if offset == timedelta(0):
        return "UTC"
    hours, rest = divmod(offset, timedelta(hours=1))
    if rest or not -14 <= hours <= 12:
        return None
    return f"Etc/GMT{-hours:+d}"  # POSIX sign: Etc/GMT-2 is two hours ahead of UTC


def _status(doc: dict[str, Any]) -> str:
    raw = doc.get("ical:status") or doc.get("http://www.w3.org/2002/12/cal/ical#status")
    if isinstance(raw, str):
        status = raw.strip().lower().replace("canceled", "cancelled")
        if status in STATUSES:
            return status
    return "confirmed"


def _hashtags(doc: dict[str, Any]) -> Iterator[str]:
    for item in _as_list(doc.get("tag")):
        if isinstance(item, dict) and (
            "Hashtag" in _types(item) or (not _types(item) and isinstance(item.get("name"), str))
        ):
            name = item.get("name")
            if isinstance(name, str) and name.strip().lstrip("#"):
                yield name.strip().lstrip("#")


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _themes_and_tags(doc: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    themes: list[str] = [
        theme_id
        for theme_id in _as_list(doc.get("themes"))
        if isinstance(theme_id, str) and theme_id in theme_vocab.THEME_IDS
    ]
    others: list[str] = []
    for name in _hashtags(doc):
        theme = theme_vocab.by_hashtag(name)
        if theme is not None:
            themes.append(theme.id)
        elif len(others) < MAX_OTHER_TAGS:
            others.append(_plain(name, 100))
    return _unique(themes), _unique(t for t in others if t)


def _attributed_to(doc: dict[str, Any], object_id: str) -> str:
    candidates = ids_of(doc.get("attributedTo")) or ids_of(doc.get("actor"))
    for candidate in candidates:
        if is_http_url(candidate) and same_origin(candidate, object_id):
            return candidate
    if candidates:
        raise InvalidObject(f"attributedTo: not on the object's origin ({object_id})")
    raise InvalidObject("attributedTo: missing")


def _summary(doc: dict[str, Any], base_url: str) -> str:
    if doc.get("maillageKind") in ("event", "initiative"):
        abstract = doc.get("abstract")
        if not isinstance(abstract, str):
            return ""
        return _capped_html(html.escape(abstract.strip(), quote=False), SUMMARY_MAX, None)
    return _capped_html(_localized(doc, "summary"), SUMMARY_MAX, base_url)


def parse_remote(doc: dict[str, Any], *, fetched_from: str | None = None) -> RemoteObject:
    """Read a received Event, or Page marked as an initiative, into a `RemoteObject`.

    Raises `UnsupportedType` for anything else (Notes, Lemmy Pages, activities) and
    `InvalidObject` when a required field is missing or malformed. With `fetched_from`, the
    object's id must be on that URL's origin; its author must always be on the id's origin."""
    if not isinstance(doc, dict):
        raise InvalidObject("(document): must be an object")
    kind = _kind(doc)
    problems = validate_remote_object(doc)
    if problems:
        raise InvalidObject("; ".join(problems[:5]))
    object_id: str = doc["id"]
    if fetched_from is not None and not same_origin(object_id, fetched_from):
        raise InvalidObject(f"id: {object_id} is not on the origin it was fetched from")
    attributed_to = _attributed_to(doc, object_id)

    title = _plain(_localized(doc, "name"), TITLE_MAX)
    if not title:
        raise InvalidObject("name: empty")
    zone_name = doc.get("timezone") if isinstance(doc.get("timezone"), str) else None
    zone = _zone(zone_name)
    start = end = None
    timezone = zone_name if zone is not None else None
    status: str | None = None
    if kind == "event":
        start = _event_time(doc, "startTime", zone)
        if start is None:
            raise InvalidObject("startTime: not a date and time with a UTC offset")
        end = _event_time(doc, "endTime", zone)
        if end is not None and end < start:
            end = None
        timezone = timezone or _zone_from_offset(start)
        status = _status(doc)

    place, online_url = parse_location(doc.get("location"))
    if kind == "event" and online_url is None:
        online_url = _online_from_attachments(doc)
    themes, other_tags = _themes_and_tags(doc)
    website = contact = stage = None
    organisers: tuple[str, ...] = ()
    initiative = None
    if kind == "initiative":
        website = _link_url(doc.get("website"))
        contact = _plain(doc.get("contact"), FIELD_MAX) or None
        stage = doc.get("stage") if doc.get("stage") in STAGES else None
        names = (_plain(name, FIELD_MAX) for name in _as_list(doc.get("organisers")))
        organisers = _unique(name for name in names if name)[:MAX_ORGANISERS]
    else:
        linked = id_of(doc.get("initiative"))
        initiative = linked if is_http_url(linked) else None

    return RemoteObject(
        kind=kind,
        id=object_id,
        attributed_to=attributed_to,
        url=_link_url(doc.get("url")) or object_id,
        title=title,
        summary=_summary(doc, object_id),
        content_html=_capped_html(_localized(doc, "content"), CONTENT_MAX, object_id),
        themes=themes,
        other_tags=other_tags,
        place=place,
        online_url=online_url,
        image=_image(doc),
        start=start,
        end=end,
        timezone=timezone,
        status=status,
        published=_timestamp(doc.get("published")),
        updated=_timestamp(doc.get("updated")),
        website=website,
        contact=contact,
        stage=stage,
        organisers=organisers,
        initiative=initiative,
        document=doc,
    )
