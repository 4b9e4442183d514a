"""Hypothesis strategies for inbox payloads: real captured payloads, mutated, and random ones.

The seeds are every JSON document under tests/fixtures from the servers we federate with.
Each is re-hosted onto the fake peer (its id, actor and author moved to that host), so that
signature and same-origin checks pass and the payload reaches the handlers and the worker;
mutations then replace, drop or retype fields with values that have hurt servers before
(NUL, lone surrogates, NaN, year 1 and 9999, private and `javascript:` URLs, deep nesting).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import strategies as st

FIXTURES = Path(__file__).parent.parent / "fixtures"
SOURCES = ("mastodon", "mobilizon", "gancio", "lemmy", "friendica")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_TYPES = (
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Announce", "Like",
    "Add", "Remove", "Move", "Block", "Flag",
)  # fmt: skip
OBJECT_TYPES = ("Note", "Event", "Page", "Article", "Place", "Person", "Group", "Tombstone")
FIELDS = (
    "id", "type", "actor", "object", "target", "to", "cc", "bto", "audience", "published",
    "updated", "startTime", "endTime", "name", "nameMap", "content", "contentMap", "summary",
    "location", "attachment", "tag", "url", "inReplyTo", "attributedTo", "timezone",
    "@context", "sensitive", "icon", "image", "endpoints", "orderedItems", "first", "next",
)  # fmt: skip
NASTY_STRINGS = (
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "\udfff tail",
    "\u202e\u2066",
    "NaN",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:30Z",
    "2024-02-30T25:61:00+99:00",
    "-infinity",
    "javascript:alert(1)",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "http://127.0.0.1/",
    "http://[::1]:5432/",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "https://masto.example/users/asonix",
    "http://brest.example/actors/brest",
    "http://brest.example/actors/brest/followers",
    PUBLIC,
    "x" * 5000,
    "🇫🇷" * 200,
)  # fmt: skip

Json = Any
leaves: st.SearchStrategy[Json] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(ACTIVITY_TYPES + OBJECT_TYPES),
)
json_values: st.SearchStrategy[Json] = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=12,
)


def _documents(value: Json) -> list[Json]:
    """A fixture file is a document, a list of documents, or a captured signed request."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    if isinstance(value, dict) and isinstance(value.get("body"), str):
        return [json.loads(value["body"])]
    if isinstance(value, dict) and "req_headers" in value:
        return []  # headers only, no body
    return [value]


def load_seeds() -> list[dict[str, Any]]:
    seeds: list[dict[str, Any]] = []
    for source in SOURCES:
        for path in sorted((FIXTURES / source).rglob("*.json")):
            seeds.extend(_documents(json.loads(path.read_text("utf-8"))))
    return seeds


SEEDS = load_seeds()


def _host(value: Json) -> str | None:
    iri = value.get("id") if isinstance(value, dict) else value
    return urlsplit(iri).netloc or None if isinstance(iri, str) else None


def rehost(seed: dict[str, Any], actor_id: str) -> dict[str, Any]:
    """The seed as if sent by `actor_id`: an activity (objects wrapped in a Create) whose ids
    live on the actor's host, so that origin checks pass and processing goes deep."""
    peer = urlsplit(actor_id)
    text = json.dumps(seed)
    for host in {h for h in (_host(seed), _host(seed.get("actor"))) if h}:
        text = text.replace(f"://{host}", f"://{peer.netloc}")
    doc: dict[str, Any] = json.loads(text.replace("http://masto", "https://masto"))
    if doc.get("type") not in ACTIVITY_TYPES:
        doc = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor_id}/statuses/1/activity",
            "type": "Create",
            "to": [PUBLIC],
            "object": {**doc, "attributedTo": actor_id},
        }
    doc["actor"] = actor_id
    return doc


def _paths(value: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _set(doc: Json, path: tuple[Any, ...], value: Json) -> Json:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


def _delete(doc: Json, path: tuple[Any, ...]) -> Json:
    if not path:
        return doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return doc


@st.composite
def mutated(draw: st.DrawFn, actor_id: str) -> Json:
    """A real payload with one to four fields replaced, dropped, nested or retyped."""
    doc: Json = rehost(copy.deepcopy(draw(st.sampled_from(SEEDS))), actor_id)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths[1:] if len(paths) > 1 else paths))
        operation = draw(st.sampled_from(("replace", "delete", "wrap", "field")))
        if operation == "replace":
            doc = _set(doc, path, draw(json_values))
        elif operation == "delete":
            doc = _delete(doc, path)
        elif operation == "wrap":
            current = doc
            for step in path:
                current = current[step]
            doc = _set(doc, path, [current, current] if draw(st.booleans()) else {"id": current})
        elif isinstance(doc, dict):
            inner = doc.get("object")
            target: dict[str, Any] = inner if isinstance(inner, dict) else doc
            target[draw(st.sampled_from(FIELDS))] = draw(json_values)
    return doc


@st.composite
def random_activity(draw: st.DrawFn, actor_id: str) -> Json:
    """An activity from the peer made of random fields, some with a plausible object."""
    doc: dict[str, Any] = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8))
    doc.setdefault("id", f"{actor_id}/random")
    doc["actor"] = actor_id
    doc["type"] = draw(st.sampled_from(ACTIVITY_TYPES) | json_values)
    if draw(st.booleans()):
        doc["object"] = draw(
            st.fixed_dictionaries(
                {"type": st.sampled_from(OBJECT_TYPES), "id": st.just(f"{actor_id}/o")},
                optional={name: json_values for name in FIELDS if name not in ("type", "id")},
            )
        )
    return doc


def payloads(actor_id: str) -> st.SearchStrategy[Json]:
    return st.one_of(mutated(actor_id), mutated(actor_id), random_activity(actor_id))


def encode(doc: Json) -> bytes:
    """As a careless peer would: NaN and Infinity allowed, lone surrogates escaped."""
    return json.dumps(doc, allow_nan=True).encode()


def unique(doc: Json, actor_id: str, serial: int) -> Json:
    """Give the activity an id of its own, so each case is processed, not de-duplicated."""
    origin = actor_id.split("/users/")[0] + "/"
    if isinstance(doc, dict) and isinstance(doc.get("id"), str) and doc["id"].startswith(origin):
        return {**doc, "id": f"{doc['id']}/fuzz-{serial}"}
    return doc


def intact(body: bytes) -> bytes:
    return body


def cut_in_half(body: bytes) -> bytes:
    return body[: len(body) // 2]


def not_utf8(body: bytes) -> bytes:
    return body.replace(b'"', b"\xff", 1)


damages = st.sampled_from((intact, intact, intact, intact, intact, cut_in_half, not_utf8))
"""What the wire does to a body now and then."""


@st.composite
def by_reference(draw: st.DrawFn, actor_id: str) -> tuple[Json, dict[str, Json]]:
    """An Announce or Create naming an object by URL; the peer serves a mutated object there,
    so the worker's fetch and parse meet it instead of the inbox."""
    path = f"/fuzz/objects/{draw(st.integers(min_value=0, max_value=10**6))}"
    url = f"{actor_id.split('/users/')[0]}{path}"
    served: Json = draw(mutated(actor_id))
    if isinstance(served, dict) and isinstance(served.get("object"), dict):
        served = served["object"]
    if isinstance(served, dict) and draw(st.booleans()):
        served = {**served, "id": url}
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_id}/statuses/2/activity",
        "type": draw(st.sampled_from(("Announce", "Create", "Update"))),
        "actor": actor_id,
        "to": [PUBLIC],
        "object": url,
    }
    return activity, {path: served}


@st.composite
def accept_with_outbox(
    draw: st.DrawFn, actor_id: str, follow_id: str
) -> tuple[Json, dict[str, Json]]:
    """The peer accepts our Follow, so we backfill its outbox, which is hostile: items of
    any shape, pages that are numbers or loops, mutated real activities inside."""
    outbox, page = f"{actor_id}/outbox", f"{actor_id}/outbox/page/1"
    items = st.lists(mutated(actor_id) | json_values, max_size=4)
    collection = {
        "id": outbox,
        "type": "OrderedCollection",
        "orderedItems": draw(items | json_values),
        "first": draw(st.sampled_from((page, outbox)) | json_values),
    }
    first_page = {"id": page, "type": "OrderedCollectionPage", "orderedItems": draw(items)}
    first_page["next"] = draw(st.sampled_from((page, outbox)) | json_values)
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor_id}#accepts/follows/1",
        "type": "Accept",
        "actor": actor_id,
        "object": draw(st.sampled_from((follow_id, {"id": follow_id, "type": "Follow"}))),
    }
    return activity, {urlsplit(outbox).path: collection, urlsplit(page).path: first_page}


def cases(actor_id: str, follow_id: str) -> st.SearchStrategy[tuple[Json, dict[str, Json]]]:
    """What one case sends (the activity) and what the peer serves meanwhile."""
    nothing_served: dict[str, Json] = {}
    pushed = payloads(actor_id).map(lambda doc: (doc, nothing_served))
    return st.one_of(
        pushed, pushed, pushed, by_reference(actor_id), accept_with_outbox(actor_id, follow_id)
    )
