"""What a relaying territory decides to re-share, without I/O (the forms are tested in
tests/federation/test_relay.py)."""

from __future__ import annotations

from typing import Any

from federation.inbox import (
    FetchObject,
    LocalActor,
    Relay,
    Snapshot,
    StoreObject,
    decide,
    parse_activity,
)

CIRCLE = "https://cercle.example/actors/cercle"
BREST = "https://brest.example/actors/brest"
EVENT = {"id": "https://brest.example/objects/1", "type": "Event", "name": "Gratiferia",
         "attributedTo": BREST, "startTime": "2026-12-12T13:00:00Z",
         "endTime": "2026-12-12T16:30:00Z", "timezone": "Europe/Paris",
         "to": ["https://www.w3.org/ns/activitystreams#Public"]}
CREATE = {"id": "https://brest.example/activities/1", "type": "Create", "actor": BREST,
          "object": EVENT, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
LOCAL = {CIRCLE: LocalActor(CIRCLE, manually_approves=False)}
RELAYING = Snapshot(LOCAL, frozenset({BREST}), relaying=CIRCLE)
QUIET = Snapshot(LOCAL, frozenset({BREST}))


def effects(raw: dict[str, Any], snapshot: Snapshot) -> list[Any]:
    return decide(parse_activity(raw), snapshot)


def test_a_relaying_circle_reshares_a_followed_territorys_create_and_update() -> None:
    kept, relay = effects(CREATE, RELAYING)
    assert isinstance(kept, StoreObject)
    assert relay == Relay(CREATE, EVENT["id"])
    update = {**CREATE, "id": "https://brest.example/activities/2", "type": "Update"}
    assert effects(update, RELAYING)[-1] == Relay(update, EVENT["id"])


def test_a_territory_that_does_not_relay_only_keeps() -> None:
    assert [type(e) for e in effects(CREATE, QUIET)] == [StoreObject]


def test_what_was_announced_is_never_announced_again() -> None:
    other = "https://autre-cercle.example/actors/cercle"
    snapshot = Snapshot(LOCAL, frozenset({BREST, other}), relaying=CIRCLE)
    announce = {"id": f"{other}#a/1", "type": "Announce", "actor": other, "object": CREATE}
    [fetch] = effects(announce, snapshot)
    assert isinstance(fetch, FetchObject) and fetch.via == other
