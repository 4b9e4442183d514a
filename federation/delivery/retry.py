"""When to try a delivery again: a pure function of what happened so far.

404 and 410 mean the inbox is gone: stop. 429 and 503 say when to come back (`Retry-After`).
Other 4xx answers will not change by retrying: stop. 5xx and network errors are retried with
jittered exponential back-off, capped, until about two days have passed since the first try.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

GIVE_UP_AFTER_SECONDS = 48 * 3600.0
"""The one "about two days": a delivery is given up after it, and a host failing for that
long is marked unavailable (its deliveries skipped until it is heard from again)."""


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float = 60.0
    cap_seconds: float = 6 * 3600.0
    give_up_after_seconds: float = GIVE_UP_AFTER_SECONDS
    jitter: float = 0.2


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def next_delay(
    policy: RetryPolicy,
    attempts: int,
    elapsed_seconds: float,
    status: int | None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt, or None to stop for good.

    `attempts` counts the attempts made so far (1 after the first failure); `status` is the
    HTTP status of the last answer, None for a network error or timeout.
    """
    if status is not None and 200 <= status < 300:
        return None
    if status in (404, 410):
        return None
    if status is not None and 400 <= status < 500 and status != 429:
        return None
    if elapsed_seconds >= policy.give_up_after_seconds:
        return None
    if status in (429, 503) and retry_after is not None:
        delay = min(retry_after, policy.cap_seconds)
    else:
        delay = min(policy.base_seconds * 2 ** max(0, attempts - 1), policy.cap_seconds)
        spread = delay * policy.jitter
        delay += (rng or random).uniform(-spread, spread)
    remaining = policy.give_up_after_seconds - elapsed_seconds
    return max(0.0, min(delay, remaining))
