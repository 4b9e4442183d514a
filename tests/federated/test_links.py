"""Only http(s) links reach a page, whatever a remote actor or object says its url is."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from server.publish import follows
from tests.conftest import Instance, load_fixture
from tests.federated.test_objects import item_rows, page_of, wrap_create
from tests.network import FakeMastodon, Network


@dataclass
class OddActor(FakeMastodon):
    """A Mastodon-like account whose actor document says `url` is `odd_url` (absent: None)."""

    odd_url: Any = None

    def actor_document(self) -> dict[str, Any]:
        doc = super().actor_document()
        if self.odd_url is None:
            del doc["url"]
        else:
            doc["url"] = self.odd_url
        return doc


async def followed(brest: Instance, fake: FakeMastodon) -> None:
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


async def event_page_from(brest: Instance, fake: FakeMastodon, **changes: Any) -> str:
    event = copy.deepcopy(load_fixture("mobilizon/event.json"))
    event["attributedTo"] = fake.actor_id
    event.update(changes)
    response = await fake.send(wrap_create(fake, event), "http://brest.example/inbox")
    assert response.status_code == 202
    await brest.run_worker()
    [row] = await item_rows(brest)
    return await page_of(brest, row)


async def test_javascript_actor_url_is_never_a_link(brest: Instance, network: Network) -> None:
    fake = OddActor(network, host="rendezvous.nomagic.uk", username="devon",
                    odd_url="javascript:alert(document.cookie)")
    await followed(brest, fake)
    page = await event_page_from(brest, fake)
    assert "javascript:" not in page
    [actor] = await brest.sql("SELECT url FROM actors WHERE iri = $1", fake.actor_id)
    assert actor["url"] is None


async def test_actor_without_url_renders_no_none_link(brest: Instance, network: Network) -> None:
    fake = OddActor(network, host="rendezvous.nomagic.uk", username="devon")
    await followed(brest, fake)
    page = await event_page_from(brest, fake)
    assert 'href="None"' not in page


async def test_stored_unsafe_urls_are_not_linked_by_templates(
    brest: Instance, network: Network
) -> None:
    """Rows written before parse-time filtering (or by a future path) are guarded again."""
    fake = OddActor(network, host="rendezvous.nomagic.uk", username="devon",
                    odd_url="https://rendezvous.nomagic.uk/@devon")
    await followed(brest, fake)
    await event_page_from(brest, fake)
    await brest.sql("UPDATE actors SET url = 'javascript:alert(1)' WHERE iri = $1", fake.actor_id)
    await brest.sql(
        "UPDATE objects SET url = 'javascript:alert(2)', online_url = 'data:text/html,x',"
        " website = 'vbscript:x'"
    )
    [row] = await item_rows(brest)
    page = await page_of(brest, row)
    for scheme in ("javascript:", "data:text", "vbscript:"):
        assert scheme not in page
