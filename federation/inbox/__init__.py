"""Inbox decisions, all on the federation side of the line.

- `activity`: the typed envelope every activity is parsed into before anything is decided;
- `handlers`: one handler per activity type, returning effects (`effects`);
- `trust`: which objects are kept, and the fetches (outbox backfill, object from its origin)
  behind a `Fetcher` Protocol that the server implements;
- `origin`: the same-origin rule, once;
- `strict`: JSON we can store (no NUL, lone surrogate or NaN).
"""

from federation.inbox.activity import Activity, InvalidActivity, parse_activity
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
    StoreObject,
)
from federation.inbox.handlers import HANDLERS, LocalActor, Snapshot, decide
from federation.inbox.trust import Fetcher, backfill, fetch_object, keep_object

__all__ = [
    "HANDLERS",
    "Activity",
    "Backfill",
    "Effect",
    "FetchObject",
    "Fetcher",
    "FollowAnswered",
    "ForgetActor",
    "Ignore",
    "InvalidActivity",
    "LocalActor",
    "RecordFollower",
    "RefreshActor",
    "Relay",
    "RemoveFollower",
    "RemoveObject",
    "SendAnswer",
    "Snapshot",
    "StoreObject",
    "backfill",
    "decide",
    "fetch_object",
    "keep_object",
    "parse_activity",
]
