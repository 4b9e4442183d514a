"""Inbox handlers decide; the executor (in `server/`) acts.

Each handler takes one verified activity and a snapshot of what it needs to know, and returns
effects. One table maps activity types to handlers. Handlers do no I/O, so they are tested
without a database, and re-running one on the same input returns the same effects: the
executor applies effects idempotently, which makes processing safe to repeat after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from federation.vocab import id_of, same_origin, type_of


@dataclass(frozen=True)
class LocalActor:
    iri: str
    manually_approves: bool


@dataclass(frozen=True)
class Snapshot:
    """What the handlers may know about this instance when an activity is processed."""

    local_actors: Mapping[str, LocalActor]
    followed: frozenset[str] = frozenset()
    """Remote actors one of our actors follows (accepted): whose objects we keep."""


# Effects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ignore:
    reason: str


@dataclass(frozen=True)
class RecordFollower:
    """A remote actor follows a local one; `accepted` False leaves it for an administrator."""

    follower: str
    followee: str
    follow_activity: dict[str, Any] = field(compare=False)
    accepted: bool


@dataclass(frozen=True)
class SendAnswer:
    """Send `Accept` or `Reject` of a Follow to the follower."""

    kind: str
    local_actor: str
    follow_activity: dict[str, Any] = field(compare=False)


@dataclass(frozen=True)
class RemoveFollower:
    follower: str
    followee: str


@dataclass(frozen=True)
class FollowAnswered:
    """A remote actor answered a Follow one of our actors sent."""

    follower: str
    followee: str
    follow_iri: str | None
    accepted: bool


@dataclass(frozen=True)
class ForgetActor:
    actor: str


@dataclass(frozen=True)
class RefreshActor:
    document: dict[str, Any] = field(compare=False)
    actor: str = ""


@dataclass(frozen=True)
class StoreObject:
    """Keep (or replace) an event or initiative; its id is on the sender's origin."""

    document: dict[str, Any] = field(compare=False)
    sender: str = ""


@dataclass(frozen=True)
class FetchObject:
    """The object came through someone else, or only as an id: fetch it from its origin."""

    object_iri: str
    sender: str


@dataclass(frozen=True)
class Backfill:
    """A territory accepted our follow: bring in what its outbox already holds, so the
    feed is not empty until it next publishes."""

    actor: str


@dataclass(frozen=True)
class RemoveObject:
    object_iri: str
    sender: str


Effect = (
    Ignore | RecordFollower | SendAnswer | RemoveFollower | FollowAnswered | ForgetActor
    | RefreshActor | StoreObject | FetchObject | RemoveObject | Backfill
)
Handler = Callable[[dict[str, Any], Snapshot], list[Effect]]

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})
OBJECT_TYPES = frozenset({"Event", "Page"})


# Handlers --------------------------------------------------------------------------------


def on_follow(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    actor = id_of(activity.get("actor"))
    target = id_of(activity.get("object"))
    local = snapshot.local_actors.get(target or "")
    if actor is None or local is None:
        return [Ignore("Follow of an actor that is not ours")]
    if not isinstance(activity.get("id"), str):
        return [Ignore("Follow without an id cannot be answered")]
    if local.manually_approves:
        return [RecordFollower(actor, local.iri, activity, accepted=False)]
    return [
        RecordFollower(actor, local.iri, activity, accepted=True),
        SendAnswer("Accept", local.iri, activity),
    ]


def on_undo(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    actor = id_of(activity.get("actor"))
    undone = activity.get("object")
    kind = type_of(undone)
    if kind is None and isinstance(undone, str):
        return [Ignore("Undo of an activity given only by id: nothing stored to match it")]
    if kind != "Follow":
        return [Ignore(f"Undo of {kind} is not handled")]
    assert isinstance(undone, dict)
    if id_of(undone.get("actor")) != actor:
        return [Ignore("Undo of somebody else's Follow")]
    target = id_of(undone.get("object"))
    if actor is None or target not in snapshot.local_actors:
        return [Ignore("Undo of a Follow of an actor that is not ours")]
    return [RemoveFollower(actor, target)]


def _answer(accepted: bool) -> Handler:
    def handler(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
        actor = id_of(activity.get("actor"))
        answered = activity.get("object")
        if actor is None:
            return [Ignore("answer without an actor")]
        if isinstance(answered, dict):
            if type_of(answered) not in (None, "Follow"):
                return [Ignore(f"answer to a {type_of(answered)} is not handled")]
            follower = id_of(answered.get("actor"))
            followee = id_of(answered.get("object"))
            if followee is not None and followee != actor:
                return [Ignore("answer to a Follow addressed to somebody else")]
            if follower is not None and follower not in snapshot.local_actors:
                return [Ignore("answer to a Follow none of our actors sent")]
            answer = FollowAnswered(follower or "", actor, id_of(answered), accepted)
        elif isinstance(answered, str):
            # Only the Follow's id: the executor matches it against the Follows we sent.
            answer = FollowAnswered("", actor, answered, accepted)
        else:
            return [Ignore("answer without an object")]
        return [answer, Backfill(actor)] if accepted else [answer]

    return handler


def _object_effect(
    object_value: Any, actor: str, snapshot: Snapshot, *, announced: bool = False
) -> list[Effect]:
    """Store an embedded object from its own origin; fetch anything else from its origin."""
    object_iri = id_of(object_value)
    if object_iri is None:
        return [Ignore("no object")]
    if not announced and actor not in snapshot.followed:
        return [Ignore("from an actor none of our actors follows")]
    embedded = isinstance(object_value, dict)
    kind = type_of(object_value)
    if embedded and kind not in OBJECT_TYPES:
        return [Ignore(f"{kind} objects are not kept (only events and initiatives)")]
    if embedded and not announced and same_origin(object_iri, actor):
        return [StoreObject(object_value, actor)]
    return [FetchObject(object_iri, actor)]


def on_create(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    actor = id_of(activity.get("actor"))
    if actor is None:
        return [Ignore("no actor")]
    return _object_effect(activity.get("object"), actor, snapshot)


def on_announce(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    """FEP-1b12 groups announce the activity (`Announce{Create}`), others the object."""
    actor = id_of(activity.get("actor"))
    if actor is None or actor not in snapshot.followed:
        return [Ignore("Announce from an actor none of our actors follows")]
    inner = activity.get("object")
    if type_of(inner) in {"Create", "Update"} and isinstance(inner, dict):
        inner = inner.get("object")
    return _object_effect(inner, actor, snapshot, announced=True)


def on_delete(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    actor = id_of(activity.get("actor"))
    target = id_of(activity.get("object"))
    if actor is not None and target == actor:
        return [ForgetActor(actor)]
    if actor is not None and target is not None and same_origin(actor, target):
        return [RemoveObject(target, actor)]
    return [Ignore("Delete of an object from another origin")]


def on_update(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    actor = id_of(activity.get("actor"))
    updated = activity.get("object")
    if (
        actor is not None
        and isinstance(updated, dict)
        and type_of(updated) in ACTOR_TYPES
        and updated.get("id") == actor
        and same_origin(actor, str(updated.get("id")))
    ):
        return [RefreshActor(updated, actor)]
    if actor is not None and type_of(updated) in OBJECT_TYPES:
        return _object_effect(updated, actor, snapshot)
    return [Ignore("Update of something other than the sender or its events and initiatives")]


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Undo": on_undo,
    "Accept": _answer(True),
    "Reject": _answer(False),
    "Delete": on_delete,
    "Update": on_update,
    "Create": on_create,
    "Announce": on_announce,
}


def decide(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    kind = type_of(activity)
    handler = HANDLERS.get(kind or "")
    if handler is None:
        return [Ignore(f"{kind} activities are not handled")]
    return handler(activity, snapshot)
