"""Fan-out, step one: from recipients to the distinct inboxes to POST to.

Followers on one server share its shared inbox, so 10,000 followers on 500 servers become
500 deliveries. Pure: the caller passes the recipients' inbox URLs it has stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Recipient:
    actor_iri: str
    inbox: str | None
    shared_inbox: str | None


def host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def delivery_inboxes(recipients: Iterable[Recipient], *, exclude_host: str) -> list[str]:
    """Distinct target inboxes, shared inbox preferred; nothing to our own host."""
    seen: dict[str, None] = {}
    for recipient in recipients:
        target = recipient.shared_inbox or recipient.inbox
        if not target or host_of(target) == exclude_host.lower():
            continue
        seen.setdefault(target, None)
    return list(seen)
