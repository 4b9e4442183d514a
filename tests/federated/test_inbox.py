"""The inbox: bad input gets a clear 4xx and leaves no trace; good input is stored once."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.httpsig import HttpSignatureAuth
from tests.conftest import Instance, load_fixture
from tests.federated.test_follow import BREST, mastodon_follow
from tests.network import FakeMastodon, Network

INBOX = "http://brest.example/inbox"


async def inbox_rows(instance: Instance) -> int:
    [row] = await instance.sql("SELECT count(*) AS n FROM inbox_log")
    return int(row["n"])


async def post_raw(
    network: Network,
    body: bytes,
    headers: dict[str, str] | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.Response:
    async with network.client() as client:
        return await client.post(
            INBOX,
            content=body,
            headers={"Content-Type": "application/activity+json", **(headers or {})},
            auth=auth,
        )


async def test_unsigned_post_is_refused(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    response = await post_raw(network, json.dumps(mastodon_follow(fake, BREST)).encode())
    assert response.status_code == 401
    assert "not signed" in response.json()["error"]
    assert await inbox_rows(brest) == 0


async def test_wrong_signature_is_refused(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = await fake.send(mastodon_follow(fake, BREST), INBOX, key=other_key)
    assert response.status_code == 401
    assert "signature" in response.json()["error"]
    assert await inbox_rows(brest) == 0


async def test_stale_date_is_refused(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    body = json.dumps(mastodon_follow(fake, BREST)).encode()
    request = httpx.Request(
        "POST", INBOX, content=body, headers={"Content-Type": "application/activity+json"}
    )
    HttpSignatureAuth(fake.key_id, fake.key).sign(
        request, now=datetime.now(UTC) - timedelta(days=2)
    )
    async with network.client() as client:
        response = await client.send(request)
    assert response.status_code == 401
    assert "date" in response.json()["error"].lower()
    assert await inbox_rows(brest) == 0


async def test_tampered_body_fails_the_digest(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    follow = mastodon_follow(fake, BREST)
    request = httpx.Request(
        "POST",
        INBOX,
        content=json.dumps(follow).encode(),
        headers={"Content-Type": "application/activity+json"},
    )
    HttpSignatureAuth(fake.key_id, fake.key).sign(request)
    follow["object"] = "http://brest.example/actors/someone-else"
    tampered = httpx.Request(
        "POST", INBOX, content=json.dumps(follow).encode(), headers=dict(request.headers)
    )
    tampered.headers["content-length"] = str(len(tampered.content))
    async with network.client() as client:
        response = await client.send(tampered)
    assert response.status_code == 401
    assert "digest" in response.json()["error"].lower()
    assert await inbox_rows(brest) == 0


async def test_body_over_the_cap_is_refused(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    follow = mastodon_follow(fake, BREST)
    follow["padding"] = "x" * (brest.settings.max_body_bytes + 1)
    response = await fake.send(follow, INBOX)
    assert response.status_code == 413
    assert await inbox_rows(brest) == 0


async def test_not_json_is_refused(brest: Instance, network: Network) -> None:
    response = await post_raw(network, b"<html>not json</html>")
    assert response.status_code == 400
    assert response.json() == {"error": "body is not JSON"}
    shapeless = await post_raw(network, b'["a", "list"]')
    assert shapeless.status_code == 400
    assert await inbox_rows(brest) == 0


async def test_key_of_another_actor_is_refused(brest: Instance, network: Network) -> None:
    impostor = FakeMastodon(network, host="evil.example", username="mallory")
    victim = FakeMastodon(network, host="masto.example", username="ana")
    follow = mastodon_follow(victim, BREST)  # claims to come from ana, signed by mallory
    follow["id"] = "https://masto.example/follows/forged"
    response = await impostor.send(follow, INBOX)
    assert response.status_code == 401
    assert "does not belong" in response.json()["error"]
    assert await inbox_rows(brest) == 0


async def test_activity_id_on_another_host_is_refused(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    follow = mastodon_follow(fake, BREST)
    follow["id"] = "https://elsewhere.example/follows/1"
    response = await fake.send(follow, INBOX)
    assert response.status_code == 400
    assert await inbox_rows(brest) == 0


async def test_blocked_domain_is_refused(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network, host="spam.example")
    await brest.sql("INSERT INTO domain_blocks (domain) VALUES ('spam.example')")
    response = await fake.send(mastodon_follow(fake, BREST), INBOX)
    assert response.status_code == 403
    assert "blocked" in response.json()["error"]
    sub = FakeMastodon(network, host="social.spam.example")
    assert (await sub.send(mastodon_follow(sub, BREST), INBOX)).status_code == 403
    assert await inbox_rows(brest) == 0
    fetched = [r for r in network.requests if r.method == "GET"]
    assert fetched == []  # refused before any key fetch


async def test_a_duplicate_is_stored_and_processed_once(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    follow = mastodon_follow(fake, BREST)
    assert (await fake.send(follow, INBOX)).status_code == 202
    assert (await fake.send(follow, INBOX)).status_code == 202
    assert await inbox_rows(brest) == 1
    await brest.run_worker()
    assert (await fake.send(follow, INBOX)).status_code == 202
    await brest.run_worker()
    assert len(fake.of_type("Accept")) == 1


async def test_rotated_key_is_fetched_again(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    assert (await fake.send(mastodon_follow(fake, BREST), INBOX)).status_code == 202
    fake.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    second = mastodon_follow(fake, BREST)
    second["id"] += "-again"
    response = await fake.send(second, INBOX)
    assert response.status_code == 202, response.text
    assert await inbox_rows(brest) == 2


async def test_rfc9421_is_verified_and_then_used_towards_that_host(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    response = await fake.send(mastodon_follow(fake, BREST), INBOX, rfc9421=True)
    assert response.status_code == 202, response.text
    await brest.run_worker()
    [accept] = fake.of_type("Accept")
    assert fake.verified_schemes == ["rfc9421"]
    assert accept["actor"] == BREST


async def test_default_outgoing_scheme_is_draft_cavage(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    assert (await fake.send(mastodon_follow(fake, BREST), INBOX)).status_code == 202
    await brest.run_worker()
    assert fake.verified_schemes == ["draft-cavage"]


def mastodon_delete(fake: FakeMastodon) -> dict[str, Any]:
    delete = copy.deepcopy(load_fixture("mastodon/delete-actor.json"))
    delete["id"] = f"{fake.actor_id}#delete"
    delete["actor"] = fake.actor_id
    delete["object"] = {"type": "Person", "id": fake.actor_id, "atomUri": fake.actor_id}
    return delete


async def test_delete_of_an_unknown_actor_is_accepted_without_a_fetch(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network, host="gone.example")
    network.down.add("gone.example")
    response = await fake.send(mastodon_delete(fake), INBOX)
    assert response.status_code == 202
    assert [r for r in network.requests if r.method == "GET"] == []
    assert await inbox_rows(brest) == 0


async def test_delete_of_a_known_follower_removes_it(brest: Instance, network: Network) -> None:
    fake = FakeMastodon(network)
    assert (await fake.send(mastodon_follow(fake, BREST), INBOX)).status_code == 202
    await brest.run_worker()
    network.down.add(fake.host)  # the account is gone: its key can no longer be fetched
    assert (await fake.send(mastodon_delete(fake), INBOX)).status_code == 202
    await brest.run_worker()
    assert await brest.sql("SELECT 1 FROM follows") == []
    assert await brest.sql("SELECT 1 FROM actors WHERE iri = $1", fake.actor_id) == []


async def test_a_bad_activity_spoils_nothing_else_and_is_not_retried(
    brest: Instance, network: Network
) -> None:
    """An unusable document is a decision taken once, when the activity is parsed and
    decided: the others in its batch are applied, and it is not claimed again (it used to
    be retried five times, as the profile was parsed late, in the executor)."""
    good = FakeMastodon(network, host="masto.example", username="ana")
    assert (await good.send(mastodon_follow(good, BREST), INBOX)).status_code == 202
    broken = FakeMastodon(network, host="broken.example", username="bob")
    update = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{broken.actor_id}#update",
        "type": "Update",
        "actor": broken.actor_id,
        "object": {"id": broken.actor_id, "type": "Person"},
    }  # no inbox: unusable
    assert (await broken.send(update, INBOX)).status_code == 202
    await brest.run_worker()
    rows = {r["actor_iri"]: r for r in await brest.sql("SELECT * FROM inbox_log")}
    assert rows[good.actor_id]["processed_at"] is not None
    assert len(good.of_type("Accept")) == 1
    done = rows[broken.actor_id]
    assert done["processed_at"] is not None and done["attempts"] == 1
    assert "unusable profile" in done["result"]


# Input PostgreSQL cannot store gets a 400, never a 500 (issue 8, item 13) -----------------


def create_with(fake: FakeMastodon, **fields: Any) -> dict[str, Any]:
    obj = {
        "id": f"{fake.actor_id}/events/1",
        "type": "Event",
        "attributedTo": fake.actor_id,
        "name": "Atelier",
        "startTime": "2026-12-05T14:00:00+01:00",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **fields,
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{obj['id']}#create",
        "type": "Create",
        "actor": fake.actor_id,
        "object": obj,
    }


async def test_nul_lone_surrogate_nan_and_infinity_are_refused_with_400(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    cases = {
        "nul": {"name": "Ate\u0000lier"},
        "lone surrogate": {"summary": "\ud800"},
        "nan": {"latitude": float("nan")},
        "infinity": {"longitude": float("inf")},
    }
    for index, (label, fields) in enumerate(cases.items()):
        create = create_with(fake, **fields)
        create["id"] += str(index)
        response = await fake.send(create, INBOX)
        assert response.status_code == 400, label
        assert "cannot be kept" in response.json()["error"], label
    assert await inbox_rows(brest) == 0


class NulNamed(FakeMastodon):
    """An account whose profile name holds a NUL (PostgreSQL refuses it in text and jsonb)."""

    def actor_document(self) -> dict[str, Any]:
        doc = super().actor_document()
        doc.update(name="Ana\u0000 Bretonne", summary="<p>bon\u0000jour</p>")
        return doc


async def test_first_contact_from_an_actor_whose_name_holds_a_nul_is_accepted_cleaned(
    brest: Instance, network: Network
) -> None:
    fake = NulNamed(network)
    response = await fake.send(mastodon_follow(fake, BREST), INBOX)
    assert response.status_code == 202
    [actor] = await brest.sql("SELECT name, summary, document FROM actors WHERE iri = $1",
                              fake.actor_id)
    assert actor["name"] == "Ana Bretonne"
    assert actor["summary"] == "<p>bonjour</p>"
    await brest.run_worker()
    assert len(fake.of_type("Accept")) == 1
