"""Blocks mean blocked: however the domain is written, nothing comes in, nothing goes out,
and nothing is fetched from it (actors, keys, objects, backfill)."""

from __future__ import annotations

from server.actors.territory import set_and_announce
from server.publish.objects import create_local
from server.store import actors as store
from tests.conftest import Instance
from tests.federated.test_follow import BREST, mastodon_follow
from tests.federated.test_objects import INITIATIVE, followed_fake
from tests.federated.test_privacy import gancio_create
from tests.federated.test_worker_survives import follow_and_accept
from tests.network import FakeMastodon, Network

INBOX = "http://brest.example/inbox"


async def announce(brest: Instance, name: str) -> None:
    conn = await brest.connect()
    try:
        await set_and_announce(conn, brest.settings, "brest", store.TerritoryFields(name=name))
    finally:
        await conn.close()


async def test_an_actor_on_a_blocked_domain_written_with_a_trailing_dot_is_refused(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="spam.example.")
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('spam.example')")
    response = await fake.send(mastodon_follow(fake, BREST), INBOX)
    assert response.status_code == 403
    await brest.run_worker()
    assert not [r for r in network.requests if r.url.host.startswith("spam.example")]
    assert await brest.sql("SELECT * FROM follows") == []
    assert fake.of_type("Accept") == []


async def test_a_block_stored_with_capitals_and_a_trailing_dot_still_withholds_deliveries(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="social.spam.example")
    assert (await fake.send(mastodon_follow(fake, BREST), INBOX)).status_code == 202
    await brest.run_worker()
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('Spam.Example.')")
    await announce(brest, "Brest 2")
    await brest.run_worker()
    [row] = await brest.sql(
        "SELECT d.state FROM deliveries d JOIN activities a ON a.id = d.activity_id"
        " WHERE a.type = 'Update'"
    )
    assert row["state"] == "skipped"
    assert fake.of_type("Update") == []


async def test_a_follower_whose_inbox_is_written_with_a_trailing_dot_gets_nothing(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="social.spam.example")
    assert (await fake.send(mastodon_follow(fake, BREST), INBOX)).status_code == 202
    await brest.run_worker()
    network.add("social.spam.example.", fake.app())
    await brest.sql(
        "UPDATE actors SET shared_inbox = 'https://social.spam.example./inbox' WHERE iri = $1",
        fake.actor_id,
    )
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('spam.example')")
    await announce(brest, "Brest 2")
    await brest.run_worker()
    assert fake.of_type("Update") == []
    assert not [r for r in network.requests if r.url.host.startswith("social.spam.example.")]


async def test_an_announce_of_an_object_on_a_blocked_domain_is_not_fetched(
    brest: Instance, marseille: Instance, network: Network
) -> None:
    fake = await followed_fake(brest, network, "circle.example", "cercle")
    real = await create_local(marseille.ctx, "initiative", INITIATIVE)
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('marseille.example.')")
    brest.app.state.blocks.forget()  # as the admin page does; other processes see it within seconds
    before = len(network.requests)
    for kind, n in (("Announce", 1), ("Create", 2)):
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{fake.actor_id}/{kind.lower()}/{n}",
            "type": kind,
            "actor": fake.actor_id,
            "object": real["iri"],  # by reference: it would have to be fetched
        }
        assert (await fake.send(activity, INBOX)).status_code == 202
    await brest.run_worker()
    touched = [r for r in network.requests[before:] if r.url.host == "marseille.example"]
    assert touched == []
    assert await brest.sql("SELECT iri FROM objects") == []


async def test_an_image_hosted_on_a_blocked_domain_is_not_kept(
    brest: Instance, network: Network
) -> None:
    """Item 8: no image link may touch a blocked domain, even inside an object from an
    actor we follow on another domain."""
    fake = FakeMastodon(network, host="demo.gancio.org", username="gancio")
    await follow_and_accept(brest, fake)
    await brest.run_worker()
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('tracker.example.')")
    brest.app.state.blocks.forget()
    public = ["https://www.w3.org/ns/activitystreams#Public"]
    for n, host in ((1, "tracker.example"), (2, "demo.gancio.org")):
        create = gancio_create(fake, n, public, [])
        create["object"]["attachment"] = [{
            "type": "Document", "mediaType": "image/jpeg", "name": "affiche",
            "url": f"https://{host}/media/affiche-{n}.jpg",
        }]
        assert (await fake.send(create, INBOX)).status_code == 202
    await brest.run_worker()
    rows = await brest.sql("SELECT title, image_url FROM objects ORDER BY title")
    assert [(r["title"], r["image_url"]) for r in rows] == [
        ("Soirée 1", None),
        ("Soirée 2", "https://demo.gancio.org/media/affiche-2.jpg"),
    ]
