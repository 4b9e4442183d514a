"""Inbox handlers and trust: pure decisions on typed activities. No database, no network."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from federation.errors import BadResponse
from federation.inbox import (
    Activity,
    Backfill,
    FetchObject,
    FollowAnswered,
    ForgetActor,
    Ignore,
    InvalidActivity,
    LocalActor,
    RecordFollower,
    RemoveFollower,
    SendAnswer,
    Snapshot,
    StoreObject,
    backfill,
    fetch_object,
    parse_activity,
)
from federation.inbox import decide as decide_typed
from federation.inbox.strict import UnstorableJSON, loads_strict, scrub
from tests.conftest import load_fixture


def decide(raw: dict[str, Any], snapshot: Snapshot) -> list[Any]:
    """The handlers as the worker runs them: the envelope parsed first."""
    return decide_typed(parse_activity(raw), snapshot)


LOCAL = "https://brest.example/actors/brest"
AUTO = Snapshot({LOCAL: LocalActor(LOCAL, manually_approves=False)})
MANUAL = Snapshot({LOCAL: LocalActor(LOCAL, manually_approves=True)})
FOLLOW = {
    "id": "https://m.example/f/1",
    "type": "Follow",
    "actor": "https://m.example/u/a",
    "object": LOCAL,
}


def test_follow_is_accepted_at_once_or_queued_for_approval() -> None:
    assert decide(FOLLOW, AUTO) == [
        RecordFollower("https://m.example/u/a", LOCAL, FOLLOW, accepted=True),
        SendAnswer("Accept", LOCAL, FOLLOW),
    ]
    assert decide(FOLLOW, MANUAL) == [
        RecordFollower("https://m.example/u/a", LOCAL, FOLLOW, accepted=False)
    ]
    stranger = dict(FOLLOW, object="https://brest.example/actors/nobody")
    assert isinstance(decide(stranger, AUTO)[0], Ignore)


def test_undo_only_of_ones_own_follow() -> None:
    undo = {
        "id": "https://m.example/u/a#undo",
        "type": "Undo",
        "actor": "https://m.example/u/a",
        "object": FOLLOW,
    }
    assert decide(undo, AUTO) == [RemoveFollower("https://m.example/u/a", LOCAL)]
    forged = dict(undo, actor="https://m.example/u/b")
    assert isinstance(decide(forged, AUTO)[0], Ignore)


def test_accept_and_reject_of_our_follow() -> None:
    ours = {
        "id": "https://brest.example/activities/1",
        "type": "Follow",
        "actor": LOCAL,
        "object": "https://m.example/c/x",
    }
    accept = {
        "id": "https://m.example/a/1",
        "type": "Accept",
        "actor": "https://m.example/c/x",
        "object": ours,
    }
    assert decide(accept, AUTO) == [
        FollowAnswered(LOCAL, "https://m.example/c/x", ours["id"], accepted=True),
        Backfill("https://m.example/c/x"),
    ]
    by_id = dict(accept, type="Reject", object=ours["id"])
    assert decide(by_id, AUTO) == [
        FollowAnswered("", "https://m.example/c/x", ours["id"], accepted=False)
    ]
    hijack = dict(accept, id="https://evil.example/a/1", actor="https://evil.example/u")
    assert isinstance(decide(hijack, AUTO)[0], Ignore)


def test_delete_of_self_forgets_the_actor_and_unknown_types_are_ignored() -> None:
    delete = {
        "id": "https://m.example/u/a#delete",
        "type": "Delete",
        "actor": "https://m.example/u/a",
        "object": "https://m.example/u/a",
    }
    assert decide(delete, AUTO) == [ForgetActor("https://m.example/u/a")]
    dance = {"id": "https://m.example/d/1", "type": "Dance", "actor": "https://m.example/u/a"}
    assert isinstance(decide(dance, AUTO)[0], Ignore)


# Typed envelope ---------------------------------------------------------------------------

GANCIO = "https://demo.gancio.org/federation/u/gancio"
FOLLOWS_GANCIO = Snapshot({LOCAL: LocalActor(LOCAL, False)}, frozenset({GANCIO}))


def gancio_create(**object_fields: Any) -> dict[str, Any]:
    create = copy.deepcopy(load_fixture("gancio/create-event.json"))
    create["object"].update(object_fields)
    return create


def test_the_envelope_is_parsed_into_a_typed_activity() -> None:
    activity = parse_activity(gancio_create())
    assert isinstance(activity, Activity)
    assert (activity.type, activity.actor) == ("Create", GANCIO)
    assert activity.object_id == "https://demo.gancio.org/federation/m/1"
    assert activity.is_public


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "Follow", "actor": "https://m.example/u/a"},
        {"id": "https://m.example/1", "actor": "https://m.example/u/a"},
        {"id": "https://m.example/1", "type": "Follow"},
        {"id": "https://other.example/1", "type": "Follow", "actor": "https://m.example/u/a"},
    ],
    ids=["no id", "no type", "no actor", "id on another origin"],
)
def test_an_envelope_that_does_not_parse_is_invalid(broken: dict[str, Any]) -> None:
    with pytest.raises(InvalidActivity):
        parse_activity(broken)


# Public addressing (issue 8, item 6) ------------------------------------------------------


def test_a_public_create_is_kept() -> None:
    [effect] = decide(gancio_create(), FOLLOWS_GANCIO)
    assert isinstance(effect, StoreObject)
    assert effect.object.id == "https://demo.gancio.org/federation/m/1"


def test_a_followers_only_create_is_not_kept() -> None:
    followers = [f"{GANCIO}/followers"]
    create = gancio_create(to=followers, cc=[])
    create.update(to=followers, cc=[])
    [effect] = decide(create, FOLLOWS_GANCIO)
    assert isinstance(effect, Ignore) and "not addressed to the public" in effect.reason


def test_a_create_addressed_to_the_territory_only_is_not_kept() -> None:
    create = gancio_create(to=[LOCAL], cc=[])
    create.update(to=[LOCAL], cc=[])
    [effect] = decide(create, FOLLOWS_GANCIO)
    assert isinstance(effect, Ignore) and "not addressed to the public" in effect.reason


@pytest.mark.parametrize("public", ["as:Public", "https://www.w3.org/ns/activitystreams#Public"])
def test_public_in_cc_in_either_spelling_is_public(public: str) -> None:
    create = gancio_create(to=[f"{GANCIO}/followers"], cc=[public])
    [effect] = decide(create, FOLLOWS_GANCIO)
    assert isinstance(effect, StoreObject)


def test_an_object_without_addressing_takes_its_activitys() -> None:
    create = gancio_create()
    del create["object"]["to"], create["object"]["cc"]
    assert isinstance(decide(create, FOLLOWS_GANCIO)[0], StoreObject)
    create.update(to=[f"{GANCIO}/followers"], cc=[])
    assert isinstance(decide(create, FOLLOWS_GANCIO)[0], Ignore)


# Clear reasons (issue 8, item 20) ---------------------------------------------------------


def test_an_object_without_a_type_is_ignored_with_a_clear_reason() -> None:
    create = gancio_create()
    del create["object"]["type"]
    [effect] = decide(create, FOLLOWS_GANCIO)
    assert effect == Ignore("an object without a type is not kept")
    assert "None" not in effect.reason


def test_an_unusable_profile_update_is_ignored_when_deciding() -> None:
    """Parsed on the federation side: an unusable profile is a decision, not a retry."""
    update = {
        "id": "https://broken.example/u/bob#update",
        "type": "Update",
        "actor": "https://broken.example/u/bob",
        "object": {"id": "https://broken.example/u/bob", "type": "Person"},
    }
    [effect] = decide(update, AUTO)
    assert isinstance(effect, Ignore) and "unusable profile" in effect.reason


# Trust behind the Fetcher Protocol --------------------------------------------------------


class DictFetcher:
    """Serves documents by URL; a URL it does not hold fails like an unreachable host."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> tuple[str, dict[str, Any]]:
        self.fetched.append(url)
        if url not in self.documents:
            raise BadResponse(f"{url}: not found", status=404)
        return url, self.documents[url]


OUTBOX = f"{GANCIO}/outbox"


async def test_outbox_with_numeric_items_backfills_nothing_and_raises_nothing() -> None:
    fetcher = DictFetcher({
        OUTBOX: {"type": "OrderedCollection", "orderedItems": 5, "first": f"{OUTBOX}?page=1"},
        f"{OUTBOX}?page=1": {"type": "OrderedCollectionPage", "orderedItems": 5, "items": "x"},
    })
    [effect] = await backfill(fetcher, GANCIO, OUTBOX)
    assert isinstance(effect, Ignore) and "nothing to backfill" in effect.reason


async def test_backfill_keeps_only_public_objects_of_the_territory() -> None:
    public = gancio_create()
    private = gancio_create(id="https://demo.gancio.org/federation/m/2", to=[LOCAL], cc=[])
    private.update(id="https://demo.gancio.org/federation/m/2#create", to=[LOCAL], cc=[])
    elsewhere = gancio_create(id="https://elsewhere.example/m/3")
    fetcher = DictFetcher({OUTBOX: {"orderedItems": [public, private, elsewhere, 7, None]}})
    effects = await backfill(fetcher, GANCIO, OUTBOX)
    assert [e.object.id for e in effects if isinstance(e, StoreObject)] == [
        "https://demo.gancio.org/federation/m/1"
    ]


async def test_forged_object_is_refetched_and_trusted_only_from_its_origin() -> None:
    event = gancio_create()["object"]
    honest = DictFetcher({event["id"]: event})
    effect = await fetch_object(honest, FetchObject(event["id"], "https://relay.example/r"))
    assert isinstance(effect, StoreObject) and effect.sender == GANCIO
    forged = DictFetcher({event["id"]: dict(event, id="https://evil.example/m/1")})
    effect = await fetch_object(forged, FetchObject(event["id"], "https://relay.example/r"))
    assert isinstance(effect, Ignore) and "another origin" in effect.reason
    private = DictFetcher({event["id"]: dict(event, to=[LOCAL], cc=[])})
    effect = await fetch_object(private, FetchObject(event["id"], "https://relay.example/r"))
    assert isinstance(effect, Ignore) and "not addressed to the public" in effect.reason


# Strict JSON (issue 8, item 13) -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a\\u0000b"}',
        b'{"name": "\\ud800"}',
        b'{"n": NaN}',
        b'{"n": Infinity}',
        b'{"n": -Infinity}',
        b'{"a\\u0000": 1}',
        b'{"n": 1e999}',
    ],
    ids=["nul", "lone surrogate", "nan", "infinity", "minus infinity", "nul in key", "overflow"],
)
def test_values_postgresql_cannot_store_are_refused(body: bytes) -> None:
    with pytest.raises(UnstorableJSON):
        loads_strict(body)


def test_strict_json_accepts_surrogate_pairs_and_ordinary_text() -> None:
    assert loads_strict(b'{"name": "\\ud83c\\udf89 f\\u00eate", "n": 1.5}') == {
        "name": "\U0001f389 fête", "n": 1.5
    }


def test_scrub_cleans_what_a_fetched_document_holds() -> None:
    dirty = {"name": "Bo\x00b", "summary": "x\ud800y", "n": float("nan"), "l": ["\x00"]}
    assert scrub(dirty) == {"name": "Bob", "summary": "xy", "n": None, "l": [""]}
