"""Which received objects we keep, and the fetches that make an object trustworthy.

Pure policy over a small `Fetcher` Protocol: the server wires it to its signed, SSRF-guarded
fetch; tests hand in a dict. An object is kept only when it is an event or an initiative,
addressed to the public, on the origin of whoever vouches for it, and parses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from federation.errors import FetchError, ForbiddenAddress, InvalidObject
from federation.inbox.activity import (
    Activity,
    InvalidActivity,
    object_is_public,
    parse_activity,
)
from federation.inbox.effects import Effect, FetchObject, Ignore, StoreObject
from federation.inbox.origin import speaks_for
from federation.objects.parse import parse_remote
from federation.vocab import id_of, type_of

log = logging.getLogger(__name__)

OBJECT_TYPES = frozenset({"Event", "Page"})
BACKFILL_PAGES = 5
BACKFILL_ITEMS = 200


class Fetcher(Protocol):
    async def fetch(self, url: str) -> tuple[str, dict[str, Any]]:
        """GET an AS2 document: (the URL that finally served it, the document).
        Raises `FetchError` when it cannot."""
        ...


def keep_object(
    document: Mapping[str, Any], sender: str, activity: Activity | None = None
) -> StoreObject | Ignore:
    """`StoreObject` for a public event or initiative on `sender`'s origin, else why not.

    `activity` is the one that embedded the object (its addressing stands in for an
    object that has none); None for objects fetched from their origin."""
    kind = type_of(document)
    object_id = document.get("id")
    if kind is None:
        return Ignore("an object without a type is not kept")
    if kind not in OBJECT_TYPES:
        return Ignore(f"{kind} objects are not kept (only events and initiatives)")
    if not isinstance(object_id, str):
        return Ignore(f"a {kind} without an id is not kept")
    if not speaks_for(sender, object_id):
        return Ignore(f"{object_id} is not on {sender}'s origin")
    if not object_is_public(document, activity):
        return Ignore(f"{object_id} is not addressed to the public: not kept")
    try:
        parsed = parse_remote(dict(document))
    except InvalidObject as exc:
        log.info("dropped object %s from %s: %s", object_id, sender, exc)
        return Ignore(f"dropped: {exc}")
    return StoreObject(parsed, sender)


async def fetch_object(fetcher: Fetcher, effect: FetchObject) -> Effect:
    """An object is trusted only as its origin serves it; its author is on that origin.

    A fetch our own rules refuse (blocked domain, private address) is final: the same URL
    is refused the same way next time, so the object is ignored rather than retried. Other
    fetch failures propagate: the host may answer later."""
    try:
        final_url, document = await fetcher.fetch(effect.object_iri)
    except ForbiddenAddress as exc:
        return Ignore(f"{effect.object_iri} not fetched: {exc}")
    object_id = document.get("id")
    author = id_of(document.get("attributedTo")) or id_of(document.get("actor"))
    if not isinstance(object_id, str) or not speaks_for(final_url, object_id):
        return Ignore(f"{effect.object_iri} served an object from another origin")
    if author is None or not speaks_for(object_id, author):
        return Ignore(f"{object_id}: its author is not on its origin")
    kept = keep_object(document, author)
    if isinstance(kept, StoreObject) and effect.via not in (None, author):
        return StoreObject(kept.object, kept.sender, via=effect.via)
    return kept


def _items(collection: Any) -> list[Any]:
    """`orderedItems` or `items` when they are a list (a peer may send anything)."""
    if not isinstance(collection, dict):
        return []
    for name in ("orderedItems", "items"):
        value = collection.get(name)
        if isinstance(value, list) and value:
            return value
    return []


async def backfill(fetcher: Fetcher, actor: str, outbox: str) -> list[Effect]:
    """The events and initiatives in the outbox of a territory we now follow: a few pages,
    newest first, keeping only public objects on the territory's own origin."""
    if not speaks_for(actor, outbox):
        return [Ignore(f"no backfill: the outbox of {actor} is on another origin")]
    items: list[Any] = []
    try:
        _, collection = await fetcher.fetch(outbox)
        items += _items(collection)
        page: Any = collection.get("first")
        for _ in range(BACKFILL_PAGES):
            if len(items) >= BACKFILL_ITEMS:
                break
            if isinstance(page, str) and speaks_for(actor, page):
                _, page = await fetcher.fetch(page)
            if not isinstance(page, dict):
                break
            items += _items(page)
            page = page.get("next")
    except ForbiddenAddress as exc:  # final: refused the same way on any retry
        return [Ignore(f"no backfill of {actor}: {exc}")]
    except FetchError as exc:
        return [Ignore(f"backfill of {actor} failed: {exc}")]
    effects: list[Effect] = []
    for item in items[:BACKFILL_ITEMS]:
        if not isinstance(item, dict):
            continue
        obj = item.get("object") if type_of(item) in ("Create", "Update") else item
        if isinstance(obj, dict) and type_of(obj) in OBJECT_TYPES:
            kept = keep_object(obj, actor, _wrapping(item, obj))
            if isinstance(kept, StoreObject):
                effects.append(kept)
    return effects or [Ignore(f"nothing to backfill from {actor}")]


def _wrapping(item: dict[str, Any], obj: dict[str, Any]) -> Activity | None:
    """The Create/Update around an outbox object, for its addressing."""
    if item is obj:
        return None
    try:
        return parse_activity(item)
    except InvalidActivity:
        return None
