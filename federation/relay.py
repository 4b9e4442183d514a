"""A relaying territory — a circle — re-shares what the territories it follows publish, in
the form each of its followers understands (FEP-1b12; docs/decisions.md, "A circle
re-shares").

- Group actors (Maillage territories and circles, Lemmy communities and the other FEP-1b12
  group servers) get the `Announce` of the activity as it was received, unchanged, so the
  receiver sees what the origin sent and who relayed it.
- Everyone else (Mastodon, and the microblogging servers that boost like it) gets the
  `Announce` of the object's id: Mastodon shows that as a boost, fetching the object from
  its origin, and drops an `Announce` whose object is an activity.

Only a `Create` or an `Update` of an initiative or an event, received from the territory
that published it, is relayed: never something that was itself announced (two circles
following each other would echo forever), never a follow or a profile change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from federation.vocab import AS_CONTEXT, PUBLIC

RELAYED_TYPES = frozenset({"Create", "Update"})
GROUP_TYPES = frozenset({"Group"})

Form = Literal["activity", "object"]


def announce_form(follower_type: str | None) -> Form:
    """How a follower of this `type` wants an announce: `activity` (FEP-1b12) or `object`."""
    return "activity" if follower_type in GROUP_TYPES else "object"


def split_followers(followers: Iterable[tuple[str, str | None]]) -> dict[Form, list[str]]:
    """(actor id, actor type) of each follower → the followers of each form, in order."""
    forms: dict[Form, list[str]] = {"activity": [], "object": []}
    for iri, kind in followers:
        forms[announce_form(kind)].append(iri)
    return forms


def announce(
    activity_id: str,
    actor: str,
    announced: str | dict[str, Any],
    *,
    followers: str,
    author: str | None,
    published: str,
) -> dict[str, Any]:
    """`Announce` of an object's id (a boost) or of a received activity (FEP-1b12),
    addressed publicly to the relaying actor's followers and naming the author, as Mastodon
    addresses a boost."""
    cc = [followers, *([author] if author else [])]
    return {
        "@context": AS_CONTEXT,
        "id": activity_id,
        "type": "Announce",
        "actor": actor,
        "object": announced,
        "to": [PUBLIC],
        "cc": cc,
        "published": published,
    }
