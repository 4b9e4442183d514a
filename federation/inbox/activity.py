"""The activity envelope, parsed once at the start of processing.

Handlers decide on this typed value, not on the raw dict. The envelope is what every
activity must have (id, type, actor, all URLs, the id on the actor's origin); the object
stays as sent (an id or an embedded document) because its shape depends on the type, and
each handler reads it with the typed helpers below. `raw` keeps the JSON as received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from federation.errors import FederationError
from federation.inbox.origin import speaks_for
from federation.vocab import PUBLIC_ALIASES, id_of, ids_of, type_of

PUBLIC_ADDRESSES = PUBLIC_ALIASES
"""The public collection in the spellings peers use: the full IRI, `as:Public`, `Public`."""


class InvalidActivity(FederationError):
    """The envelope lacks what every activity needs. Deterministic: never retried."""


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


@dataclass(frozen=True)
class Activity:
    id: str
    type: str
    actor: str
    object: str | dict[str, Any] | None
    """The object as sent: its id, the embedded document, or None when absent."""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def object_id(self) -> str | None:
        return id_of(self.object)

    @property
    def object_type(self) -> str | None:
        return type_of(self.object)

    @property
    def embedded(self) -> dict[str, Any] | None:
        return self.object if isinstance(self.object, dict) else None

    @property
    def is_public(self) -> bool:
        return addressed_to_public(self.raw)


def parse_activity(raw: Mapping[str, Any]) -> Activity:
    """The typed envelope of one activity, or `InvalidActivity` saying what is missing."""
    if not isinstance(raw, dict):
        raise InvalidActivity("an activity is a JSON object")
    activity_id = raw.get("id")
    if not _is_url(activity_id):
        raise InvalidActivity("the activity has no id URL")
    kind = type_of(raw)
    if kind is None:
        raise InvalidActivity("the activity has no type")
    actor = id_of(raw.get("actor"))
    if actor is None or not _is_url(actor):
        raise InvalidActivity("the activity has no actor")
    assert isinstance(activity_id, str)
    if not speaks_for(actor, activity_id):
        raise InvalidActivity("the activity id is not on its actor's host")
    value = raw.get("object")
    obj: str | dict[str, Any] | None
    if isinstance(value, (str, dict)):
        obj = value
    elif isinstance(value, list) and value and isinstance(value[0], (str, dict)):
        obj = value[0]  # several objects: the first, as `id_of` reads it everywhere
    else:
        obj = None
    return Activity(
        id=activity_id, type=kind, actor=actor, object=obj,
        to=tuple(ids_of(raw.get("to"))), cc=tuple(ids_of(raw.get("cc"))), raw=dict(raw),
    )


def addressing(document: Mapping[str, Any]) -> frozenset[str]:
    """Everyone a document is addressed to, in `to` and `cc` (audience, bto and bcc are
    not read: the first names a group, the others must not be published)."""
    return frozenset(ids_of(document.get("to")) + ids_of(document.get("cc")))


def addressed_to_public(document: Mapping[str, Any]) -> bool:
    return not addressing(document).isdisjoint(PUBLIC_ADDRESSES)


def object_is_public(document: Mapping[str, Any], activity: Activity | None = None) -> bool:
    """An object is public when its own `to`/`cc` name the public collection; an embedded
    object that carries no addressing at all takes its activity's."""
    if addressing(document):
        return addressed_to_public(document)
    return activity is not None and activity.is_public
