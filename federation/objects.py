"""Initiatives and events as ActivityStreams objects: built to publish, parsed when received.

Pure functions: no I/O. `to_as2` writes an `Event` (FEP-8a8e, with Mobilizon's and Gancio's
field shapes) or an initiative (`Page` + `maillageKind: "initiative"`). Mastodon shows only
`name` + `summary` + a link for those types, so `summary` is generated for its readers: when
(in the event's own time zone), where, hashtags, then the editor's summary. The editor's
summary also travels alone in `abstract`, so another Maillage instance gets it back intact.

`parse_remote` reads what Mobilizon, Gancio and Maillage send into a typed `RemoteObject`,
keeping the raw JSON beside it. Everything displayed later is capped and sanitised here.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import markdown
import nh3
from babel.dates import format_date, format_time
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from federation import themes as theme_vocab
from federation.validation import is_http_url, validate_remote_object
from federation.vocab import AS_CONTEXT, PUBLIC, id_of, ids_of, origin, same_origin

SCHEMAS = Path(__file__).parent.parent / "schemas"

Kind = Literal["event", "initiative"]
STATUSES = ("confirmed", "tentative", "cancelled")
STAGES = ("idea", "running", "finished")

TITLE_MAX = 200
SUMMARY_MAX = 1_000
CONTENT_MAX = 100_000
ALT_MAX = 1_000
FIELD_MAX = 200
MAX_ORGANISERS = 20
MAX_OTHER_TAGS = 20


class InvalidObject(ValueError):
    """A received object we refuse: the message says which field and why."""


class UnsupportedType(InvalidObject):
    """A received object that is neither an event nor an initiative (a Note, a Lemmy Page…):
    normal traffic to ignore, not an error to log."""


# ---------------------------------------------------------------------------------- model


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True)
class PostalAddress:
    """schema.org PostalAddress; empty strings are stored as None."""

    street: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    region: str | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        for name in ("street", "postal_code", "locality", "region", "country"):
            object.__setattr__(self, name, _blank_to_none(getattr(self, name)))

    def is_empty(self) -> bool:
        return not any((self.street, self.postal_code, self.locality, self.region, self.country))

    def one_line(self) -> str:
        town = " ".join(part for part in (self.postal_code, self.locality) if part)
        return ", ".join(part for part in (self.street, town, self.region, self.country) if part)


@dataclass(frozen=True)
class Place:
    name: str
    address: PostalAddress | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Image:
    url: str
    media_type: str | None = None
    alt: str = ""
    focal_point: tuple[float, float] | None = None


def _freeze(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, tuple):
            object.__setattr__(obj, name, tuple(value or ()))


@dataclass(frozen=True)
class LocalObject:
    """An initiative or event of this instance, ready to publish.

    `summary` is the editor's plain text; `content_html` is already sanitised. Datetimes are
    aware. `themes` and `organisers` accept any sequence and are stored as tuples."""

    kind: Kind
    id: str
    url: str
    actor: str
    followers: str
    title: str
    published: datetime
    summary: str = ""
    content_html: str = ""
    themes: tuple[str, ...] = ()
    place: Place | None = None
    image: Image | None = None
    updated: datetime | None = None
    # initiatives
    website: str | None = None
    contact: str | None = None
    stage: str | None = None
    organisers: tuple[str, ...] = ()
    # events
    start: datetime | None = None
    end: datetime | None = None
    timezone: str | None = None
    status: str = "confirmed"
    initiative: str | None = None

    def __post_init__(self) -> None:
        _freeze(self, "themes", "organisers")


@dataclass(frozen=True)
class RemoteObject:
    """An event or initiative received from another server, parsed once; `document` is the
    JSON as received. `summary` and `content_html` are sanitised HTML fragments."""

    kind: Kind
    id: str
    attributed_to: str
    url: str
    title: str
    summary: str
    content_html: str
    themes: tuple[str, ...]
    other_tags: tuple[str, ...]
    place: Place | None
    online_url: str | None
    image: Image | None
    start: datetime | None
    end: datetime | None
    timezone: str | None
    status: str | None
    published: datetime | None
    updated: datetime | None
    website: str | None
    contact: str | None
    stage: str | None
    organisers: tuple[str, ...]
    initiative: str | None
    document: dict[str, Any] = field(compare=False, repr=False)


# ------------------------------------------------------------------------------- context


@cache
def context_document() -> dict[str, Any]:
    """`schemas/maillage.jsonld`: what the instance serves at the context URL."""
    return json.loads((SCHEMAS / "maillage.jsonld").read_text("utf-8"))


def _is_ours(definition: Any) -> bool:
    target = definition.get("@id") if isinstance(definition, dict) else definition
    return isinstance(target, str) and target.startswith("mai:")


@cache
def _inline_terms() -> dict[str, Any]:
    """The borrowed terms (Mobilizon, schema.org, Mastodon), repeated inline so software
    that never fetches our context still reads them."""
    terms = context_document()["@context"]
    return {k: v for k, v in terms.items() if k != "mai" and not _is_ours(v)}


def object_context(context_url: str) -> list[Any]:
    return [AS_CONTEXT, context_url, dict(_inline_terms())]


# ------------------------------------------------------------------------------ sanitise

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "strong", "em", "b", "i", "u", "s", "code", "pre"}
    | {"ul", "ol", "li", "blockquote", "h2", "h3", "h4"}
)
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea"}
    | {"select", "svg", "math", "title", "frame", "frameset", "noembed", "xmp"}
)
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _href_filter(base_url: str | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag != "a" or attribute != "href":
            return value
        url = value.strip()
        if url.lower().startswith(_LINK_SCHEMES):
            return url if url.lower().startswith("mailto:") or is_http_url(url) else None
        if base_url:
            resolved = urljoin(base_url, url)
            return resolved if is_http_url(resolved) else None
        return None

    return keep


def sanitize_html(text: str, *, base_url: str | None = None) -> str:
    """Keep paragraphs, line breaks, emphasis, lists, quotes, h2–h4 and http(s)/mailto
    links; drop scripts, styles, frames, images, every attribute but `href`, and
    `javascript:` (or any other scheme). Relative links are resolved against `base_url`,
    or dropped without one. Idempotent."""
    if not text:
        return ""
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={"a": {"href"}},
        attribute_filter=_href_filter(base_url),
        link_rel="nofollow noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
    ).strip()


_BARE_URL = r"(?<![\w(\"'<>=/])https?://[^\s<>\"'\]\[]+[^\s<>\"'.,;:!?)\]\[]"


class _BareUrl(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        link = etree.Element("a")
        link.set("href", m.group(0))
        link.text = m.group(0)
        return link, m.start(0), m.end(0)


class _BareUrls(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.inlinePatterns.register(_BareUrl(_BARE_URL, md), "bare_url", 115)


def markdown_to_html(text: str) -> str:
    """Markdown (paragraphs, single line breaks kept, **bold**, *em*, lists, links, bare
    URLs made links) to sanitised HTML. `#` headings become h2, as h1 is the page's title."""
    if not text or not text.strip():
        return ""
    rendered = markdown.markdown(text, extensions=["nl2br", "sane_lists", _BareUrls()])
    rendered = re.sub(r"<(/?)h1\b", r"<\1h2", rendered)
    rendered = re.sub(r"<(/?)h[56]\b", r"<\1h4", rendered)
    return sanitize_html(rendered)


def _capped_html(raw: str, limit: int, base_url: str | None) -> str:
    cut = len(raw)
    while cut > 0:
        out = sanitize_html(raw[:cut], base_url=base_url)
        if len(out) <= limit:
            return out
        cut = min(cut - 1, cut * limit // len(out))  # entities and closing tags add length
    return ""


# ------------------------------------------------------------------------------ to AS2


def _iso(moment: datetime, zone: ZoneInfo | None = None) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: LocalObject datetimes must be timezone-aware")
    if zone is None:
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _zone(name: str | None) -> ZoneInfo | None:
    if not name or not re.fullmatch(r"[A-Za-z0-9_+/-]{1,64}", name) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


_WORDS = {
    "fr": {
        "cancelled": "ANNULÉ",
        "tentative": "À confirmer",
        "initiative": "Initiative",
        "idea": "Initiative en projet",
        "running": "Initiative en cours",
        "finished": "Initiative terminée",
    },
    "en": {
        "cancelled": "CANCELLED",
        "tentative": "To be confirmed",
        "initiative": "Initiative",
        "idea": "Initiative (idea)",
        "running": "Ongoing initiative",
        "finished": "Finished initiative",
    },
}


def _words(locale: str) -> dict[str, str]:
    return _WORDS["fr"] if locale.lower().startswith("fr") else _WORDS["en"]


def format_when(
    start: datetime, end: datetime | None, timezone: str | None, locale: str = "fr"
) -> str:
    """`samedi 5 décembre 2026, 14:00–17:00 (Europe/Paris)`, in the event's time zone."""
    zone = _zone(timezone) or ZoneInfo("UTC")
    first = start.astimezone(zone)

    def day(moment: datetime) -> str:
        return format_date(moment, "full", locale=locale)

    def hour(moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=zone, locale=locale)

    text = f"{day(first)}, {hour(first)}"
    if end is not None:
        last = end.astimezone(zone)
        if last.date() == first.date():
            text += f"–{hour(last)}"
        else:
            text += f" – {day(last)}, {hour(last)}"
    return f"{text} ({timezone or 'UTC'})"


def _theme_href(obj: LocalObject, theme: theme_vocab.Theme) -> str:
    return f"{origin(obj.id)}/themes/{theme.id}"


def _themes_of(obj: LocalObject) -> list[theme_vocab.Theme]:
    found = (theme_vocab.by_id(theme_id) for theme_id in obj.themes)
    return [theme for theme in found if theme is not None]


def _where(place: Place | None) -> str | None:
    if place is None:
        return None
    locality = place.address.locality if place.address else None
    if locality and locality.casefold() not in place.name.casefold():
        return f"{place.name}, {locality}"
    return place.name


def _summary_html(obj: LocalObject, locale: str) -> str:
    words = _words(locale)
    esc = html.escape
    parts: list[str] = []
    if obj.kind == "event":
        if obj.status in ("cancelled", "tentative"):
            parts.append(esc(words[obj.status]))
        if obj.start is not None:
            parts.append(esc(format_when(obj.start, obj.end, obj.timezone, locale)))
    else:
        parts.append(esc(words.get(obj.stage or "", words["initiative"])))
    if where := _where(obj.place):
        parts.append(esc(where))
    if obj.kind == "initiative" and obj.website and is_http_url(obj.website):
        host = urlsplit(obj.website).hostname or obj.website
        parts.append(f'<a href="{esc(obj.website)}">{esc(host)}</a>')
    tags = [
        f'<a href="{esc(_theme_href(obj, theme))}" class="mention hashtag" rel="tag">'
        f"#<span>{esc(theme.hashtag)}</span></a>"
        for theme in _themes_of(obj)
    ]
    if tags:
        parts.append(" ".join(tags))
    out = f"<p>{' · '.join(parts)}</p>"
    if obj.summary.strip():
        out += f"<p>{esc(obj.summary.strip(), quote=False)}</p>"
    return out


def _place_as2(place: Place) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Place", "name": place.name}
    address = place.address
    if address is not None and not address.is_empty():
        fields = {
            "streetAddress": address.street,
            "postalCode": address.postal_code,
            "addressLocality": address.locality,
            "addressRegion": address.region,
            "addressCountry": address.country,
        }
        doc["address"] = {"type": "PostalAddress"} | {k: v for k, v in fields.items() if v}
    if place.latitude is not None and place.longitude is not None:
        doc["latitude"] = place.latitude
        doc["longitude"] = place.longitude
    return doc


def _image_as2(image: Image) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "Document", "url": image.url}
    if image.media_type:
        doc["mediaType"] = image.media_type
    if image.alt:
        doc["name"] = image.alt
    if image.focal_point is not None:
        doc["focalPoint"] = list(image.focal_point)
    return doc


def to_as2(obj: LocalObject, context_url: str, locale: str = "fr") -> dict[str, Any]:
    """The AS2 document of a local initiative or event, as served and as sent in activities.

    `context_url` is where this instance serves `schemas/maillage.jsonld`."""
    doc: dict[str, Any] = {
        "@context": object_context(context_url),
        "id": obj.id,
        "type": "Event" if obj.kind == "event" else "Page",
        "maillageKind": obj.kind,
        "name": obj.title,
        "summary": _summary_html(obj, locale),
        "content": obj.content_html,
        "mediaType": "text/html",
        "url": obj.url,
        "attributedTo": obj.actor,
        "to": [PUBLIC],
        "cc": [obj.followers],
        "published": _iso(obj.published),
    }
    if obj.updated is not None:
        doc["updated"] = _iso(obj.updated)
    if obj.summary.strip():
        doc["abstract"] = obj.summary.strip()
    if obj.kind == "event":
        if obj.start is None:
            raise ValueError(f"{obj.id}: an event needs a start")
        zone = _zone(obj.timezone)
        doc["startTime"] = _iso(obj.start, zone or ZoneInfo("UTC"))
        if obj.end is not None:
            doc["endTime"] = _iso(obj.end, zone or ZoneInfo("UTC"))
        doc["timezone"] = obj.timezone if zone else "UTC"
        doc["ical:status"] = (obj.status if obj.status in STATUSES else "confirmed").upper()
        # Participation happens on our page; Mobilizon then links to it instead of offering
        # a Join we would not handle.
        doc["joinMode"] = "external"
        doc["externalParticipationUrl"] = obj.url
        if obj.initiative:
            doc["initiative"] = obj.initiative
    else:
        if obj.website:
            doc["website"] = obj.website
        if obj.contact:
            doc["contact"] = obj.contact
        if obj.stage in STAGES:
            doc["stage"] = obj.stage
        if obj.organisers:
            doc["organisers"] = list(obj.organisers)
    if obj.place is not None:
        doc["location"] = _place_as2(obj.place)
    if obj.image is not None:
        doc["attachment"] = [_image_as2(obj.image)]
    themes = _themes_of(obj)
    if themes:
        doc["themes"] = [theme.id for theme in themes]
        doc["tag"] = [
            {"type": "Hashtag", "name": theme.tag_name, "href": _theme_href(obj, theme)}
            for theme in themes
        ]
    return doc


# -------------------------------------------------------------------------- parse remote


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


def _localized(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if isinstance(value, str):
        return value
    mapped = doc.get(f"{name}Map")
    if isinstance(mapped, dict):
        return next((v for v in mapped.values() if isinstance(v, str)), "")
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
        if isinstance(media_type, str):
            if not media_type.startswith("image/"):
                continue
        elif "Image" not in _types(item):
            continue
        url = _link_url(link)
        if url is None:
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

    title = _plain(doc.get("name"), TITLE_MAX)
    if not title:
        raise InvalidObject("name: empty")
    zone_name = doc.get("timezone") if isinstance(doc.get("timezone"), str) else None
    zone = _zone(zone_name)
    start = end = None
    timezone = zone_name if zone is not None else None
    status: str | None = None
    if kind == "event":
        start = _datetime(doc.get("startTime"), zone)
        if start is None:
            raise InvalidObject("startTime: not a date and time with a UTC offset")
        end = _datetime(doc.get("endTime"), zone)
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
        published=_datetime(doc.get("published"), ZoneInfo("UTC")),
        updated=_datetime(doc.get("updated"), ZoneInfo("UTC")),
        website=website,
        contact=contact,
        stage=stage,
        organisers=organisers,
        initiative=initiative,
        document=doc,
    )
