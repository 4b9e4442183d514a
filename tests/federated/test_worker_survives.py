"""No peer can stop the worker or hold it back (issue 8, items 1 and 3).

Whatever goes wrong with one activity is recorded on its row and counts an attempt; the
worker goes on with the others, and gives the activity up after its last attempt. Fetches
run concurrently across actors, and inbox processing runs beside delivery, not before it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.publish import follows
from server.publish.objects import create_local
from server.receive.processing import MAX_ATTEMPTS, process_inbox_batch
from server.store import inbox_log
from server.worker import serve
from tests.conftest import Instance
from tests.federated.test_follow import BREST, mastodon_follow
from tests.federated.test_objects import EVENT, INITIATIVE, followed_fake
from tests.network import FakeMastodon, Network

INBOX = "http://brest.example/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def serve_outbox(fake: FakeMastodon, outbox: dict[str, Any]) -> None:
    """The fake's own routes, plus an outbox serving `outbox`."""

    async def outbox_view(request: Request) -> Response:
        return JSONResponse(outbox, media_type="application/activity+json")

    route = Route(f"/users/{fake.username}/outbox", outbox_view)
    fake.network.add(fake.host, Starlette(routes=[route, *fake.app().routes]))


async def follow_and_accept(brest: Instance, fake: FakeMastodon) -> None:
    """Our territory follows `fake`, which accepts (signed) at once."""
    await follows.follow(brest.ctx, fake.actor_id)
    await brest.run_worker()
    [follow] = fake.of_type("Follow")
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fake.actor_id}#accepts/1",
        "type": "Accept",
        "actor": fake.actor_id,
        "object": follow,
    }
    assert (await fake.send(accept, INBOX)).status_code == 202


def announce(fake: FakeMastodon, n: int, object_iri: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fake.actor_id}/announces/{n}",
        "type": "Announce",
        "actor": fake.actor_id,
        "object": object_iri,
        "to": [PUBLIC],
    }


async def row_of(instance: Instance, activity_iri: str) -> Any:
    [row] = await instance.sql("SELECT * FROM inbox_log WHERE activity_iri = $1", activity_iri)
    return row


async def test_outbox_with_numeric_items_does_not_stop_the_worker(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="numbers.example", username="territoire")
    serve_outbox(fake, {"type": "OrderedCollection", "orderedItems": 5, "first": {
        "type": "OrderedCollectionPage", "orderedItems": 5}})
    await follow_and_accept(brest, fake)
    await brest.run_worker()  # raised TypeError in the backfill, leaving the Accept undone
    row = await row_of(brest, f"{fake.actor_id}#accepts/1")
    assert row["processed_at"] is not None
    assert "nothing to backfill" in row["result"]
    [state] = await brest.sql("SELECT state FROM follows WHERE followee_iri = $1", fake.actor_id)
    assert state["state"] == "accepted"


class BrokenFetcher:
    """A fetch layer with a bug: raises what no caller expects."""

    async def fetch(self, url: str) -> tuple[str, dict[str, Any]]:
        raise RuntimeError(f"unexpected failure fetching {url}")


async def test_an_activity_that_raises_is_recorded_retried_then_given_up(
    brest: Instance, network: Network
) -> None:
    announcer = FakeMastodon(network, host="group.example", username="groupe")
    await follow_and_accept(brest, announcer)
    await brest.run_worker()
    bad = announce(announcer, 1, "https://elsewhere.example/events/1")
    assert (await announcer.send(bad, INBOX)).status_code == 202
    follower = FakeMastodon(network, host="masto.example", username="ana")
    assert (await follower.send(mastodon_follow(follower, BREST), INBOX)).status_code == 202

    assert await process_inbox_batch(brest.ctx, fetcher=BrokenFetcher()) == 2
    row = await row_of(brest, bad["id"])
    assert row["processed_at"] is None and row["attempts"] == 1
    assert row["result"].startswith("failed (attempt 1 of 5): RuntimeError: unexpected")
    assert (await row_of(brest, mastodon_follow(follower, BREST)["id"]))["processed_at"]

    for _ in range(MAX_ATTEMPTS - 1):
        await brest.sql("UPDATE inbox_log SET locked_until = NULL")  # the lease ran out
        await process_inbox_batch(brest.ctx, fetcher=BrokenFetcher())
    row = await row_of(brest, bad["id"])
    assert row["processed_at"] is not None and row["attempts"] == MAX_ATTEMPTS
    assert row["result"].startswith("failed: given up after 5 attempts: RuntimeError")
    await brest.sql("UPDATE inbox_log SET locked_until = NULL")
    assert await process_inbox_batch(brest.ctx, fetcher=BrokenFetcher()) == 0
    conn = await brest.connect()
    try:
        failed = await inbox_log.failed_activities(conn)
    finally:
        await conn.close()
    assert [f["activity_iri"] for f in failed] == [bad["id"]]


async def test_an_activity_the_worker_died_on_at_every_claim_is_given_up(
    brest: Instance, network: Network
) -> None:
    """Attempts are counted at claim: a worker killed while applying an activity leaves
    it claimed and unfinished; after its last claim it ends, instead of killing every
    worker that picks it up, forever."""
    fake = FakeMastodon(network)
    follow = mastodon_follow(fake, BREST)
    assert (await fake.send(follow, INBOX)).status_code == 202
    await brest.sql(
        "UPDATE inbox_log SET attempts = $1, locked_until = now() - interval '1 second'",
        MAX_ATTEMPTS,
    )  # as left by the fifth worker that died on it
    await brest.run_worker()
    row = await row_of(brest, follow["id"])
    assert row["processed_at"] is not None
    assert row["result"].startswith(f"failed: given up after {MAX_ATTEMPTS} attempts")
    assert fake.of_type("Accept") == []


async def test_an_envelope_that_does_not_parse_is_final(brest: Instance) -> None:
    await brest.sql(
        "INSERT INTO inbox_log (activity_iri, actor_iri, type, raw) VALUES ($1, $2, $3, $4)",
        "https://old.example/1", "https://old.example/u", "Follow", {"type": "Follow"},
    )  # stored by an older version with laxer checks
    await brest.run_worker()
    row = await row_of(brest, "https://old.example/1")
    assert row["processed_at"] is not None and row["attempts"] == 1
    assert row["result"] == "failed: invalid activity: the activity has no id URL"


class Hanging:
    """A host whose every answer hangs until `release` is set, then is a 404."""

    def __init__(self, network: Network, host: str) -> None:
        self.release = asyncio.Event()
        self.waiting = 0

        async def hang(request: Request) -> Response:
            self.waiting += 1
            await self.release.wait()
            return Response(status_code=404)

        network.add(host, Starlette(routes=[Route("/{path:path}", hang)]))


async def wait_for(check: Any, seconds: float) -> float:
    """Poll `check` until true; the time it took, or fail after `seconds`."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < seconds, "timed out"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_announces_of_hanging_urls_do_not_delay_another_actors_create(
    brest: Instance, network: Network
) -> None:
    hanging = Hanging(network, "slow.example")
    announcer = FakeMastodon(network, host="group.example", username="groupe")
    author = FakeMastodon(network, host="demo.gancio.org", username="gancio")
    await follow_and_accept(brest, announcer)
    await follow_and_accept(brest, author)
    await brest.run_worker()
    for n in range(6):
        sent = announce(announcer, n, f"https://slow.example/events/{n}")
        assert (await announcer.send(sent, INBOX)).status_code == 202
    event = {
        "id": f"{author.actor_id}/events/1", "type": "Event", "attributedTo": author.actor_id,
        "name": "Atelier vélo", "startTime": "2026-12-05T14:00:00+01:00", "to": [PUBLIC],
    }
    create = {"id": f"{event['id']}#create", "type": "Create", "actor": author.actor_id,
              "object": event, "to": [PUBLIC]}
    assert (await author.send(create, INBOX)).status_code == 202

    worker = asyncio.create_task(brest.run_worker())
    try:
        async def stored() -> bool:
            return bool(await brest.sql("SELECT 1 FROM objects WHERE iri = $1", event["id"]))

        await wait_for(stored, 3.0)
        assert hanging.waiting >= 1  # the Announces' fetches are still hanging
    finally:
        hanging.release.set()
        await worker


async def test_inbox_processing_does_not_hold_back_delivery(
    brest: Instance, network: Network
) -> None:
    hanging = Hanging(network, "slow.example")
    follower = FakeMastodon(network, host="masto.example", username="ana")
    assert (await follower.send(mastodon_follow(follower, BREST), INBOX)).status_code == 202
    announcer = FakeMastodon(network, host="group.example", username="groupe")
    await follow_and_accept(brest, announcer)
    await brest.run_worker()
    stuck = announce(announcer, 1, "https://slow.example/events/1")
    assert (await announcer.send(stuck, INBOX)).status_code == 202

    stop = asyncio.Event()
    worker = asyncio.create_task(serve(brest.ctx, stop))
    try:
        async def inbox_stuck() -> bool:
            return hanging.waiting >= 1

        await wait_for(inbox_stuck, 3.0)
        await create_local(brest.ctx, "event", EVENT)

        async def delivered() -> bool:
            return bool(follower.of_type("Create"))

        await wait_for(delivered, 5.0)
    finally:
        stop.set()
        hanging.release.set()
        await worker


async def test_an_announce_whose_object_is_refused_is_given_up_at_once_not_retried(
    brest: Instance, marseille: Instance, network: Network
) -> None:
    """A fetch refused by our own rules (a blocked domain, a private address) fails the same
    way next time: the activity is done after one attempt (issue 8, item 5)."""
    fake = await followed_fake(brest, network, "circle.example", "cercle")
    real = await create_local(marseille.ctx, "initiative", INITIATIVE)
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('marseille.example')")
    brest.app.state.blocks.forget()
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fake.actor_id}/announce/9", "type": "Announce",
        "actor": fake.actor_id, "object": real["iri"], "to": [PUBLIC],
    }
    assert (await fake.send(activity, INBOX)).status_code == 202
    await brest.run_worker()
    row = await row_of(brest, activity["id"])
    assert row["processed_at"] is not None and row["attempts"] == 1
    assert "failed" not in row["result"]
    assert not [r for r in network.requests if r.url.host == "marseille.example"
                and r.url.path.startswith("/objects/")]
