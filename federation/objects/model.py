"""The typed values of an initiative or event: what we publish and what we keep of others'.

Frozen dataclasses, no behaviour beyond small views; building AS2 is in `as2`, reading it in
`parse`. `Place` is also an actor's place (federation/actor.py), so there is one Place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from federation.vocab import Kind


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
    """An AS2 Place: an event's venue, an initiative's or a territory's place."""

    name: str
    address: PostalAddress | None = None
    latitude: float | None = None
    longitude: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The AS2 `Place`, with a PostalAddress when there is one and coordinates in pairs."""
        doc: dict[str, Any] = {"type": "Place", "name": self.name}
        address = self.address
        if address is not None and not address.is_empty():
            fields = {
                "streetAddress": address.street,
                "postalCode": address.postal_code,
                "addressLocality": address.locality,
                "addressRegion": address.region,
                "addressCountry": address.country,
            }
            doc["address"] = {"type": "PostalAddress"} | {k: v for k, v in fields.items() if v}
        if self.latitude is not None and self.longitude is not None:
            doc["latitude"] = self.latitude
            doc["longitude"] = self.longitude
        return doc


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
    online_url: str | None = None
    """Where to join an online event: a `VirtualLocation`, and Mobilizon's `isOnline`."""
    all_day: bool = False

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
