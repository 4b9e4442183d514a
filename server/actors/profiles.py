"""From stored local actor rows to the pure `ActorProfile` the federation layer renders."""

from __future__ import annotations

from html import escape

import asyncpg

from federation.actor import ActorProfile, ActorUrls, Place
from federation.vocab import utc_timestamp
from server.actors.keys import ed25519_public_multibase
from server.settings import Settings


def text_to_html(text: str) -> str:
    """Administrators type plain text; peers expect HTML paragraphs."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


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
        icon_url=f"{settings.base_url}/static/territory.png",
        image_url=f"{settings.base_url}/static/banner.png",
        published=utc_timestamp(row["created_at"]),
        manually_approves=row["manually_approves"],
        discoverable=row["discoverable"],
        place=place,
    )
