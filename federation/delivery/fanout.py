"""Fan-out, step one: from recipients to the distinct inboxes to POST to.

Followers on one server share its shared inbox, so 10,000 followers on 500 servers become
500 deliveries. But ActivityPub (§7.1.3) keeps the shared inbox for deliveries to followers
or to the public: an activity meant for one actor (a `Follow`, its `Undo`, an `Accept`)
goes to that actor's own inbox, or a server such as Fedify does not take it.

Pure: the caller passes the recipients' inbox URLs it has stored and the blocked domains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from federation.domains import authority_of, hostname_of, is_blocked


@dataclass(frozen=True)
class Recipient:
    actor_iri: str
    inbox: str | None
    shared_inbox: str | None
    personal: bool = False
    """The activity is meant for this actor alone: its own inbox, never the shared one."""

    @property
    def target(self) -> str | None:
        if self.personal:
            return self.inbox or self.shared_inbox
        return self.shared_inbox or self.inbox


@dataclass(frozen=True)
class Target:
    """One delivery row to write: an inbox, its host key, and whether it is skipped."""

    inbox: str
    host: str
    blocked: bool


def delivery_inboxes(recipients: Iterable[Recipient], *, exclude_host: str) -> list[str]:
    """Distinct target inboxes (shared inbox preferred unless personal); none to our own
    `host[:port]` (`exclude_host`, as in the settings' domain)."""
    own = authority_of(f"//{exclude_host}")
    seen: dict[str, None] = {}
    for recipient in recipients:
        target = recipient.target
        if not target or target in seen or authority_of(target) == own:
            continue
        seen.setdefault(target, None)
    return list(seen)


def plan_deliveries(
    followers: Iterable[Recipient],
    addressed: Iterable[Recipient],
    *,
    public: bool,
    exclude_host: str,
    blocked: frozenset[str],
) -> list[Target]:
    """The delivery rows of one activity.

    Followers go to shared inboxes; actors addressed by name get their own inbox unless the
    activity is public (then their server's shared inbox is as good). Inboxes on a blocked
    domain are kept as skipped rows, so the admin sees what was withheld."""
    named = (
        Recipient(r.actor_iri, r.inbox, r.shared_inbox, personal=not public) for r in addressed
    )
    inboxes = delivery_inboxes([*followers, *named], exclude_host=exclude_host)
    return [
        Target(inbox, authority_of(inbox), is_blocked(hostname_of(inbox), blocked))
        for inbox in inboxes
    ]
