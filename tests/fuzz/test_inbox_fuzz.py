"""A bounded fuzz of the inbox: what a hostile or broken peer sends never gets a 5xx, never
stops the worker, and nothing the inbox accepted is lost.

Payloads are real ones from tests/fixtures (Mastodon, Mobilizon, Gancio, Lemmy, Friendica),
mutated, plus random activities (tests/fuzz/payloads.py). Every one is signed with the real
key of a known remote actor (a FakeMastodon served on the test network), POSTed through the
real app, and followed by a worker run. Hypothesis runs in a thread of its own and hands each
case to the test's event loop, where the instance lives.

Bounded: `MAILLAGE_FUZZ_EXAMPLES` cases (150 by default), derandomised so the suite is
repeatable; set `MAILLAGE_FUZZ_RANDOM=1` to explore other cases.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.httpsig import HttpSignatureAuth
from server.publish import follows
from tests.conftest import Instance
from tests.federated.test_follow import BREST, mastodon_follow
from tests.fuzz.payloads import Json, cases, damages, encode, unique
from tests.network import FakeMastodon, Network

INBOXES = ("http://brest.example/inbox", "http://brest.example/actors/brest/inbox")
EXAMPLES = int(os.environ.get("MAILLAGE_FUZZ_EXAMPLES", "150"))
RANDOM = os.environ.get("MAILLAGE_FUZZ_RANDOM") == "1"


@dataclass
class Tally:
    """What the run saw, for the final checks and the failure message."""

    statuses: dict[int, int] = field(default_factory=dict)
    accepted: set[str] = field(default_factory=set)
    serial: itertools.count[int] = field(default_factory=itertools.count)

    def saw(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def post_signed(
    network: Network, fake: FakeMastodon, inbox: str, body: bytes
) -> httpx.Response:
    async with network.client() as client:
        return await client.post(
            inbox,
            content=body,
            headers={"Content-Type": "application/activity+json"},
            auth=HttpSignatureAuth(fake.key_id, fake.key),
        )


async def one_case(
    brest: Instance, network: Network, fake: FakeMastodon, tally: Tally, case: dict[str, Any]
) -> None:
    activity, served = case["sent"]
    fake.documents = served
    doc: Json = unique(activity, fake.actor_id, next(tally.serial))
    body = case["damage"](encode(doc))
    response = await post_signed(network, fake, case["inbox"], body)
    tally.saw(response.status_code)
    assert response.status_code < 500, f"{response.status_code} {response.text[:300]}\n{body!r}"
    if response.status_code == 202 and isinstance(doc, dict) and isinstance(doc.get("id"), str):
        tally.accepted.add(doc["id"])
    try:
        await brest.run_worker()
    except Exception as exc:  # the worker process would have stopped here
        raise AssertionError(f"worker stopped after {body!r:.600}, served {served!r:.600}") from exc


async def test_fuzzed_signed_payloads_get_no_5xx_and_the_worker_goes_on(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    await follows.follow(brest.ctx, f"@{fake.username}@{fake.host}")
    await brest.run_worker()
    [our_follow] = fake.of_type("Follow")  # accepting it makes us backfill the fake's outbox
    tally = Tally()
    loop = asyncio.get_running_loop()

    def on_loop(coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    everything = st.fixed_dictionaries(
        {
            "sent": cases(fake.actor_id, our_follow["id"]),
            "damage": damages,
            "inbox": st.sampled_from(INBOXES),
        }
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=everything)
    def fuzz(case: dict[str, Any]) -> None:
        on_loop(one_case(brest, network, fake, tally, case))

    run: Callable[[], None] = fuzz
    await asyncio.to_thread(run)

    assert sum(tally.statuses.values()) >= EXAMPLES
    assert tally.statuses.get(202, 0) > EXAMPLES // 10, tally.statuses  # enough reach the worker

    # nothing accepted was lost: every 202 is in the log and was handled by the worker
    rows = await brest.sql(
        "SELECT activity_iri, processed_at, attempts FROM inbox_log"
        " WHERE activity_iri = ANY($1::text[])",
        sorted(tally.accepted),
    )
    assert {row["activity_iri"] for row in rows} == tally.accepted
    assert all(row["processed_at"] is not None or row["attempts"] > 0 for row in rows)

    # the worker met the hostile documents too: objects fetched by reference, outboxes
    fetched = [r.url.path for r in network.requests if r.method == "GET"]
    assert any("/fuzz/objects/" in path for path in fetched), len(fetched)
    assert any(path.endswith("/outbox") for path in fetched), len(fetched)

    # and the worker is alive: a genuine Follow is still answered
    follow = {**mastodon_follow(fake, BREST), "id": f"{fake.actor_id}#canary-follow"}
    assert (await fake.send(follow, INBOXES[0])).status_code == 202
    await brest.run_worker()
    assert follow["id"] in [accept["object"]["id"] for accept in fake.of_type("Accept")]
