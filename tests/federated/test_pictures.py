"""A territory's pictures reach the territories that follow it (found by `maillage demo`:
pictures published through the API or the import never showed on the circle)."""

from __future__ import annotations

from server.publish import follows
from server.publish.objects import create_local
from tests.conftest import Instance
from tests.federated.test_follow import settle

PICTURE = "http://brest.example/media/0d3c4a8e-5f1b-4c47-9a3e-2b7c1f0e9d21.png"


async def test_picture_of_an_api_event_reaches_a_following_territory(
    brest: Instance, marseille: Instance
) -> None:
    await follows.follow(marseille.ctx, "@brest@brest.example")
    await settle(brest, marseille)
    row = await create_local(brest.ctx, "event", {
        "title": "Repair café de Recouvrance",
        "start": "2026-12-05T14:00", "end": "2026-12-05T18:00",
        "image": {"url": PICTURE, "alt": "Une clé et un engrenage"},
    })
    [attachment] = row["document"]["attachment"]
    assert attachment["mediaType"] == "image/png"
    await settle(brest, marseille)
    [received] = await marseille.sql(
        "SELECT image_url, image_alt FROM objects WHERE iri = $1", row["iri"]
    )
    assert (received["image_url"], received["image_alt"]) == (PICTURE, "Une clé et un engrenage")
