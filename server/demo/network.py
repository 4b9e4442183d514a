"""What the demo network is made of, read from `data/reseau.json`: the instances, who
follows whom, and each territory's items turned into the publishing API's input model.

Everything here is pure (no I/O but reading the packaged data file), so the dates, image
addresses and links the demo publishes can be tested without running anything.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from federation.vocab import DEFAULT_TIMEZONE

HERE = Path(__file__).resolve().parent
DATA_FILE = HERE / "data" / "reseau.json"
PICTURES_DIR = HERE / "pictures"
HOST = "127.0.0.1"
_PICTURE_NAMESPACE = uuid.UUID("5b0f7a52-8a3e-4c1e-9d43-3f2f3c9c1e01")
_DEMO_ONLY = ("key", "day", "end_day", "picture", "picture_alt")
"""Fields of the data file that are not the input model's."""


@dataclass(frozen=True)
class Instance:
    slug: str
    name: str
    summary: str
    place: str | None
    latitude: float | None
    longitude: float | None
    follows: tuple[str, ...]
    circle: bool
    port: int

    @property
    def domain(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def handle(self) -> str:
        return f"@{self.slug}@{self.domain}"

    @property
    def actor_iri(self) -> str:
        return f"{self.base_url}/actors/{self.slug}"

    @property
    def profile_url(self) -> str:
        return f"{self.base_url}/@{self.slug}"

    @property
    def admin_email(self) -> str:
        return f"admin@{self.slug}.demo"


@dataclass(frozen=True)
class Network:
    instances: tuple[Instance, ...]
    items: dict[str, list[dict[str, Any]]]
    """Each instance's items as the data file holds them, by slug."""

    def instance(self, slug: str) -> Instance:
        return next(i for i in self.instances if i.slug == slug)

    @property
    def circle(self) -> Instance:
        return next(i for i in self.instances if i.circle)

    @property
    def territories(self) -> tuple[Instance, ...]:
        return tuple(i for i in self.instances if not i.circle)


def load(base_port: int, path: Path = DATA_FILE) -> Network:
    """The network, its instances on consecutive ports from `base_port`."""
    raw = json.loads(path.read_text("utf-8"))
    instances = tuple(
        Instance(
            slug=entry["slug"],
            name=entry["name"],
            summary=entry["summary"],
            place=entry.get("place"),
            latitude=entry.get("latitude"),
            longitude=entry.get("longitude"),
            follows=tuple(entry.get("follows", ())),
            circle=bool(entry.get("circle")),
            port=base_port + number,
        )
        for number, entry in enumerate(raw["instances"])
    )
    return Network(instances, {slug: list(items) for slug, items in raw["items"].items()})


def picture_file_name(picture: str) -> str:
    """The name a picture gets in an instance's media folder: `<uuid>.png`, as uploads are
    named, the same on every run so a re-run finds it in place."""
    return f"{uuid.uuid5(_PICTURE_NAMESPACE, picture)}.png"


def picture_path(picture: str) -> Path:
    return PICTURES_DIR / f"{picture}.png"


def local_date(now: datetime, timezone: str) -> date:
    """Today where the event happens (La Réunion is three hours ahead of Paris)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def event_times(item: dict[str, Any], now: datetime) -> tuple[str, str, str]:
    """(start, end, timezone) of an event whose data gives days from today and local times."""
    zone = item.get("timezone") or DEFAULT_TIMEZONE
    today = local_date(now, zone)
    start_day = today + timedelta(days=int(item["day"]))
    end_day = today + timedelta(days=int(item.get("end_day", item["day"])))
    return f"{start_day.isoformat()}T{item['start']}", f"{end_day.isoformat()}T{item['end']}", zone


def api_input(
    item: dict[str, Any], *, now: datetime, base_url: str, initiatives: dict[str, str]
) -> dict[str, Any]:
    """The publishing API's input for one item: dates computed from `now`, the picture at
    its address in the instance's media folder, the initiative's key replaced by its IRI
    (`initiatives`: key → IRI of the items already published)."""
    data = {k: v for k, v in item.items() if k not in (*_DEMO_ONLY, "kind", "initiative")}
    if item.get("picture"):
        data["image"] = {
            "url": f"{base_url}/media/{picture_file_name(item['picture'])}",
            "alt": item.get("picture_alt") or item["title"],
        }
    if item["kind"] == "event":
        data["start"], data["end"], data["timezone"] = event_times(item, now)
        if item.get("initiative") in initiatives:
            data["initiative"] = initiatives[item["initiative"]]
    return data


def publishing_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Initiatives first, so an event can name its initiative's IRI."""
    return sorted(items, key=lambda item: item["kind"] != "initiative")
