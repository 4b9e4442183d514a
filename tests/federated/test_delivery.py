"""Durable delivery: retried with back-off, given up on gone inboxes, unavailable hosts
skipped until they answer, and several workers never deliver one row twice."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from server.actors.territory import set_and_announce
from server.context import Context, new_http_client
from server.deliver.deliverer import Deliverer
from server.deliver.fanout import fan_out_batch
from server.deliver.poster import AiohttpPoster
from server.publish import follows
from server.store import actors as store
from server.worker import serve
from tests.conftest import Instance
from tests.federated.test_follow import BREST, mastodon_follow
from tests.network import FakeMastodon, Network

INBOX = "http://brest.example/inbox"


async def followed_by(brest: Instance, fake: FakeMastodon) -> None:
    assert (await fake.send(mastodon_follow(fake, BREST), INBOX)).status_code == 202
    await brest.run_worker()


async def announce(brest: Instance, name: str) -> None:
    conn = await brest.connect()
    try:
        await set_and_announce(conn, brest.settings, "brest", store.TerritoryFields(name=name))
    finally:
        await conn.close()


async def update_delivery(brest: Instance) -> dict[str, object]:
    [row] = await brest.sql(
        "SELECT d.* FROM deliveries d JOIN activities a ON a.id = d.activity_id"
        " WHERE a.type = 'Update'"
    )
    return dict(row)


async def make_due(brest: Instance) -> None:
    await brest.sql("UPDATE deliveries SET next_attempt_at = now() WHERE state = 'pending'")


async def test_server_error_is_retried_with_back_off_then_delivered(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    fake.refuse_status = 503
    await announce(brest, "Brest 2")
    await brest.run_worker()
    first = await update_delivery(brest)
    assert first["state"] == "pending" and first["attempts"] == 1
    assert first["last_status"] == 503
    assert first["next_attempt_at"] > first["created_at"]
    await make_due(brest)
    await brest.run_worker()
    second = await update_delivery(brest)
    assert second["attempts"] == 2
    assert second["next_attempt_at"] - second["created_at"] > (
        first["next_attempt_at"] - first["created_at"]
    )
    fake.refuse_status = None
    await make_due(brest)
    await brest.run_worker()
    assert (await update_delivery(brest))["state"] == "done"
    assert [a["object"]["name"] for a in fake.of_type("Update")] == ["Brest 2"]


async def test_gone_inbox_is_not_retried(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    fake.refuse_status = 410
    await announce(brest, "Brest 2")
    await brest.run_worker()
    delivery = await update_delivery(brest)
    assert delivery["state"] == "failed" and delivery["last_status"] == 410


async def test_network_error_is_retried(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    network.down.add(fake.host)
    await announce(brest, "Brest 2")
    await brest.run_worker()
    delivery = await update_delivery(brest)
    assert delivery["state"] == "pending" and delivery["last_status"] is None
    assert "ConnectError" in str(delivery["last_error"])
    [host] = await brest.sql("SELECT * FROM hosts WHERE host = $1", fake.host)
    assert host["failing_since"] is not None and not host["unavailable"]


async def test_host_failing_for_days_is_skipped_until_it_answers(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    network.down.add(fake.host)
    await announce(brest, "Brest 2")
    await brest.run_worker()
    await brest.sql("UPDATE hosts SET failing_since = now() - interval '3 days'")
    await make_due(brest)
    await brest.run_worker()
    [host] = await brest.sql("SELECT unavailable FROM hosts WHERE host = $1", fake.host)
    assert host["unavailable"]
    assert (await update_delivery(brest))["state"] == "skipped"

    await announce(brest, "Brest 3")  # new activity: not even attempted
    await brest.run_worker()
    rows = await brest.sql("SELECT state FROM deliveries WHERE host = $1 ORDER BY id", fake.host)
    assert [r["state"] for r in rows][-1] == "skipped"
    posts = [r for r in network.requests if r.method == "POST" and r.url.host == fake.host]

    network.down.discard(fake.host)
    second = mastodon_follow(fake, BREST)
    second["id"] += "-back"
    assert (await fake.send(second, INBOX)).status_code == 202  # it answers again
    [host] = await brest.sql("SELECT unavailable FROM hosts WHERE host = $1", fake.host)
    assert not host["unavailable"]
    await announce(brest, "Brest 4")
    await brest.run_worker()
    assert [a["object"]["name"] for a in fake.of_type("Update")] == ["Brest 4"]
    later = [r for r in network.requests if r.method == "POST" and r.url.host == fake.host]
    assert len(later) > len(posts)


async def test_concurrent_workers_deliver_each_row_once(brest: Instance, network: Network) -> None:
    fakes = [FakeMastodon(network, host=f"m{i}.example") for i in range(12)]
    for fake in fakes:
        await followed_by(brest, fake)
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    workers = [Deliverer(brest.ctx) for _ in range(3)]
    await asyncio.gather(*(w.run_batch(limit=5) for w in workers))
    await brest.run_worker()
    assert all(len(f.of_type("Update")) == 1 for f in fakes)
    rows = await brest.sql(
        "SELECT state, attempts FROM deliveries d JOIN activities a"
        " ON a.id = d.activity_id WHERE a.type = 'Update'"
    )
    assert len(rows) == 12 and {(r["state"], r["attempts"]) for r in rows} == {("done", 1)}


async def test_nothing_is_sent_to_a_blocked_domain(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network, host="social.spam.example")
    await followed_by(brest, fake)
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('spam.example')")
    await announce(brest, "Brest 2")
    await brest.run_worker()
    assert (await update_delivery(brest))["state"] == "skipped"
    assert fake.of_type("Update") == []


# --- a refused address is refused before connecting, and for good ------------------------


@pytest.fixture
async def local_service() -> AsyncIterator[tuple[int, list[object]]]:
    """A TCP service on 127.0.0.1 standing for something private: its port, and who
    connected to it."""
    accepted: list[object] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer.get_extra_info("peername"))
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], accepted


async def test_a_follower_inbox_resolving_to_loopback_is_refused_for_good_without_a_connection(
    brest: Instance, network: Network, local_service: tuple[int, list[object]]
) -> None:
    port, accepted = local_service
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    inbox = f"https://localhost:{port}/inbox"  # the follower's host now resolves to loopback
    await brest.sql(
        "UPDATE actors SET inbox = $1, shared_inbox = NULL WHERE iri = $2", inbox, fake.actor_id
    )
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    production = Context(
        dataclasses.replace(brest.settings, dev=False), brest.ctx.pool, new_http_client()
    )
    try:
        assert await Deliverer(production).run_batch() == 1
        assert await Deliverer(production).run_batch() == 0  # not retried
    finally:
        await production.http.aclose()
    assert accepted == []
    delivery = await update_delivery(brest)
    assert delivery["state"] == "failed" and delivery["attempts"] == 1
    assert "refused" in str(delivery["last_error"])
    assert await brest.sql("SELECT * FROM hosts WHERE failing_since IS NOT NULL") == []


# --- outcomes are recorded as they come ---------------------------------------------------


def hanging_inbox(release: asyncio.Event) -> Callable[..., Awaitable[None]]:
    """An ASGI app whose every request waits until `release` is set: a slow host."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await release.wait()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


async def test_a_delivery_answered_202_is_recorded_before_the_batch_ends(
    brest: Instance, network: Network
) -> None:
    fast = FakeMastodon(network, host="fast.example")
    slow = FakeMastodon(network, host="slow.example")
    await followed_by(brest, fast)
    await followed_by(brest, slow)
    release = asyncio.Event()
    network.add(slow.host, hanging_inbox(release))
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    batch = asyncio.create_task(Deliverer(brest.ctx).run_batch())
    states: dict[str, str] = {}
    for _ in range(300):
        await asyncio.sleep(0.01)
        rows = await brest.sql(
            "SELECT d.host, d.state FROM deliveries d JOIN activities a ON a.id = d.activity_id"
            " WHERE a.type = 'Update'"
        )
        states = {r["host"]: r["state"] for r in rows}
        if states.get(fast.host) == "done":
            break
    batch.cancel()  # the worker dies while the slow host still holds its request
    await asyncio.gather(batch, return_exceptions=True)
    assert states == {fast.host: "done", slow.host: "pending"}

    # Restarted once the lease ran out, it sends only what was not answered.
    await brest.sql("UPDATE deliveries SET locked_until = now() - interval '1 second'")
    network.add(slow.host, slow.app())
    await brest.run_worker()
    assert len(fast.of_type("Update")) == 1 and len(slow.of_type("Update")) == 1


# --- an activity for one actor goes to that actor's own inbox ----------------------------


async def test_follow_and_undo_go_to_the_followed_actors_own_inbox(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="fedify.example")
    await follows.follow(brest.ctx, fake.actor_id)
    await brest.run_worker()
    await follows.unfollow(brest.ctx, fake.actor_id)
    await brest.run_worker()
    posts = [r for r in network.requests if r.method == "POST" and r.url.host == fake.host]
    assert [(json.loads(r.content)["type"], str(r.url)) for r in posts] == [
        ("Follow", f"{fake.actor_id}/inbox"),
        ("Undo", f"{fake.actor_id}/inbox"),
    ]


# --- one delivery may carry its own body ---------------------------------------------------


async def test_a_delivery_with_its_own_body_sends_that_body_and_others_the_activity(
    brest: Instance, network: Network
) -> None:
    plain = FakeMastodon(network, host="plain.example")
    shaped = FakeMastodon(network, host="shaped.example")
    await followed_by(brest, plain)
    await followed_by(brest, shaped)
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    rows = await brest.sql("SELECT host, body FROM deliveries WHERE state = 'pending'")
    assert {r["host"]: r["body"] for r in rows} == {plain.host: None, shaped.host: None}
    [raw] = [r["raw"] for r in await brest.sql("SELECT raw FROM activities WHERE type = 'Update'")]
    other_shape = dict(raw, summary="Pour ce pair seulement")
    await brest.sql("UPDATE deliveries SET body = $1 WHERE host = $2", other_shape, shaped.host)
    await brest.run_worker()
    [sent_plain] = plain.of_type("Update")
    [sent_shaped] = shaped.of_type("Update")
    assert sent_plain == raw and "summary" not in sent_plain
    assert sent_shaped == other_shape


async def delivery_states(brest: Instance) -> dict[str, str]:
    rows = await brest.sql(
        "SELECT d.host, d.state FROM deliveries d JOIN activities a ON a.id = d.activity_id"
        " WHERE a.type = 'Update'"
    )
    return {r["host"]: r["state"] for r in rows}


async def test_a_rolling_pool_does_not_wait_for_the_slowest_host_of_a_batch(
    brest: Instance, network: Network
) -> None:
    slow = FakeMastodon(network, host="slow.example")
    quick = [FakeMastodon(network, host=f"q{i}.example") for i in range(3)]
    for fake in [slow, *quick]:
        await followed_by(brest, fake)
    release = asyncio.Event()
    network.add(slow.host, hanging_inbox(release))
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    deliverer = Deliverer(brest.ctx, concurrency=2)  # the slow host keeps one slot busy
    states: dict[str, str] = {}
    for _ in range(300):
        await deliverer.top_up()
        await asyncio.sleep(0.01)
        states = await delivery_states(brest)
        if all(states[f.host] == "done" for f in quick):
            break
    assert states == {slow.host: "pending", **{f.host: "done" for f in quick}}
    release.set()
    await deliverer.settle()
    assert (await delivery_states(brest))[slow.host] == "done"


async def test_closing_the_deliverer_leaves_unanswered_deliveries_to_be_sent_again(
    brest: Instance, network: Network
) -> None:
    slow = FakeMastodon(network, host="slow.example")
    await followed_by(brest, slow)
    network.add(slow.host, hanging_inbox(asyncio.Event()))
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    deliverer = Deliverer(brest.ctx)
    assert await deliverer.top_up() == 1
    await asyncio.sleep(0.05)
    await deliverer.close()
    assert (await delivery_states(brest))[slow.host] == "pending"
    await brest.sql("UPDATE deliveries SET locked_until = now() - interval '1 second'")
    network.add(slow.host, slow.app())
    await brest.run_worker()
    assert len(slow.of_type("Update")) == 1


async def test_the_worker_delivers_the_next_activity_while_a_host_still_hangs_on_the_last(
    brest: Instance, network: Network
) -> None:
    """The worker's delivery loop is the rolling pool: a batch's slowest host holds its own
    slot, not the next deliveries to everyone else (issue 11)."""
    slow = FakeMastodon(network, host="slow.example")
    quick = FakeMastodon(network, host="quick.example")
    for fake in (slow, quick):
        await followed_by(brest, fake)
    release = asyncio.Event()
    network.add(slow.host, hanging_inbox(release))
    stop = asyncio.Event()
    worker = asyncio.create_task(serve(brest.ctx, stop))
    try:
        await announce(brest, "Brest 2")
        for _ in range(300):
            await asyncio.sleep(0.02)
            if len(quick.of_type("Update")) == 1:
                break
        await announce(brest, "Brest 3")
        for _ in range(300):
            await asyncio.sleep(0.02)
            if len(quick.of_type("Update")) == 2:
                break
        assert [u["object"]["name"] for u in quick.of_type("Update")] == ["Brest 2", "Brest 3"]
        assert not release.is_set() and slow.of_type("Update") == []
    finally:
        release.set()
        stop.set()
        await worker


async def test_the_workers_aiohttp_poster_refuses_a_loopback_inbox_for_good_too(
    brest: Instance, network: Network, local_service: tuple[int, list[object]]
) -> None:
    port, accepted = local_service
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    await brest.sql(
        "UPDATE actors SET inbox = $1, shared_inbox = NULL WHERE iri = $2",
        f"https://localhost:{port}/inbox", fake.actor_id,
    )
    await announce(brest, "Brest 2")
    await fan_out_batch(brest.ctx)
    production = Context(
        dataclasses.replace(brest.settings, dev=False), brest.ctx.pool, brest.ctx.http,
        poster=AiohttpPoster(allow_private=False),
    )
    try:
        assert await Deliverer(production).run_batch() == 1
        assert await Deliverer(production).run_batch() == 0  # not retried
    finally:
        assert production.poster is not None
        await production.poster.aclose()
    assert accepted == []
    delivery = await update_delivery(brest)
    assert delivery["state"] == "failed" and delivery["attempts"] == 1
    assert "refused" in str(delivery["last_error"])
