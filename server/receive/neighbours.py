"""Territories one step further: whom the territories we follow follow themselves.

This is how a network grows from one circle to the next: an administrator sees, on
`/territories`, the territories named in the `following` collections of those it follows, and
follows them with one button. The collections are fetched from their origins (signed, through
the usual guarded fetch), only for administrators, bounded in count and time, and kept for a
few minutes per process so that reloading the page fetches nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from federation.errors import FederationError
from federation.vocab import id_of
from server.context import Context
from server.receive.remote import fetch_actor, fetch_signed

log = logging.getLogger(__name__)

MAX_SOURCES = 8
"""Followed territories whose collections are read."""
MAX_PER_SOURCE = 40
"""Items read from each collection (its first page)."""
MAX_SUGGESTIONS = 12
BUDGET_SECONDS = 5.0
CACHE_SECONDS = 600.0


@dataclass(frozen=True)
class Suggestion:
    iri: str
    name: str
    handle: str | None
    via: tuple[str, ...]
    """Names of the followed territories that follow it."""


def _items(collection: dict[str, Any]) -> tuple[list[Any], Any]:
    """A collection's own items, or those of its embedded first page, and the first page
    to fetch when it is only linked."""
    for key in ("orderedItems", "items"):
        if isinstance(collection.get(key), list):
            return list(collection[key]), None
    first = collection.get("first")
    if isinstance(first, dict):
        return _items(first)[0], None
    return [], first if isinstance(first, str) else None


async def following_of(ctx: Context, collection_url: str) -> list[str]:
    """The actor ids on the first page of a `following` collection."""
    _, collection = await fetch_signed(ctx, collection_url)
    items, first = _items(collection)
    if first is not None:
        _, page = await fetch_signed(ctx, first)
        items, _ = _items(page)
    found = []
    for item in items[:MAX_PER_SOURCE]:
        iri = id_of(item)
        if isinstance(iri, str) and iri.startswith(("https://", "http://")):
            found.append(iri)
    return found


def pick(
    sources: Sequence[tuple[str, Sequence[str]]], excluded: set[str], limit: int = MAX_SUGGESTIONS
) -> list[tuple[str, tuple[str, ...]]]:
    """(iri, via names) for actors named by the sources that are not `excluded` (ourselves,
    those already followed), most often named first. Pure."""
    via: dict[str, list[str]] = {}
    for name, iris in sources:
        for iri in iris:
            if iri not in excluded and name not in via.setdefault(iri, []):
                via[iri].append(name)
    ranked = sorted(via.items(), key=lambda pair: (-len(pair[1]), pair[0]))
    return [(iri, tuple(names)) for iri, names in ranked[:limit]]


@dataclass
class NeighbourCache:
    """Per process: the last suggestions for each local territory, for `CACHE_SECONDS`."""

    entries: dict[str, tuple[float, list[Suggestion]]] = field(default_factory=dict)

    def get(self, key: str) -> list[Suggestion] | None:
        entry = self.entries.get(key)
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return entry[1]

    def put(self, key: str, value: list[Suggestion]) -> None:
        self.entries[key] = (time.monotonic(), value)


async def _collect(ctx: Context, followed: Sequence[Any], excluded: set[str]) -> list[Suggestion]:
    sources: list[tuple[str, Sequence[str]]] = []
    for row in followed[:MAX_SOURCES]:
        try:
            actor = await fetch_actor(ctx, row["iri"])
            if actor.following:
                named = await following_of(ctx, actor.following)
                sources.append((row["name"] or actor.name, named))
        except (FederationError, ValueError) as exc:
            log.info("could not read the following of %s: %s", row["iri"], exc)
    suggestions = []
    for iri, via in pick(sources, excluded):
        try:
            actor = await fetch_actor(ctx, iri)
        except (FederationError, ValueError) as exc:
            log.info("could not read suggested actor %s: %s", iri, exc)
            continue
        suggestions.append(Suggestion(iri, actor.name or actor.username, actor.handle, via))
    return suggestions


async def suggestions(
    ctx: Context, cache: NeighbourCache, local_iri: str, followed: Sequence[Any]
) -> list[Suggestion]:
    """Who the followed territories (rows with `iri`, `name`) follow, less ourselves and
    those we follow; within `BUDGET_SECONDS`, else what was gathered so far is lost and the
    page shows none (it does not wait on a slow peer)."""
    cached = cache.get(local_iri)
    if cached is not None:
        return cached
    excluded = {local_iri, *(row["iri"] for row in followed)}
    try:
        found = await asyncio.wait_for(_collect(ctx, followed, excluded), BUDGET_SECONDS)
    except TimeoutError:
        log.info("suggestions for %s took longer than %ss", local_iri, BUDGET_SECONDS)
        found = []
    cache.put(local_iri, found)
    return found
