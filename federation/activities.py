"""Every outgoing activity is built here, as Mastodon and Mobilizon expect it.

Follows and their answers, profile updates, the Create/Update/Delete of our objects, and the
outbox's Create items: one place to change when an activity must take another shape (the
`deliveries.body` column then carries a per-peer variant of what is built here)."""

from __future__ import annotations

from typing import Any

from federation.vocab import AS_CONTEXT, PUBLIC


def follow(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Follow", "actor": actor,
            "object": target}


def answer_follow(
    kind: str, activity_id: str, actor: str, follow_activity: dict[str, Any]
) -> dict[str, Any]:
    """`Accept` or `Reject` of a Follow, embedding the Follow so the follower needs no fetch."""
    embedded = {k: v for k, v in follow_activity.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": actor,
            "object": embedded, "to": [follow_activity["actor"]]}


def undo(activity_id: str, actor: str, undone: dict[str, Any]) -> dict[str, Any]:
    embedded = {k: v for k, v in undone.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Undo", "actor": actor,
            "object": embedded}


def update_actor(activity_id: str, actor_document: dict[str, Any]) -> dict[str, Any]:
    """Profile changes reach followers as `Update{actor}`; Mastodon refreshes its copy."""
    embedded = {k: v for k, v in actor_document.items() if k != "@context"}
    return {"@context": actor_document.get("@context", AS_CONTEXT), "id": activity_id,
            "type": "Update", "actor": actor_document["id"], "object": embedded,
            "to": [PUBLIC], "cc": [actor_document["followers"]]}


def _embedded(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "@context"}


def about_object(
    kind: str,
    activity_id: str,
    actor: str,
    document: dict[str, Any],
    *,
    to: list[str] | None = None,
    cc: list[str] | None = None,
) -> dict[str, Any]:
    """`Create`, `Update` or `Delete` of one of our objects, embedding it (its context
    becomes the activity's), addressed as the object is unless told otherwise."""
    return {
        "@context": document.get("@context", AS_CONTEXT),
        "id": activity_id,
        "type": kind,
        "actor": actor,
        "object": _embedded(document),
        "to": to if to is not None else document.get("to", [PUBLIC]),
        "cc": cc if cc is not None else document.get("cc", []),
    }


def outbox_create(
    activity_id: str,
    actor: str,
    document: dict[str, Any],
    *,
    published: Any,
    to: Any,
    cc: Any,
) -> dict[str, Any]:
    """An outbox item: the `Create` that announced an object, carrying the object's current
    version (a backfilling follower gets edits without replaying Updates). No `@context`:
    the collection page carries it."""
    return {
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": to,
        "cc": cc,
        "object": _embedded(document),
    }
