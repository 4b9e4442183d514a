"""Private posts stay private (issue 8, item 6): only objects addressed to the public
collection are stored and listed; followers-only or territory-only ones are ignored."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import Instance, load_fixture
from tests.federated.test_follow import BREST
from tests.federated.test_worker_survives import INBOX, follow_and_accept
from tests.network import FakeMastodon, Network


def gancio_create(fake: FakeMastodon, n: int, to: list[str], cc: list[str]) -> dict[str, Any]:
    create = copy.deepcopy(load_fixture("gancio/create-event.json"))
    obj = create["object"]
    obj.update(id=f"{fake.actor_id}/events/{n}", attributedTo=fake.actor_id, to=to, cc=cc)
    obj["name"] = f"Soirée {n}"
    create.update(id=f"{obj['id']}#create", actor=fake.actor_id, to=to, cc=cc)
    return create


@pytest.mark.parametrize(
    ("to", "cc", "kept"),
    [
        (["https://www.w3.org/ns/activitystreams#Public"], [], True),
        (["{followers}"], ["as:Public"], True),
        (["{followers}"], [], False),
        ([BREST], [], False),
    ],
    ids=["public", "as:Public in cc", "followers only", "territory only"],
)
async def test_only_objects_addressed_to_the_public_are_stored_and_listed(
    brest: Instance, network: Network, to: list[str], cc: list[str], kept: bool
) -> None:
    fake = FakeMastodon(network, host="demo.gancio.org", username="gancio")
    await follow_and_accept(brest, fake)
    await brest.run_worker()
    followers = f"{fake.actor_id}/followers"
    to = [followers if a == "{followers}" else a for a in to]
    cc = [followers if a == "{followers}" else a for a in cc]
    create = gancio_create(fake, 1, to, cc)
    assert (await fake.send(create, INBOX)).status_code == 202
    await brest.run_worker()
    stored = await brest.sql("SELECT 1 FROM objects WHERE iri = $1", create["object"]["id"])
    home = (await brest.client.get("/feed")).text  # the public listing of the network
    assert bool(stored) is kept
    assert ("Soirée 1" in home) is kept
    [row] = await brest.sql("SELECT result FROM inbox_log WHERE activity_iri = $1", create["id"])
    if not kept:
        assert "not addressed to the public" in row["result"]
