"""From stored local actor rows to the pure `ActorProfile` the federation layer renders."""

from __future__ import annotations

import re
from html import escape

import asyncpg

from federation.actor import ActorProfile, ActorUrls
from federation.objects.model import Place
from federation.vocab import utc_timestamp
from server.actors.keys import ed25519_public_multibase
from server.settings import Settings


def text_to_html(text: str) -> str:
    """Administrators type plain text; peers expect HTML paragraphs."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


def _link(href: str, text: str) -> str:
    return (f'<a href="{escape(href)}" rel="me nofollow noopener noreferrer" target="_blank">'
            f"{escape(text)}</a>")


def contact_href(value: str | None) -> str | None:
    """Where a contact typed as text leads: a web address, `mailto:` an email address,
    `tel:` a phone number; None for anything else (shown as text)."""
    value = (value or "").strip()
    if value.startswith(("https://", "http://")) and " " not in value:
        return value
    if re.fullmatch(r"[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+", value):
        return f"mailto:{value}"
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if len(digits) >= 8 and all(ch.isdigit() or ch in "+ .-()" for ch in value):
        return f"tel:{digits}"
    return None


def contact_html(value: str) -> str:
    """A contact as Mastodon shows a profile field: an address or URL becomes a link."""
    value = value.strip()
    href = contact_href(value)
    if href is None:
        return escape(value)
    return _link(href, value.split("://", 1)[1].rstrip("/") if "://" in value else value)


def profile_fields(row: asyncpg.Record) -> tuple[tuple[str, str], ...]:
    """The territory's website and contact as profile fields (`PropertyValue`)."""
    fields: list[tuple[str, str]] = []
    website, contact = row.get("website"), row.get("contact")
    if website:
        fields.append(("Site web", _link(website, website.split("://", 1)[-1].rstrip("/"))))
    if contact:
        fields.append(("Contact", contact_html(contact)))
    return tuple(fields)


def picture_url(settings: Settings, name: str | None, default: str) -> str:
    """An uploaded picture under /media/, else the one shipped in web/static."""
    if name:
        return f"{settings.base_url}/media/{name}"
    return f"{settings.base_url}/static/{default}"


def actor_urls(row: asyncpg.Record, settings: Settings) -> ActorUrls:
    if row["role"] == "instance":
        return ActorUrls.instance(settings.base_url)
    return ActorUrls.territory(settings.base_url, row["username"])


def profile_of(row: asyncpg.Record, settings: Settings) -> ActorProfile:
    place = None
    if row["place_name"]:
        place = Place(row["place_name"], latitude=row["latitude"], longitude=row["longitude"])
    return ActorProfile(
        type=row["type"],
        username=row["username"],
        name=row["name"],
        summary_html=text_to_html(row["summary"]),
        urls=actor_urls(row, settings),
        public_key_pem=row["public_key_pem"],
        ed25519_multibase=ed25519_public_multibase(row["ed25519_private"]),
        icon_url=picture_url(settings, row.get("icon_path"), "territory.png"),
        image_url=picture_url(settings, row.get("banner_path"), "banner.png"),
        published=utc_timestamp(row["created_at"]),
        manually_approves=row["manually_approves"],
        discoverable=row["discoverable"],
        place=place,
        fields=profile_fields(row),
    )
