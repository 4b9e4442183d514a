"""Territories follow each other, and Mastodon users follow territories, over signed HTTP."""

from __future__ import annotations

import copy
import json
from typing import Any

from server.actors.territory import set_and_announce
from server.publish import follows
from server.store import actors as store
from tests.conftest import Instance, load_fixture, with_territory
from tests.network import FakeMastodon, Network

AS2 = {"Accept": "application/activity+json"}
BREST = "http://brest.example/actors/brest"
MARSEILLE = "http://marseille.example/actors/marseille"


async def collection_items(instance: Instance, path: str) -> tuple[int, list[str]]:
    root = (await instance.client.get(path, headers=AS2)).json()
    items: list[str] = []
    url = root.get("first")
    while url:
        page = (await instance.client.get(url, headers=AS2)).json()
        items += page["orderedItems"]
        url = page.get("next")
    return root["totalItems"], items


async def settle(*instances: Instance) -> None:
    """Run every instance's worker until the whole network is quiet."""
    for _ in range(10):
        if not sum([await i.run_worker() for i in instances]):
            return


async def test_territories_follow_each_other_and_unfollow(
    brest: Instance, marseille: Instance
) -> None:
    await follows.follow(brest.ctx, "@marseille@marseille.example")
    [pending] = await brest.sql("SELECT state FROM follows WHERE followee_iri = $1", MARSEILLE)
    assert pending["state"] == "pending"
    await settle(brest, marseille)

    assert await collection_items(brest, "/actors/brest/following") == (1, [MARSEILLE])
    assert await collection_items(marseille, "/actors/marseille/followers") == (1, [BREST])
    assert (await collection_items(brest, "/actors/brest/followers"))[0] == 0

    await follows.follow(marseille.ctx, "http://brest.example/actors/brest")
    await settle(brest, marseille)
    assert await collection_items(brest, "/actors/brest/followers") == (1, [MARSEILLE])

    await follows.unfollow(brest.ctx, MARSEILLE)
    await settle(brest, marseille)
    assert (await collection_items(brest, "/actors/brest/following"))[0] == 0
    assert (await collection_items(marseille, "/actors/marseille/followers"))[0] == 0
    assert await collection_items(marseille, "/actors/marseille/following") == (1, [BREST])


async def test_manual_approval_queues_the_request_until_accepted(
    brest: Instance, marseille: Instance
) -> None:
    await with_territory(marseille, "marseille", manually_approves=True)
    doc = (await marseille.client.get("/actors/marseille", headers=AS2)).json()
    assert doc["manuallyApprovesFollowers"] is True

    await follows.follow(brest.ctx, "@marseille@marseille.example")
    await settle(brest, marseille)
    assert (await collection_items(marseille, "/actors/marseille/followers"))[0] == 0
    conn = await marseille.connect()
    try:
        lists = await follows.follow_lists(conn, MARSEILLE)
    finally:
        await conn.close()
    assert [r["follower_iri"] for r in lists.requests] == [BREST]
    [row] = await brest.sql("SELECT state FROM follows WHERE followee_iri = $1", MARSEILLE)
    assert row["state"] == "pending"

    await follows.answer_request(marseille.ctx, BREST, accept=True)
    await settle(brest, marseille)
    [row] = await brest.sql("SELECT state FROM follows WHERE followee_iri = $1", MARSEILLE)
    assert row["state"] == "accepted"
    assert await collection_items(marseille, "/actors/marseille/followers") == (1, [BREST])


async def test_reject_is_honoured(brest: Instance, marseille: Instance) -> None:
    await with_territory(marseille, "marseille", manually_approves=True)
    await follows.follow(brest.ctx, "@marseille@marseille.example")
    await settle(brest, marseille)
    await follows.answer_request(marseille.ctx, BREST, accept=False)
    await settle(brest, marseille)
    [row] = await brest.sql("SELECT state FROM follows WHERE followee_iri = $1", MARSEILLE)
    assert row["state"] == "rejected"
    assert (await collection_items(brest, "/actors/brest/following"))[0] == 0
    assert (await collection_items(marseille, "/actors/marseille/followers"))[0] == 0


def mastodon_follow(fake: FakeMastodon, target: str) -> dict[str, Any]:
    """The Follow Mastodon sends (captured), addressed to `target` from the fake's host."""
    follow = copy.deepcopy(load_fixture("mastodon/activities/follow.json"))
    follow["id"] = f"https://{fake.host}/1ea87517-63c5-4118-8831-460ee641b2cf"
    follow["actor"] = fake.actor_id
    follow["object"] = target
    return follow


async def test_mastodon_account_follows_and_receives_later_posts(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    follow = mastodon_follow(fake, BREST)
    response = await fake.send(follow, "http://brest.example/inbox")
    assert response.status_code == 202, response.text
    await brest.run_worker()

    [accept] = fake.of_type("Accept")
    assert accept["actor"] == BREST
    assert accept["object"]["id"] == follow["id"]
    assert await collection_items(brest, "/actors/brest/followers") == (1, [fake.actor_id])
    fetches = [r for r in network.requests if r.method == "GET" and r.url.host == fake.host]
    assert fetches and all("signature" in r.headers for r in fetches)

    conn = await brest.connect()
    try:
        await set_and_announce(
            conn, brest.settings, "brest", store.TerritoryFields(name="Brest métropole")
        )
    finally:
        await conn.close()
    await brest.run_worker()
    [update] = fake.of_type("Update")
    assert update["object"]["name"] == "Brest métropole"
    assert update["object"]["id"] == BREST
    posts = [r for r in network.requests if r.method == "POST" and r.url.host == fake.host]
    # The Update is for followers: the shared inbox. The Accept is for the follower alone: its
    # own inbox (ActivityPub 7.1.3; Fedify refuses it at a shared inbox).
    assert {json.loads(r.content)["type"]: str(r.url) for r in posts} == {
        "Accept": f"{fake.actor_id}/inbox",
        "Update": "https://masto.example/inbox",
    }

    undo = copy.deepcopy(load_fixture("mastodon/activities/undo_follow.json"))
    undo["id"] = f"{fake.actor_id}#follows/449/undo"
    undo["actor"] = fake.actor_id
    undo["object"] = {k: v for k, v in follow.items() if k != "@context"}
    assert (await fake.send(undo, "http://brest.example/actors/brest/inbox")).status_code == 202
    await brest.run_worker()
    assert (await collection_items(brest, "/actors/brest/followers"))[0] == 0


async def test_followers_on_one_server_share_one_delivery(
    brest: Instance, network: Network
) -> None:
    accounts = [FakeMastodon(network, username=name) for name in ("ana", "bob", "cyd")]
    network.add("masto.example", _multi_account_app(accounts))
    for fake in accounts:
        follow = mastodon_follow(fake, BREST)
        follow["id"] += fake.username
        assert (await fake.send(follow, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    assert (await collection_items(brest, "/actors/brest/followers"))[0] == 3
    before = len(accounts[0].received)
    conn = await brest.connect()
    try:
        await set_and_announce(conn, brest.settings, "brest", store.TerritoryFields(name="B"))
    finally:
        await conn.close()
    await brest.run_worker()
    updates = [a for a in accounts[0].received[before:] if a["type"] == "Update"]
    assert len(updates) == 1
    [row] = await brest.sql(
        "SELECT count(*) AS n FROM deliveries d JOIN activities a ON a.id = d.activity_id"
        " WHERE a.type = 'Update'"
    )
    assert row["n"] == 1


def _multi_account_app(accounts: list[FakeMastodon]) -> Any:
    """One Mastodon host serving several accounts; inbox POSTs land in the first's list."""
    from starlette.applications import Starlette

    routes = []
    for fake in accounts:
        app = fake.app()
        routes += [r for r in app.routes if getattr(r, "path", "").startswith("/users/")]
    routes += [r for r in accounts[0].app().routes if getattr(r, "path", "") == "/inbox"]
    return Starlette(routes=routes)
