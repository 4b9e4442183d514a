"""Durable delivery: retried with back-off, given up on gone inboxes, unavailable hosts
skipped until they answer, and several workers never deliver one row twice."""

from __future__ import annotations

import asyncio

from server.actors.territory import set_and_announce
from server.deliver.delivery import Deliverer, fan_out_batch
from server.store import actors as store
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
