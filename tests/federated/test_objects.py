"""Initiatives and events travel between territories, and from Mobilizon and Gancio."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

from server.publish import follows
from server.publish.objects import create_local, delete_local, update_local
from tests.conftest import Instance, load_fixture
from tests.federated.test_follow import MARSEILLE, settle
from tests.network import FakeMastodon, Network

AS2 = {"Accept": "application/activity+json"}

EVENT = {
    "title": "Gratiferia de l'Estaque",
    "summary": "On donne, on prend, on discute.",
    "description": "Apportez ce qui **dort** dans vos placards.\n\nGoûter partagé.",
    "themes": ["transition-ecologique"],
    "place": {
        "name": "Place de l'Estaque",
        "address": "1 place Malaval, 13016 Marseille",
        "latitude": 43.3633,
        "longitude": 5.3129,
    },
    "start": "2026-12-05T14:00",
    "end": "2026-12-05T18:00",
    "timezone": "Europe/Paris",
    "status": "confirmed",
}
INITIATIVE = {
    "title": "Réseau des bibliothèques coopératives",
    "summary": "Des bibliothèques de quartier gérées par leurs lecteurs.",
    "description": "Ouvert à tous.",
    "themes": ["culture-bibliotheques"],
    "website": "https://biblio.example/",
    "contact": "biblio@marseille.example",
    "stage": "running",
    "organisers": ["Les Amis du Livre"],
}


async def item_rows(instance: Instance) -> list[dict[str, Any]]:
    return [dict(r) for r in await instance.sql("SELECT * FROM objects ORDER BY id")]


async def page_of(instance: Instance, row: dict[str, Any]) -> str:
    response = await instance.client.get(f"/items/{row['id']}")
    assert response.status_code == 200
    return response.text


async def test_create_update_delete_reach_the_follower(
    brest: Instance, marseille: Instance
) -> None:
    await follows.follow(brest.ctx, "@marseille@marseille.example")
    await settle(brest, marseille)

    initiative = await create_local(marseille.ctx, "initiative", INITIATIVE)
    event = await create_local(marseille.ctx, "event", dict(EVENT, initiative=initiative["iri"]))
    await settle(brest, marseille)

    received = {r["iri"]: r for r in await item_rows(brest)}
    copy_ = received[event["iri"]]
    assert not copy_["local"] and copy_["actor_iri"] == MARSEILLE
    for field in (
        "title",
        "summary",
        "content_html",
        "themes",
        "place_name",
        "latitude",
        "longitude",
        "start_time",
        "end_time",
        "timezone",
        "status",
        "initiative_iri",
    ):
        assert copy_[field] == event[field], field
    assert "<strong>dort</strong>" in copy_["content_html"]
    kept = received[initiative["iri"]]
    for field in ("title", "website", "contact", "stage", "themes"):
        assert kept[field] == initiative[field], field

    page = await page_of(brest, copy_)
    assert "Gratiferia de l&#39;Estaque" in page
    assert "5 décembre 2026" in page and "14:00" in page
    assert "Place de l&#39;Estaque" in page
    assert "Réseau des bibliothèques coopératives" in page  # link to its initiative
    network = await brest.client.get("/feed")  # a territory's own page lists only its items
    assert "Gratiferia" in network.text

    await update_local(
        marseille.ctx, event["id"], dict(EVENT, title="Gratiferia (reportée)", status="cancelled")
    )
    await settle(brest, marseille)
    [updated] = [r for r in await item_rows(brest) if r["iri"] == event["iri"]]
    assert updated["title"] == "Gratiferia (reportée)" and updated["status"] == "cancelled"
    assert "Annulé" in await page_of(brest, updated)

    await delete_local(marseille.ctx, event["id"])
    await settle(brest, marseille)
    assert event["iri"] not in {r["iri"] for r in await item_rows(brest)}
    gone = await marseille.client.get(
        event["iri"].removeprefix("http://marseille.example"), headers=AS2
    )
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert "Gratiferia" not in (await brest.client.get("/feed")).text


async def test_outbox_lists_objects_newest_first(marseille: Instance) -> None:
    first = await create_local(marseille.ctx, "initiative", INITIATIVE)
    second = await create_local(marseille.ctx, "event", EVENT)
    outbox = (await marseille.client.get("/actors/marseille/outbox", headers=AS2)).json()
    assert outbox["totalItems"] == 2
    page = (await marseille.client.get(outbox["first"], headers=AS2)).json()
    assert [i["object"]["id"] for i in page["orderedItems"]] == [second["iri"], first["iri"]]
    assert all(i["type"] == "Create" for i in page["orderedItems"])
    doc = (await marseille.client.get(second["iri"], headers=AS2)).json()
    assert doc["type"] == "Event" and doc["name"] == EVENT["title"]
    html = (await marseille.client.get(second["iri"])).text
    assert 'property="og:title"' in html and '"@type": "Event"' in html


async def followed_fake(brest: Instance, network: Network, host: str, name: str) -> FakeMastodon:
    """A remote account our territory follows (its Accept comes back signed)."""
    fake = FakeMastodon(network, host=host, username=name)
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
    assert (await fake.send(accept, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    return fake


def wrap_create(fake: FakeMastodon, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{obj['id']}#create",
        "type": "Create",
        "actor": fake.actor_id,
        "object": obj,
    }


async def test_mobilizon_event_is_stored_and_shown(brest: Instance, network: Network) -> None:
    fake = await followed_fake(brest, network, "rendezvous.nomagic.uk", "devon")
    event = copy.deepcopy(load_fixture("mobilizon/event.json"))
    event["attributedTo"] = fake.actor_id
    assert (
        await fake.send(wrap_create(fake, event), "http://brest.example/inbox")
    ).status_code == 202
    await brest.run_worker()
    [row] = await item_rows(brest)
    assert row["kind"] == "event" and row["iri"] == event["id"]
    assert row["start_time"] is not None and row["place_name"] == "The Kenn Centre"
    page = await page_of(brest, row)
    assert "The Kenn Centre" in page and "2022" in page
    [banner] = event["attachment"]
    assert row["image_url"] == banner["url"]
    assert f'src="{html.escape(banner["url"])}"' in page


async def test_gancio_event_is_stored_and_shown(brest: Instance, network: Network) -> None:
    fake = await followed_fake(brest, network, "demo.gancio.org", "gancio")
    create = copy.deepcopy(load_fixture("gancio/create-event.json"))
    create["actor"] = fake.actor_id
    create["object"]["attributedTo"] = fake.actor_id
    create["id"] = create["object"]["id"] + "#create"
    # Gancio's image attachment: a Document with a focal point (shape from its own output)
    create["object"]["attachment"] = [
        {
            "type": "Document",
            "mediaType": "image/jpeg",
            "name": "Affiche de la soirée",
            "url": "https://demo.gancio.org/media/affiche.jpg",
            "focalPoint": [0.0, 0.2],
        }
    ]
    assert (await fake.send(create, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    [row] = await item_rows(brest)
    assert row["title"] == "Demo event" and row["place_name"] == "Colosseo"
    page = await page_of(brest, row)
    assert "Colosseo" in page and "14 juillet 2021" in page
    assert 'src="https://demo.gancio.org/media/affiche.jpg"' in page
    assert 'alt="Affiche de la soirée"' in page


async def test_forged_object_is_not_stored_until_fetched_from_its_origin(
    brest: Instance, marseille: Instance, network: Network
) -> None:
    fake = await followed_fake(brest, network, "masto.example", "ana")
    real = await create_local(marseille.ctx, "event", EVENT)
    forged = copy.deepcopy(real["document"])
    forged["name"] = "Soirée annulée, venez pas"  # lies about marseille's event
    activity = wrap_create(fake, forged)
    activity["id"] = f"{fake.actor_id}/create/forged"
    assert (await fake.send(activity, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    rows = await item_rows(brest)
    # fetched from marseille.example, the origin: the real title, marseille as author
    assert [(r["title"], r["actor_iri"]) for r in rows] == [(EVENT["title"], MARSEILLE)]
    fetched = [r for r in network.requests if r.method == "GET" and str(r.url) == real["iri"]]
    assert fetched and "signature" in fetched[0].headers


async def test_announce_brings_the_object_from_its_origin(
    brest: Instance, marseille: Instance, network: Network
) -> None:
    fake = await followed_fake(brest, network, "circle.example", "cercle")
    real = await create_local(marseille.ctx, "initiative", INITIATIVE)
    announce = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fake.actor_id}/announce/1",
        "type": "Announce",
        "actor": fake.actor_id,
        "object": real["iri"],
    }
    assert (await fake.send(announce, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    [row] = await item_rows(brest)
    assert row["iri"] == real["iri"] and row["actor_iri"] == MARSEILLE


async def test_script_in_remote_content_never_reaches_a_page(
    brest: Instance, network: Network
) -> None:
    fake = await followed_fake(brest, network, "demo.gancio.org", "gancio")
    create = copy.deepcopy(load_fixture("gancio/create-event.json"))
    create["actor"] = fake.actor_id
    create["object"]["attributedTo"] = fake.actor_id
    create["object"]["name"] = "<script>alert(1)</script>Fête"
    create["object"]["content"] = (
        '<p onclick="steal()">Bienvenue</p><script>alert(2)</script>'
        '<a href="javascript:alert(3)">lien</a><style>body{}</style><img src=x onerror=alert(4)>'
    )
    create["object"]["summary"] = "<script>alert(5)</script>Résumé"
    assert (await fake.send(create, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    [row] = await item_rows(brest)
    page = await page_of(brest, row)
    home = (await brest.client.get("/feed")).text
    for text in (page, home):
        body = text.split("<main>", 1)[1]
        assert "<script>alert" not in body
        assert not re.search(r"\bon(click|error)=", body)
        assert "javascript:" not in body
        assert "<style>" not in body
    assert "Bienvenue" in page


async def test_objects_from_unfollowed_actors_are_not_kept(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="demo.gancio.org", username="gancio")
    create = copy.deepcopy(load_fixture("gancio/create-event.json"))
    create["actor"] = fake.actor_id
    create["object"]["attributedTo"] = fake.actor_id
    assert (await fake.send(create, "http://brest.example/inbox")).status_code == 202
    await brest.run_worker()
    assert await item_rows(brest) == []


async def test_theme_hashtags_link_to_a_theme_page(marseille: Instance) -> None:
    event = await create_local(marseille.ctx, "event", EVENT)
    [tag] = event["document"]["tag"]
    assert tag["name"] == "#TransitionEcologique" or tag["name"].startswith("#")
    page = await marseille.client.get(tag["href"].removeprefix("http://marseille.example"))
    assert page.status_code == 200
    assert "Gratiferia" in page.text
    assert (await marseille.client.get("/themes/nope")).status_code == 404


async def test_jsonld_context_is_served_where_objects_point(marseille: Instance) -> None:
    event = await create_local(marseille.ctx, "event", EVENT)
    url = next(c for c in event["document"]["@context"] if isinstance(c, str) and "maillage" in c)
    response = await marseille.client.get(url.removeprefix("http://marseille.example"))
    assert response.status_code == 200
    assert "timezone" in response.json()["@context"]


async def test_mastodon_sees_date_place_and_themes_in_what_it_keeps(marseille: Instance) -> None:
    """Mastodon keeps `name`, `summary` and a link for Event and Page (converted types) and
    drops `content`: the summary alone must tell a reader when, where and what about."""
    event = await create_local(marseille.ctx, "event", EVENT)
    summary = html.unescape(event["document"]["summary"])
    assert "samedi 5 décembre 2026, 14:00–18:00 (Europe/Paris)" in summary
    assert "Place de l'Estaque" in summary
    assert "#" in summary and "TransitionEcologique" in summary.replace("<span>", "").replace(
        "</span>", ""
    )


async def test_following_a_territory_brings_in_what_it_already_published(
    brest: Instance, marseille: Instance
) -> None:
    """Backfill: on Accept, the follower reads the followed territory's outbox."""
    initiative = await create_local(marseille.ctx, "initiative", INITIATIVE)
    event = await create_local(marseille.ctx, "event", EVENT)
    deleted = await create_local(marseille.ctx, "event", dict(EVENT, title="Annulé"))
    await delete_local(marseille.ctx, deleted["id"])
    await follows.follow(brest.ctx, "@marseille@marseille.example")
    await settle(brest, marseille)
    rows = {r["iri"]: r for r in await item_rows(brest)}
    assert set(rows) == {initiative["iri"], event["iri"]}
    assert rows[event["iri"]]["title"] == EVENT["title"]
    assert all(r["actor_iri"] == MARSEILLE for r in rows.values())
