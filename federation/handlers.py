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


Effect = (
    Ignore | RecordFollower | SendAnswer | RemoveFollower | FollowAnswered | ForgetActor
    | RefreshActor
)
Handler = Callable[[dict[str, Any], Snapshot], list[Effect]]

ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Application", "Service"})


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
            return [FollowAnswered(follower or "", actor, id_of(answered), accepted)]
        if isinstance(answered, str):
            # Only the Follow's id: the executor matches it against the Follows we sent.
            return [FollowAnswered("", actor, answered, accepted)]
        return [Ignore("answer without an object")]

    return handler


def on_delete(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    actor = id_of(activity.get("actor"))
    target = id_of(activity.get("object"))
    if actor is not None and target == actor:
        return [ForgetActor(actor)]
    return [Ignore("Delete of an object: objects are not stored yet")]


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
    return [Ignore("Update of something other than the sender itself")]


HANDLERS: dict[str, Handler] = {
    "Follow": on_follow,
    "Undo": on_undo,
    "Accept": _answer(True),
    "Reject": _answer(False),
    "Delete": on_delete,
    "Update": on_update,
}


def decide(activity: dict[str, Any], snapshot: Snapshot) -> list[Effect]:
    kind = type_of(activity)
    handler = HANDLERS.get(kind or "")
    if handler is None:
        return [Ignore(f"{kind} activities are not handled")]
    return handler(activity, snapshot)
