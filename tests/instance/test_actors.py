"""The territory and instance actors carry what Mastodon reads from an actor."""

from __future__ import annotations

from typing import Any

import pytest
from bovine.crypto.multibase import decode_multibase_public_key
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.conftest import Instance, load_fixture

AS2 = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# What Mastodon's ActivityPub::ProcessAccountService reads from a remote actor.
MASTODON_READS = [
    ("id",),
    ("type",),
    ("inbox",),
    ("outbox",),
    ("followers",),
    ("following",),
    ("featured",),
    ("preferredUsername",),
    ("name",),
    ("summary",),
    ("url",),
    ("manuallyApprovesFollowers",),
    ("discoverable",),
    ("published",),
    ("publicKey", "id"),
    ("publicKey", "owner"),
    ("publicKey", "publicKeyPem"),
    ("endpoints", "sharedInbox"),
    ("icon", "type"),
    ("icon", "mediaType"),
    ("icon", "url"),
    ("image", "url"),
]


def dig(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = doc
    for key in path:
        value = value[key]
    return value


async def get_actor(instance: Instance, path: str, accept: str = AS2) -> dict[str, Any]:
    response = await instance.client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/activity+json")
    return response.json()


@pytest.mark.parametrize("fixture", ["mastodon/actor-person.json", "mastodon/objects-person.json"])
async def test_territory_actor_has_every_field_mastodon_reads(
    brest: Instance, fixture: str
) -> None:
    ours = await get_actor(brest, "/actors/brest")
    theirs = load_fixture(fixture)
    for path in MASTODON_READS:
        if path[0] not in theirs:
            continue
        expected = dig(theirs, path)
        value = dig(ours, path)
        assert type(value) is type(expected), f"{'.'.join(path)}: {value!r} vs {expected!r}"
    assert ours["type"] == "Group"
    assert ours["id"] == "http://brest.example/actors/brest"
    assert ours["url"] == "http://brest.example/@brest"
    assert ours["preferredUsername"] == "brest"
    assert ours["inbox"] == "http://brest.example/actors/brest/inbox"
    assert ours["endpoints"]["sharedInbox"] == "http://brest.example/inbox"
    assert ours["publicKey"]["id"] == "http://brest.example/actors/brest#main-key"
    assert ours["publicKey"]["owner"] == ours["id"]
    assert ours["location"] == {
        "type": "Place",
        "name": "Brest",
        "latitude": 48.39,
        "longitude": -4.49,
    }
    assert "<p>Bibliothèques &amp; jardins.</p>" in ours["summary"]


async def test_actor_keys_are_rsa_2048_and_ed25519_multikey(brest: Instance) -> None:
    for path in ("/actors/brest", "/actor"):
        doc = await get_actor(brest, path)
        key = serialization.load_pem_public_key(doc["publicKey"]["publicKeyPem"].encode())
        assert isinstance(key, rsa.RSAPublicKey)
        assert key.key_size >= 2048
        [multikey] = doc["assertionMethod"]
        assert multikey["type"] == "Multikey"
        assert multikey["controller"] == doc["id"]
        assert multikey["id"] == f"{doc['id']}#ed25519-key"
        assert isinstance(
            decode_multibase_public_key(multikey["publicKeyMultibase"]), ed25519.Ed25519PublicKey
        )
        assert "https://w3id.org/security/v1" in doc["@context"]


async def test_each_actor_has_its_own_keys_and_keeps_them(brest: Instance) -> None:
    territory = await get_actor(brest, "/actors/brest")
    instance = await get_actor(brest, "/actor")
    again = await get_actor(brest, "/@brest", accept=LD)
    assert territory["publicKey"]["publicKeyPem"] != instance["publicKey"]["publicKeyPem"]
    assert again["publicKey"] == territory["publicKey"]


async def test_instance_actor_is_an_application(brest: Instance) -> None:
    doc = await get_actor(brest, "/actor")
    assert doc["type"] == "Application"
    assert doc["id"] == "http://brest.example/actor"
    assert doc["preferredUsername"] == "brest.example"
    assert doc["endpoints"]["sharedInbox"] == "http://brest.example/inbox"


async def test_same_url_answers_html_to_a_browser(brest: Instance) -> None:
    page = await brest.client.get("/@brest", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in page.text
    assert "Suivez ce territoire" in page.text
    assert "@brest@brest.example" in page.text
    assert "48,39" in page.text  # French decimal comma
    for accept in (AS2, LD):
        doc = await get_actor(brest, "/@brest", accept=accept)
        assert doc["id"] == "http://brest.example/actors/brest"
    redirect = await brest.client.get("/actors/brest", headers={"Accept": BROWSER})
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "http://brest.example/@brest"


async def test_territory_page_speaks_english_when_asked(brest: Instance) -> None:
    page = await brest.client.get("/@brest", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text
    assert "Follow this territory" in page.text
    assert "48.39" in page.text
    chosen = await brest.client.get("/@brest?lang=en", headers={"Accept-Language": "fr"})
    assert "Follow this territory" in chosen.text
    assert chosen.cookies.get("lang") == "en"


async def test_unknown_territory_is_a_json_404(brest: Instance) -> None:
    response = await brest.client.get("/actors/nowhere", headers={"Accept": AS2})
    assert response.status_code == 404
    assert response.json() == {"error": "No territory of that name here."}
    page = await brest.client.get("/@nowhere", headers={"Accept": BROWSER})
    assert page.status_code == 404
    assert "Aucun territoire de ce nom ici." in page.text


async def test_collections_are_ordered_collections(brest: Instance) -> None:
    for name in ("outbox", "followers", "following", "featured"):
        doc = await get_actor(brest, f"/actors/brest/{name}")
        assert doc["type"] == "OrderedCollection"
        assert doc["id"] == f"http://brest.example/actors/brest/{name}"
        assert doc["totalItems"] == 0


async def test_followers_collection_pages_by_keyset(brest: Instance) -> None:
    followers = [f"https://m{i}.example/users/u{i}" for i in range(45)]
    await brest.sql(
        "INSERT INTO follows (follower_iri, followee_iri, state)"
        " SELECT f, $2, 'accepted' FROM unnest($1::text[]) AS f",
        followers,
        "http://brest.example/actors/brest",
    )
    await brest.sql(
        "INSERT INTO follows (follower_iri, followee_iri, state) VALUES ($1, $2, 'pending')",
        "https://pending.example/users/p",
        "http://brest.example/actors/brest",
    )
    root = await get_actor(brest, "/actors/brest/followers")
    assert root["totalItems"] == 45
    seen: list[str] = []
    url = root["first"]
    while url:
        page = await get_actor(brest, url.removeprefix("http://brest.example"))
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == root["id"]
        seen.extend(page["orderedItems"])
        url = page.get("next")
    assert sorted(seen) == sorted(followers)
    assert len(seen) == len(set(seen))
    html = await brest.client.get("/@brest")
    assert '<dd class="followers">45</dd>' in html.text
