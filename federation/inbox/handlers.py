"""Inbox handlers decide; the executor (in `server/receive/`) acts.

Each handler takes one parsed activity and a snapshot of what it needs to know, and returns
effects. One table maps activity types to handlers. Handlers do no I/O, so they are tested
without a database, and re-running one on the same input returns the same effects: the
executor applies effects idempotently, which makes processing safe to repeat after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from federation.errors import BadResponse
from federation.inbox.activity import Activity
from federation.inbox.effects import (
    Backfill,
    Effect,
    FetchObject,
    FollowAnswered,
    ForgetActor,
    Ignore,
    RecordFollower,
    RefreshActor,
    Relay,
    RemoveFollower,
    RemoveObject,
    SendAnswer,
)
from federation.inbox.origin import speaks_for
from federation.inbox.trust import OBJECT_TYPES, keep_object
from federation.remote_actor import parse_actor
from federation.vocab import ACTOR_TYPES, id_of, type_of


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
    relaying: str | None = None
    """Our territory, when it relays what the territories it follows publish (a circle)."""


Handler = Callable[[Activity, Snapshot], list[Effect]]

def on_follow(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    local = snapshot.local_actors.get(activity.object_id or "")
    if local is None:
        return [Ignore("Follow of an actor that is not ours")]
    if local.manually_approves:
        return [RecordFollower(activity.actor, local.iri, activity.raw, accepted=False)]
    return [
        RecordFollower(activity.actor, local.iri, activity.raw, accepted=True),
        SendAnswer("Accept", local.iri, activity.raw),
    ]


def on_undo(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    undone = activity.embedded
    kind = activity.object_type
    if undone is None and isinstance(activity.object, str):
        return [Ignore("Undo of an activity given only by id: nothing stored to match it")]
    if kind != "Follow" or undone is None:
        return [Ignore(f"Undo of {kind or 'an object without a type'} is not handled")]
    if id_of(undone.get("actor")) != activity.actor:
        return [Ignore("Undo of somebody else's Follow")]
    target = id_of(undone.get("object"))
    if target is None or target not in snapshot.local_actors:
        return [Ignore("Undo of a Follow of an actor that is not ours")]
    return [RemoveFollower(activity.actor, target)]


def _answer(accepted: bool) -> Handler:
    def handler(activity: Activity, snapshot: Snapshot) -> list[Effect]:
        actor = activity.actor
        answered = activity.embedded
        if answered is not None:
            if type_of(answered) not in (None, "Follow"):
                return [Ignore(f"answer to a {type_of(answered)} is not handled")]
            follower = id_of(answered.get("actor"))
            followee = id_of(answered.get("object"))
            if followee is not None and followee != actor:
                return [Ignore("answer to a Follow addressed to somebody else")]
            if follower is not None and follower not in snapshot.local_actors:
                return [Ignore("answer to a Follow none of our actors sent")]
            answer = FollowAnswered(follower or "", actor, id_of(answered), accepted)
        elif isinstance(activity.object, str):
            # Only the Follow's id: the executor matches it against the Follows we sent.
            answer = FollowAnswered("", actor, activity.object, accepted)
        else:
            return [Ignore("answer without an object")]
        return [answer, Backfill(actor)] if accepted else [answer]

    return handler


def _object_effect(
    object_value: str | dict[str, Any] | None,
    activity: Activity,
    snapshot: Snapshot,
    *,
    announced: bool = False,
) -> list[Effect]:
    """Keep an embedded object from its own origin; fetch anything else from its origin."""
    object_iri = id_of(object_value)
    actor = activity.actor
    if object_iri is None:
        return [Ignore("no object")]
    if not announced and actor not in snapshot.followed:
        return [Ignore("from an actor none of our actors follows")]
    if isinstance(object_value, dict):
        kind = type_of(object_value)
        if kind is None:
            return [Ignore("an object without a type is not kept")]
        if kind not in OBJECT_TYPES:
            return [Ignore(f"{kind} objects are not kept (only events and initiatives)")]
        if not announced and speaks_for(actor, object_iri):
            return [keep_object(object_value, actor, activity)]
    return [FetchObject(object_iri, actor, via=actor if announced else None)]


def _relayed(effects: list[Effect], activity: Activity, snapshot: Snapshot) -> list[Effect]:
    """A relaying territory re-shares what a territory it follows sends it directly, once
    kept (the executor checks the object is stored); never what was itself announced."""
    object_iri = activity.object_id
    if snapshot.relaying is None or object_iri is None:
        return effects
    if not speaks_for(activity.actor, object_iri):
        return effects
    if any(isinstance(effect, Ignore) for effect in effects):
        return effects
    return [*effects, Relay(activity.raw, object_iri)]


def on_create(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    return _relayed(_object_effect(activity.object, activity, snapshot), activity, snapshot)


def on_announce(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    """FEP-1b12 groups announce the activity (`Announce{Create}`), others the object."""
    if activity.actor not in snapshot.followed:
        return [Ignore("Announce from an actor none of our actors follows")]
    inner: Any = activity.object
    if isinstance(inner, dict) and type_of(inner) in {"Create", "Update"}:
        inner = inner.get("object")
    if not isinstance(inner, (str, dict)):
        return [Ignore("Announce of nothing")]
    return _object_effect(inner, activity, snapshot, announced=True)


def on_delete(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    actor = activity.actor
    target = activity.object_id
    if target == actor:
        return [ForgetActor(actor)]
    if target is not None and speaks_for(actor, target):
        return [RemoveObject(target, actor)]
    return [Ignore("Delete of an object from another origin")]


def on_update(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    actor = activity.actor
    updated = activity.embedded
    kind = activity.object_type
    if updated is not None and kind in ACTOR_TYPES and updated.get("id") == actor:
        try:
            return [RefreshActor(parse_actor(updated, actor))]
        except BadResponse as exc:
            return [Ignore(f"unusable profile of {actor}: {exc}")]
    if kind in OBJECT_TYPES:
        return _relayed(_object_effect(activity.object, activity, snapshot), activity, snapshot)
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


def decide(activity: Activity, snapshot: Snapshot) -> list[Effect]:
    handler = HANDLERS.get(activity.type)
    if handler is None:
        return [Ignore(f"{activity.type} activities are not handled")]
    return handler(activity, snapshot)
