"""What handlers return: effects, which the executor in `server/receive/` performs.

Effects that store something carry typed values (`RemoteObject`, `RemoteActor`) parsed on
the federation side, so a document that cannot be parsed is ignored when deciding, once,
instead of failing the executor on every retry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from federation.objects.model import RemoteObject
from federation.remote_actor import RemoteActor


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
    """The sender sent its own new profile, already parsed and checked."""

    actor: RemoteActor


@dataclass(frozen=True)
class StoreObject:
    """Keep (or replace) a public event or initiative; its id is on the sender's origin."""

    object: RemoteObject
    sender: str
    via: str | None = None
    """The actor that announced it to us, when that was not its author (shown as "via")."""


@dataclass(frozen=True)
class FetchObject:
    """The object came through someone else, or only as an id: fetch it from its origin."""

    object_iri: str
    sender: str
    via: str | None = None
    """The actor that announced it, when it came in an `Announce`."""


@dataclass(frozen=True)
class Backfill:
    """A territory accepted our follow: bring in what its outbox already holds, so the
    feed is not empty until it next publishes."""

    actor: str


@dataclass(frozen=True)
class RemoveObject:
    object_iri: str
    sender: str


@dataclass(frozen=True)
class Relay:
    """Our territory relays (a circle): announce this activity, received from the territory
    that published `object_iri`, to our own followers (FEP-1b12, `federation/relay.py`)."""

    activity: dict[str, Any] = field(compare=False)
    object_iri: str


Effect = (
    Ignore | RecordFollower | SendAnswer | RemoveFollower | FollowAnswered | ForgetActor
    | RefreshActor | StoreObject | FetchObject | RemoveObject | Backfill | Relay
)
