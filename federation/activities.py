"""Outgoing activities, as Mastodon and Mobilizon expect them."""

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
