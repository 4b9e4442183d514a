"""A circle re-shares what the territories it follows publish (FEP-1b12): a Mastodon account
following the circle sees Brest's event and its cancellation, and a territory that gets an
event both from Brest and through the circle keeps it once, showing the circle as the "via"."""

from __future__ import annotations

from typing import Any

from federation.fetch import FetchPolicy, fetch_json
from server.demo.watch import parse_item_page
from server.publish import follows
from server.publish.objects import create_local, update_local
from tests.conftest import Instance, with_territory
from tests.federated.test_follow import mastodon_follow, settle
from tests.network import FakeMastodon, Network

CIRCLE = "http://cercle.example/actors/cercle"
KEPT = """
SELECT o.title, o.actor_iri, v.via_iri FROM objects o LEFT JOIN object_via v ON v.object_iri = o.iri
WHERE o.iri = $1
"""
BREST = "http://brest.example/actors/brest"
EVENT = {
    "title": "Gratiferia de Saint-Martin",
    "summary": "Un marché où tout est gratuit.",
    "start": "2026-12-12T14:00", "end": "2026-12-12T17:30",
    "themes": ["economie-sociale-solidaire"],
    "place": {"name": "Place Guérin", "latitude": 48.3962, "longitude": -4.4878},
}


async def relaying_circle(make_instance: Any) -> Instance:
    return await with_territory(
        await make_instance("cercle.example"), "cercle", "Cercle des territoires contributifs",
        relays=True,
    )


async def from_origin(network: Network, iri: str) -> dict[str, Any]:
    """What a Mastodon server does with a boosted id: fetch the object where it lives."""
    async with network.client() as client:
        url, document = await fetch_json(client, iri, FetchPolicy(allow_private=True,
                                                                  allow_http=True))
    assert url == iri
    return document


async def test_mastodon_follower_of_the_circle_sees_a_brest_event_then_its_cancellation(
    brest: Instance, make_instance: Any, network: Network
) -> None:
    circle = await relaying_circle(make_instance)
    await follows.follow(circle.ctx, "@brest@brest.example")
    await settle(brest, circle)
    fake = FakeMastodon(network)
    sent = await fake.send(mastodon_follow(fake, CIRCLE), "http://cercle.example/inbox")
    assert sent.status_code == 202, sent.text
    await settle(circle)
    assert len(fake.of_type("Accept")) == 1

    row = await create_local(brest.ctx, "event", EVENT)
    await settle(brest, circle)
    [boost] = fake.of_type("Announce")  # signature checked by the fake's inbox
    assert (boost["actor"], boost["object"]) == (CIRCLE, row["iri"])
    assert boost["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    seen = await from_origin(network, boost["object"])
    assert seen["attributedTo"] == BREST and seen["name"] == EVENT["title"]
    assert seen["ical:status"] == "CONFIRMED"

    await update_local(brest.ctx, row["id"], {**EVENT, "status": "cancelled"})
    await settle(brest, circle)
    first, second = fake.of_type("Announce")
    assert second["object"] == row["iri"] and second["id"] != first["id"]
    seen = await from_origin(network, second["object"])
    assert seen["ical:status"] == "CANCELLED"
    assert fake.of_type("Create") == []  # Mastodon drops an Announce{Create}: never sent it


async def test_event_from_brest_and_through_the_circle_is_kept_once_with_the_circle_as_via(
    brest: Instance, make_instance: Any, network: Network
) -> None:
    circle = await relaying_circle(make_instance)
    rennes = await with_territory(await make_instance("rennes.example"), "rennes", "Rennes")
    await follows.follow(circle.ctx, "@brest@brest.example")
    await follows.follow(rennes.ctx, "@cercle@cercle.example")
    await settle(brest, circle, rennes)

    row = await create_local(brest.ctx, "event", EVENT)
    await settle(brest, circle, rennes)
    [announce] = await rennes.sql(
        "SELECT raw FROM inbox_log WHERE raw->>'type' = 'Announce'"
    )
    assert announce["raw"]["actor"] == CIRCLE
    assert announce["raw"]["object"]["type"] == "Create"  # FEP-1b12: the activity, as sent
    assert announce["raw"]["object"]["actor"] == BREST
    [kept] = await rennes.sql(KEPT, row["iri"])
    assert (kept["actor_iri"], kept["via_iri"]) == (BREST, CIRCLE)
    [listed] = await rennes.sql("SELECT id FROM objects")
    page = (await rennes.client.get(f"/items/{listed['id']}",
                                    headers={"Accept": "text/html"})).text
    shown = parse_item_page(listed["id"], page)  # Rennes never followed Brest: its name too
    assert shown is not None and shown.author_url == "http://brest.example/@brest"
    assert 'class="via">via <a href="http://cercle.example/@cercle"' in page

    await follows.follow(rennes.ctx, "@brest@brest.example")  # now directly too
    await settle(brest, circle, rennes)
    await update_local(brest.ctx, row["id"], {**EVENT, "title": "Gratiferia de la place Guérin"})
    await settle(brest, circle, rennes)
    [kept] = await rennes.sql(KEPT, row["iri"])
    assert kept["title"] == "Gratiferia de la place Guérin"
    assert (kept["actor_iri"], kept["via_iri"]) == (BREST, CIRCLE)
    [listed] = await rennes.sql("SELECT id FROM objects")  # one row, whichever way it came
    page = (await rennes.client.get(f"/items/{listed['id']}",
                                    headers={"Accept": "text/html"})).text
    assert "Brest" in page and "via" in page and "Cercle des territoires contributifs" in page
