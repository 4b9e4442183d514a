"""WebFinger, host-meta and NodeInfo: how a Mastodon server finds the territory."""

from __future__ import annotations

import pytest

from tests.conftest import Instance


async def test_webfinger_round_trips_to_the_actor(brest: Instance) -> None:
    response = await brest.client.get(
        "/.well-known/webfinger", params={"resource": "acct:brest@brest.example"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    jrd = response.json()
    assert jrd["subject"] == "acct:brest@brest.example"
    [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
    assert self_link["type"] == "application/activity+json"
    actor = await brest.client.get(
        self_link["href"], headers={"Accept": "application/activity+json"}
    )
    doc = actor.json()
    assert f"acct:{doc['preferredUsername']}@brest.example" == jrd["subject"]
    assert doc["id"] in jrd["aliases"] and doc["url"] in jrd["aliases"]


@pytest.mark.parametrize(
    "resource",
    [
        "acct:BREST@brest.example",
        "brest@brest.example",
        "http://brest.example/actors/brest",
        "http://brest.example/@brest",
    ],
)
async def test_webfinger_accepts_handles_and_actor_urls(brest: Instance, resource: str) -> None:
    response = await brest.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "acct:brest@brest.example"


async def test_webfinger_finds_the_instance_actor(brest: Instance) -> None:
    response = await brest.client.get(
        "/.well-known/webfinger", params={"resource": "http://brest.example/actor"}
    )
    assert response.json()["subject"] == "acct:brest.example@brest.example"
    assert response.json()["links"][0]["href"] == "http://brest.example/actor"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "required"),
        ({"resource": ""}, "required"),
        ({"resource": "brest"}, "acct:name@domain"),
        ({"resource": "acct:@@"}, "acct:name@domain"),
        ({"resource": "x" * 600}, "too long"),
        ({"resource": "https://"}, "host"),
    ],
)
async def test_malformed_webfinger_query_is_a_400(
    brest: Instance, params: dict[str, str], message: str
) -> None:
    response = await brest.client.get("/.well-known/webfinger", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    "resource",
    [
        "acct:marseille@brest.example",
        "acct:brest@marseille.example",
        "https://marseille.example/actors/brest",
        "http://brest.example/actors/brest/outbox",
    ],
)
async def test_unknown_webfinger_resource_is_a_404(brest: Instance, resource: str) -> None:
    response = await brest.client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == 404
    assert response.json()["error"]


async def test_host_meta_points_to_webfinger(brest: Instance) -> None:
    xml = await brest.client.get("/.well-known/host-meta")
    assert xml.headers["content-type"].startswith("application/xrd+xml")
    template = "http://brest.example/.well-known/webfinger?resource={uri}"
    assert f'template="{template}"' in xml.text
    as_json = await brest.client.get("/.well-known/host-meta.json")
    assert as_json.json()["links"][0]["template"] == template


async def test_nodeinfo_discovery_and_document(brest: Instance) -> None:
    discovery = (await brest.client.get("/.well-known/nodeinfo")).json()
    rels = {link["rel"]: link["href"] for link in discovery["links"]}
    href = rels["http://nodeinfo.diaspora.software/ns/schema/2.1"]
    assert rels["https://www.w3.org/ns/activitystreams#Application"] == "http://brest.example/actor"
    response = await brest.client.get(href.removeprefix("http://brest.example"))
    assert "nodeinfo.diaspora.software/ns/schema/2.1" in response.headers["content-type"]
    doc = response.json()
    assert doc["version"] == "2.1"
    assert doc["software"]["name"] == "maillage"
    assert doc["protocols"] == ["activitypub"]
    assert doc["usage"]["users"]["total"] == 1
    assert doc["metadata"]["nodeName"] == "Brest"
    assert isinstance(doc["openRegistrations"], bool)
