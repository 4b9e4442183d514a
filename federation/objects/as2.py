"""`to_as2`: a local initiative or event as the AS2 document we serve and send.

An event is an `Event` (FEP-8a8e, with Mobilizon's and Gancio's field shapes); an initiative
is a `Page` with `maillageKind: "initiative"`. Mastodon shows only `name` + `summary` + a link
for those types, so `summary` is generated for its readers (see `summary`). The editor's
summary also travels alone in `abstract`, so another Maillage instance gets it back intact.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from federation.objects.context import object_context
from federation.objects.dates import iso, zone
from federation.objects.model import Image, LocalObject
from federation.objects.summary import summary_html, theme_href, themes_of
from federation.vocab import PUBLIC, STAGES, STATUSES


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
        "summary": summary_html(obj, locale),
        "url": obj.url,
        "attributedTo": obj.actor,
        "to": [PUBLIC],
        "cc": [obj.followers],
        "published": iso(obj.published),
    }
    if obj.content_html:  # an empty `content` shows as a blank post on some servers
        doc["content"] = obj.content_html
        doc["mediaType"] = "text/html"
    if obj.updated is not None:
        doc["updated"] = iso(obj.updated)
    if obj.summary.strip():
        doc["abstract"] = obj.summary.strip()
    if obj.kind == "event":
        if obj.start is None:
            raise ValueError(f"{obj.id}: an event needs a start")
        tz = zone(obj.timezone)
        doc["startTime"] = iso(obj.start, tz or ZoneInfo("UTC"))
        if obj.end is not None:
            doc["endTime"] = iso(obj.end, tz or ZoneInfo("UTC"))
        doc["timezone"] = obj.timezone if tz else "UTC"
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
        doc["location"] = obj.place.as_json()
    if obj.kind == "event" and obj.online_url:
        # FEP-8a8e: a VirtualLocation beside the Place (or alone); Mobilizon reads isOnline
        # and, like Gancio, the address as a Link attachment.
        virtual = {"type": "VirtualLocation", "url": obj.online_url}
        doc["location"] = [doc["location"], virtual] if "location" in doc else virtual
        doc["isOnline"] = True
    if obj.image is not None:
        doc["attachment"] = [_image_as2(obj.image)]
    if obj.kind == "event" and obj.online_url:
        link = {"type": "Link", "name": "Website", "href": obj.online_url}
        doc["attachment"] = [*doc.get("attachment", []), link]
    themes = themes_of(obj)
    if themes:
        doc["themes"] = [theme.id for theme in themes]
        doc["tag"] = [
            {"type": "Hashtag", "name": theme.tag_name, "href": theme_href(obj, theme)}
            for theme in themes
        ]
    return doc

