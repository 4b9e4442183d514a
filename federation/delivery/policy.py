"""What one delivery attempt's outcome means: a pure decision the deliverer carries out.

Everything the deliverer used to decide inline lives here: a 2xx is done; a host we signed
to with RFC 9421 that answers 401/403 gets the cavage signature instead, retried at once; a
refused address (private, or on a blocked domain) is final; otherwise the retry policy says
when to try again or to give up; and only network errors and 5xx count against the host
(after `GIVE_UP_AFTER_SECONDS` of those, the host is marked unavailable).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from federation.delivery.retry import RetryPolicy, next_delay


class Refusal(Enum):
    """Why we did not even connect."""

    ADDRESS = "address"
    """The inbox is or resolves to a non-public address: final, as for fetches."""
    BLOCKED = "blocked"
    """The inbox is on a domain blocked since the fan-out: skipped, like at fan-out."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one POST."""

    status: int | None
    """HTTP status, None when no answer came (network error, timeout, refusal)."""
    error: str | None = None
    """None on success; else what to keep in `last_error`."""
    retry_after: float | None = None
    """Seconds from the answer's `Retry-After`, when it had a usable one."""
    refused: Refusal | None = None


@dataclass(frozen=True)
class Attempt:
    """What the delivery row says about the attempt just made."""

    attempts: int
    """Attempts so far, this one included."""
    elapsed_seconds: float
    """Since the delivery was created."""
    signed_rfc9421: bool
    """We signed this attempt with RFC 9421 (the host had signed to us that way)."""


class Action(Enum):
    DONE = "done"
    RETRY = "retry"
    FAIL = "failed"
    SKIP = "skipped"


@dataclass(frozen=True)
class Decision:
    action: Action
    delay: float = 0.0
    """Seconds until the next attempt, for RETRY."""
    fall_back_to_cavage: bool = False
    """Remember that the host refuses RFC 9421 signatures (the retry signs cavage)."""
    host_answered: bool = False
    """The host took the delivery: clear its failures."""
    host_failing: bool = False
    """Count the failure against the host (it may become unavailable)."""


def is_transient(outcome: Outcome) -> bool:
    """Network errors and 5xx may pass; a 4xx or a refusal will not by waiting."""
    if outcome.refused is not None:
        return False
    return outcome.status is None or outcome.status >= 500


def decide(
    policy: RetryPolicy,
    attempt: Attempt,
    outcome: Outcome,
    rng: random.Random | None = None,
) -> Decision:
    if outcome.error is None:
        return Decision(Action.DONE, host_answered=True)
    if outcome.refused is Refusal.BLOCKED:
        return Decision(Action.SKIP)
    if outcome.refused is Refusal.ADDRESS:
        return Decision(Action.FAIL)
    if outcome.status in (401, 403) and attempt.signed_rfc9421:
        # It signed to us with RFC 9421 but refuses ours: fall back to cavage, at once.
        return Decision(Action.RETRY, 0.0, fall_back_to_cavage=True)
    delay = next_delay(
        policy, attempt.attempts, attempt.elapsed_seconds, outcome.status,
        outcome.retry_after, rng,
    )
    failing = is_transient(outcome)
    if delay is None:
        return Decision(Action.FAIL, host_failing=failing)
    return Decision(Action.RETRY, delay, host_failing=failing)
