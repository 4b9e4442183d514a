"""Reading AS2 fields in every shape real servers send: a string, an object, or a list."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})


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
