"""Pure decisions: retry policy, fan-out (inbox handlers: test_handlers.py). No I/O."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from federation.delivery.fanout import Recipient, delivery_inboxes
from federation.delivery.retry import RetryPolicy, next_delay, parse_retry_after

POLICY = RetryPolicy(base_seconds=60, cap_seconds=6 * 3600, give_up_after_seconds=48 * 3600)
RNG = random.Random(7)


def test_gone_and_client_errors_stop() -> None:
    for status in (400, 401, 403, 404, 410, 422):
        assert next_delay(POLICY, 1, 0, status) is None


def test_server_and_network_errors_back_off_exponentially_with_a_cap() -> None:
    delays = [next_delay(POLICY, n, 0, 502, rng=random.Random(1)) for n in range(1, 12)]
    assert all(d is not None for d in delays)
    assert 48 <= delays[0] <= 72  # 60 s ± 20 %
    assert delays[3] > delays[2] > delays[1] > delays[0]
    assert max(d for d in delays if d is not None) <= 6 * 3600 * 1.2
    assert next_delay(POLICY, 3, 0, None, rng=RNG) is not None


def test_about_two_days_then_give_up() -> None:
    assert next_delay(POLICY, 20, 47 * 3600, 503, rng=RNG) is not None
    assert next_delay(POLICY, 20, 48 * 3600, 503, rng=RNG) is None
    near_end = next_delay(POLICY, 20, 48 * 3600 - 10, 503, rng=RNG)
    assert near_end is not None and near_end <= 10


def test_retry_after_is_honoured_for_429_and_503() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert next_delay(POLICY, 1, 0, 429, retry_after=120) == 120
    assert next_delay(POLICY, 1, 0, 503, retry_after=7200) == 7200
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Wed, 25 Nov 2026 12:05:00 GMT", now) == 300
    assert parse_retry_after("soon", now) is None


def test_followers_on_one_server_collapse_into_its_shared_inbox() -> None:
    recipients = [
        Recipient(
            f"https://m{i % 3}.example/users/u{i}",
            f"https://m{i % 3}.example/users/u{i}/inbox",
            f"https://m{i % 3}.example/inbox",
        )
        for i in range(30)
    ] + [
        Recipient("https://solo.example/u", "https://solo.example/u/inbox", None),
        Recipient("https://brest.example/actors/x", "https://brest.example/inbox", None),
    ]
    inboxes = delivery_inboxes(recipients, exclude_host="brest.example")
    assert sorted(inboxes) == [
        "https://m0.example/inbox",
        "https://m1.example/inbox",
        "https://m2.example/inbox",
        "https://solo.example/u/inbox",
    ]
