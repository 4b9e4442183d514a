"""The shared vocabulary, and reading AS2 fields in every shape real servers send.

Each word list has one home here, used by the code, the JSON Schemas in `schemas/` and the
migrations' CHECK constraints (tests/federation/test_vocab.py keeps the three equal), so a
new status or stage is added in one place and the test names the others.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from federation.domains import authority_of

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

Kind = Literal["event", "initiative"]
KINDS: tuple[Kind, ...] = ("event", "initiative")


def as_kind(value: str) -> Kind:
    """A stored or typed kind, checked: raises ValueError for anything else."""
    for kind in KINDS:
        if value == kind:
            return kind
    raise ValueError(f"not a kind of object: {value!r}")


STATUSES = ("confirmed", "tentative", "cancelled")
"""An event's status (iCalendar STATUS, lower-cased)."""
STAGES = ("idea", "running", "finished")
"""Where an initiative stands."""
DEFAULT_TIMEZONE = "Europe/Paris"
"""The zone of an event whose editor named none: the territories are French."""
ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})
"""The AS2 actor types we accept as remote actors."""


def host_of(url: str) -> str:
    """`host[:port]` of a URL in normal form (`federation.domains.authority_of`): the key
    deliveries and hosts are grouped by."""
    return authority_of(url)


def utc_timestamp(moment: datetime) -> str:
    """A datetime as AS2 documents write it, in UTC: `2026-11-25T14:00:00Z`."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_decimal(value: str) -> float | None:
    """A number as French editors type it (`48,39`, `1 000,5`); None when it is not one."""
    try:
        return float(value.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


def id_of(value: Any) -> str | None:
    """The id a field names: `"https://…"`, `{"id": "https://…"}` or the first of a list."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    if isinstance(value, list) and value:
        return id_of(value[0])
    return None


def ids_of(value: Any) -> list[str]:
    if isinstance(value, list):
        return [found for item in value if (found := id_of(item))]
    found = id_of(value)
    return [found] if found else []


def type_of(value: Any) -> str | None:
    """The type of an embedded object; a list of types yields its first string."""
    if not isinstance(value, dict):
        return None
    found = value.get("type")
    if isinstance(found, list):
        found = next((t for t in found if isinstance(t, str)), None)
    return found if isinstance(found, str) else None


def origin(url: str) -> str:
    """scheme://host[:port], lower-cased: two ids share an origin when these are equal."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def same_origin(a: str, b: str) -> bool:
    return origin(a) == origin(b)
