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


WEBFINGER = "/.well-known/webfinger"
HANDLE = "acct:brest@brest.example"
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:BREST@brest.example",
        "ACCT:brest@Brest.Example",
        "http://brest.example/actors/brest",
        "http://brest.example/@brest",
        "HTTP://BREST.EXAMPLE/actors/brest/",
    ],
)
async def test_webfinger_accepts_handles_and_actor_urls(brest: Instance, resource: str) -> None:
    response = await brest.client.get(WEBFINGER, params={"resource": resource})
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "acct:brest@brest.example"


async def test_webfinger_accepts_the_query_mastodon_sends(brest: Instance) -> None:
    """Mastodon's client percent-encodes the acct: URI and asks for JRD or JSON."""
    response = await brest.client.get(
        f"{WEBFINGER}?resource=acct%3Abrest%40brest.example",
        headers={"Accept": "application/jrd+json, application/json"},
    )
    assert response.status_code == 200
    assert response.json()["subject"] == HANDLE


async def test_webfinger_finds_the_instance_actor(brest: Instance) -> None:
    response = await brest.client.get(WEBFINGER, params={"resource": "http://brest.example/actor"})
    assert response.json()["subject"] == "acct:brest.example@brest.example"
    assert response.json()["links"][0]["href"] == "http://brest.example/actor"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "required"),
        ("?resource=", "required"),
        ("?resource=%20", "required"),
        ("?resource==acct%3Abrest%40brest.example", "URI"),
        ("?resource=brest%40brest.example", "URI"),
        ("?resource=%40brest%40brest.example", "URI"),
        ("?resource=brest", "acct:name@domain"),
        ("?resource=acct%3A%40brest%40brest.example", "acct:name@domain"),
        ("?resource=acct%3Abrest", "acct:name@domain"),
        ("?resource=acct%3A%40%40", "acct:name@domain"),
        ("?resource=acct%3Abrest%40brest.example%2Fpath", "acct:name@domain"),
        ("?resource=acct%3Abr%20est%40brest.example", "acct:name@domain"),
        ("?resource=" + "x" * 600, "too long"),
        ("?resource=https%3A%2F%2F", "host"),
        ("?resource=https%3A%2F%2F%2Factors%2Fbrest", "host"),
    ],
)
async def test_malformed_webfinger_resource_is_a_400(
    brest: Instance, query: str, message: str
) -> None:
    """RFC 7033 §4.2: a missing or malformed `resource` is a 400, never a JRD or a 404
    (a bare `name@host` is not a URI, and `resource==acct:…` is a typo a client must see)."""
    response = await brest.client.get(WEBFINGER + query)
    assert response.status_code == 400, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert message in body["error"]
    assert "subject" not in body and "links" not in body


@pytest.mark.parametrize(
    "resource",
    [
        "mailto:brest@brest.example",
        "foo://brest.example",
        "urn:uuid:7d4b1f3c-0000-4000-8000-000000000000",
        "did:web:brest.example",
    ],
)
async def test_well_formed_uri_of_another_scheme_is_a_404(brest: Instance, resource: str) -> None:
    """RFC 7033 §4.5: any URI scheme may be asked about; we describe none but acct and http(s)."""
    response = await brest.client.get(WEBFINGER, params={"resource": resource})
    assert response.status_code == 404, response.text
    assert response.headers["access-control-allow-origin"] == "*"


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
    response = await brest.client.get(WEBFINGER, params={"resource": resource})
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["error"]


async def test_webfinger_answers_jrd_with_cors_whatever_the_accept_header(
    brest: Instance,
) -> None:
    """RFC 7033 §4.2 and §5: the JRD media type, and readable from any origin."""
    for accept in ("application/jrd+json", "application/json", "text/html", "*/*"):
        response = await brest.client.get(
            WEBFINGER, params={"resource": HANDLE}, headers={"Accept": accept}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == "application/jrd+json"
        assert response.headers["access-control-allow-origin"] == "*"


async def test_webfinger_head_answers_like_get_without_a_body(brest: Instance) -> None:
    response = await brest.client.head(WEBFINGER, params={"resource": HANDLE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jrd+json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == b""


async def test_webfinger_refuses_other_methods(brest: Instance) -> None:
    response = await brest.client.post(WEBFINGER, params={"resource": HANDLE})
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("rels", "expected"),
    [
        (["self"], ["self"]),
        ([PROFILE_PAGE], [PROFILE_PAGE]),
        (["self", PROFILE_PAGE], ["self", PROFILE_PAGE]),
        (["something-else"], []),
        (["something-else", "self"], ["self"]),
    ],
)
async def test_rel_parameters_keep_only_matching_links(
    brest: Instance, rels: list[str], expected: list[str]
) -> None:
    """RFC 7033 §4.3: `rel` filters links only; subject and aliases stay."""
    full = (await brest.client.get(WEBFINGER, params={"resource": HANDLE})).json()
    response = await brest.client.get(WEBFINGER, params={"resource": HANDLE, "rel": rels})
    assert response.status_code == 200
    jrd = response.json()
    assert [link["rel"] for link in jrd["links"]] == expected
    assert all(link in full["links"] for link in jrd["links"])
    assert jrd["subject"] == full["subject"] and jrd["aliases"] == full["aliases"]


async def test_webfinger_parameter_order_does_not_matter(brest: Instance) -> None:
    """RFC 7033 §4.1: `rel` may come before `resource`."""
    first = await brest.client.get(f"{WEBFINGER}?rel=self&resource=acct%3Abrest%40brest.example")
    second = await brest.client.get(f"{WEBFINGER}?resource=acct%3Abrest%40brest.example&rel=self")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()


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
