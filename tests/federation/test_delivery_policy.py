"""Delivery decisions, pure: what an answer means, and who gets which inbox."""

from __future__ import annotations

import random

from federation.delivery.fanout import Recipient, plan_deliveries
from federation.delivery.policy import (
    Action,
    Attempt,
    Decision,
    Outcome,
    Refusal,
    decide,
    is_transient,
)
from federation.delivery.retry import GIVE_UP_AFTER_SECONDS, RetryPolicy

POLICY = RetryPolicy(base_seconds=60)
FIRST = Attempt(attempts=1, elapsed_seconds=0, signed_rfc9421=False)
RNG = random.Random(3)


def test_a_2xx_is_done_and_clears_the_host() -> None:
    assert decide(POLICY, FIRST, Outcome(202)) == Decision(Action.DONE, host_answered=True)


def test_a_refused_private_address_is_final_and_not_the_hosts_fault() -> None:
    refused = Outcome(None, "refused: 127.0.0.1", refused=Refusal.ADDRESS)
    assert decide(POLICY, FIRST, refused) == Decision(Action.FAIL)
    assert not is_transient(refused)


def test_a_domain_blocked_since_fan_out_is_skipped() -> None:
    blocked = Outcome(None, "blocked domain", refused=Refusal.BLOCKED)
    assert decide(POLICY, FIRST, blocked) == Decision(Action.SKIP)


def test_rfc9421_refused_falls_back_to_cavage_at_once() -> None:
    signed = Attempt(attempts=1, elapsed_seconds=0, signed_rfc9421=True)
    for status in (401, 403):
        assert decide(POLICY, signed, Outcome(status, "no")) == Decision(
            Action.RETRY, 0.0, fall_back_to_cavage=True
        )
    # Signed cavage already: a 401 is an ordinary client error, given up.
    assert decide(POLICY, FIRST, Outcome(401, "no")) == Decision(Action.FAIL)


def test_server_and_network_errors_retry_and_count_against_the_host() -> None:
    for outcome in (Outcome(503, "busy"), Outcome(None, "ConnectError")):
        decision = decide(POLICY, FIRST, outcome, RNG)
        assert decision.action is Action.RETRY and decision.host_failing
        assert 48 <= decision.delay <= 72


def test_gone_inbox_fails_without_marking_the_host() -> None:
    assert decide(POLICY, FIRST, Outcome(410, "gone")) == Decision(Action.FAIL)


def test_after_two_days_a_transient_failure_is_given_up_but_still_counts() -> None:
    late = Attempt(attempts=30, elapsed_seconds=GIVE_UP_AFTER_SECONDS, signed_rfc9421=False)
    assert decide(POLICY, late, Outcome(502, "bad gateway")) == Decision(
        Action.FAIL, host_failing=True
    )


def test_one_two_day_constant_gives_up_deliveries_and_marks_hosts() -> None:
    assert RetryPolicy().give_up_after_seconds == GIVE_UP_AFTER_SECONDS == 48 * 3600


def _actor(host: str, name: str) -> Recipient:
    return Recipient(
        f"https://{host}/users/{name}", f"https://{host}/users/{name}/inbox",
        f"https://{host}/inbox",
    )


def test_an_activity_for_one_actor_goes_to_its_own_inbox_not_the_shared_one() -> None:
    targets = plan_deliveries(
        [], [_actor("fedify.example", "a")], public=False, exclude_host="brest.example",
        blocked=frozenset(),
    )
    assert [t.inbox for t in targets] == ["https://fedify.example/users/a/inbox"]


def test_followers_and_public_activities_use_shared_inboxes() -> None:
    followers = [_actor("m.example", "a"), _actor("m.example", "b")]
    targets = plan_deliveries(
        followers, [_actor("n.example", "c")], public=True, exclude_host="brest.example",
        blocked=frozenset(),
    )
    assert [t.inbox for t in targets] == ["https://m.example/inbox", "https://n.example/inbox"]


def test_inboxes_on_blocked_domains_are_planned_as_skipped() -> None:
    followers = [_actor("social.spam.example.", "a"), _actor("ok.example", "b")]
    targets = plan_deliveries(
        followers, [], public=True, exclude_host="brest.example",
        blocked=frozenset({"spam.example"}),
    )
    assert [(t.host, t.blocked) for t in targets] == [
        ("social.spam.example", True), ("ok.example", False),
    ]


def test_nothing_is_planned_for_our_own_host_port_included() -> None:
    local = Recipient("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/inbox", None)
    other = Recipient("http://127.0.0.1:8001/a", "http://127.0.0.1:8001/inbox", None)
    targets = plan_deliveries(
        [local, other], [], public=True, exclude_host="127.0.0.1:8000", blocked=frozenset()
    )
    assert [t.inbox for t in targets] == ["http://127.0.0.1:8001/inbox"]
