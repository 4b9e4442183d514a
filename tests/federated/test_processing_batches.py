"""A claimed batch is applied set-wise (issue 11) without weakening the hardening of
issue 8: each row still says what was done with it, a failure is still the failing
activity's alone, and one actor's activities still apply in the order received."""

from __future__ import annotations

from typing import Any

from server.receive.processing import InboxProcessor, process_inbox_batch
from tests.conftest import Instance
from tests.federated.test_objects import followed_fake
from tests.network import FakeMastodon, Network

INBOX = "http://brest.example/inbox"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def about_event(fake: FakeMastodon, kind: str, n: int, title: str) -> dict[str, Any]:
    event = {
        "id": f"{fake.actor_id}/events/{n}", "type": "Event", "attributedTo": fake.actor_id,
        "name": title, "startTime": "2026-12-05T14:00:00+01:00", "to": [PUBLIC],
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{event['id']}#{kind.lower()}-{title}", "type": kind, "actor": fake.actor_id,
        "object": event, "to": [PUBLIC],
    }


async def rows_by_iri(instance: Instance) -> dict[str, Any]:
    return {r["activity_iri"]: r for r in await instance.sql("SELECT * FROM inbox_log")}


async def followed_fakes(brest: Instance, network: Network, count: int) -> list[FakeMastodon]:
    fakes = [
        await followed_fake(brest, network, f"t{n}.example", f"territoire{n}")
        for n in range(count)
    ]
    await brest.run_worker()  # the Accepts
    return fakes



async def refuse_poison(instance: Instance) -> None:
    """PostgreSQL refuses to store an object titled "Poison" (a failure inside a batch)."""
    await instance.sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN IF NEW.title = 'Poison' THEN RAISE EXCEPTION 'poisoned row'; END IF;"
        " RETURN NEW; END $$"
    )
    await instance.sql(
        "CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON objects"
        " FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
    )

async def test_creates_from_several_actors_are_stored_in_one_batch_each_row_saying_so(
    brest: Instance, network: Network
) -> None:
    fakes = await followed_fakes(brest, network, 3)
    sent = [about_event(fake, "Create", 1, f"Atelier {n}") for n, fake in enumerate(fakes)]
    for fake, create in zip(fakes, sent, strict=True):
        assert (await fake.send(create, INBOX)).status_code == 202

    assert await process_inbox_batch(brest.ctx) == 3
    rows = await rows_by_iri(brest)
    for create in sent:
        row = rows[create["id"]]
        assert row["processed_at"] is not None and row["attempts"] == 1
        assert row["result"] == f"stored event {create['object']['id']}"
    titles = {r["title"] for r in await brest.sql("SELECT title FROM objects WHERE NOT local")}
    assert titles == {"Atelier 0", "Atelier 1", "Atelier 2"}


async def test_an_object_postgresql_refuses_fails_alone_and_the_rest_of_the_batch_is_kept(
    brest: Instance, network: Network
) -> None:
    await refuse_poison(brest)
    fakes = await followed_fakes(brest, network, 3)
    good = [about_event(fakes[0], "Create", 1, "Atelier"),
            about_event(fakes[2], "Create", 1, "Jardin")]
    poison = about_event(fakes[1], "Create", 1, "Poison")
    for fake, create in ((fakes[0], good[0]), (fakes[1], poison), (fakes[2], good[1])):
        assert (await fake.send(create, INBOX)).status_code == 202

    assert await process_inbox_batch(brest.ctx) == 3
    rows = await rows_by_iri(brest)
    failed = rows[poison["id"]]
    assert failed["processed_at"] is None and failed["attempts"] == 1
    assert failed["result"].startswith("failed (attempt 1 of 5): RaiseError: poisoned row")
    for create in good:
        assert rows[create["id"]]["processed_at"] is not None
        assert rows[create["id"]]["result"].startswith("stored event")
    titles = {r["title"] for r in await brest.sql("SELECT title FROM objects WHERE NOT local")}
    assert titles == {"Atelier", "Jardin"}


async def test_a_create_then_two_updates_of_one_object_in_one_batch_keep_the_last(
    brest: Instance, network: Network
) -> None:
    [fake] = await followed_fakes(brest, network, 1)
    sent = [about_event(fake, "Create", 1, "Atelier"),
            about_event(fake, "Update", 1, "Atelier (reporté)"),
            about_event(fake, "Update", 1, "Atelier (annulé)")]
    for activity in sent:
        assert (await fake.send(activity, INBOX)).status_code == 202

    assert await process_inbox_batch(brest.ctx) == 3
    [stored] = await brest.sql("SELECT title FROM objects WHERE NOT local")
    assert stored["title"] == "Atelier (annulé)"
    rows = await rows_by_iri(brest)
    assert all(rows[a["id"]]["result"].startswith("stored event") for a in sent)


async def test_an_actors_create_then_delete_in_one_batch_apply_in_that_order(
    brest: Instance, network: Network
) -> None:
    [fake] = await followed_fakes(brest, network, 1)
    create = about_event(fake, "Create", 1, "Atelier")
    delete = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fake.actor_id}/events/1#delete", "type": "Delete", "actor": fake.actor_id,
        "object": create["object"]["id"], "to": [PUBLIC],
    }
    for activity in (create, delete):
        assert (await fake.send(activity, INBOX)).status_code == 202

    assert await process_inbox_batch(brest.ctx) == 2
    assert await brest.sql("SELECT 1 FROM objects WHERE NOT local") == []
    rows = await rows_by_iri(brest)
    assert rows[create["id"]]["result"].startswith("stored event")
    assert rows[delete["id"]]["result"].startswith("removed")


async def test_after_a_failed_batch_one_actors_activities_still_apply_in_order(
    brest: Instance, network: Network
) -> None:
    await refuse_poison(brest)
    fake, poisoner = await followed_fakes(brest, network, 2)
    sent = [about_event(fake, "Create", 1, "Atelier"),
            about_event(fake, "Update", 1, "Atelier (reporté)"),
            about_event(fake, "Update", 1, "Atelier (annulé)")]
    assert (await poisoner.send(about_event(poisoner, "Create", 1, "Poison"), INBOX)
            ).status_code == 202
    for activity in sent:
        assert (await fake.send(activity, INBOX)).status_code == 202

    assert await process_inbox_batch(brest.ctx) == 4
    [stored] = await brest.sql("SELECT title FROM objects WHERE NOT local")
    assert stored["title"] == "Atelier (annulé)"


async def test_the_workers_overlapping_batches_keep_one_actors_order(
    brest: Instance, network: Network
) -> None:
    """The worker claims and decides the next batch while the last one writes; the next
    one writes only after it, so a Create then its Updates in three batches end updated."""
    [fake] = await followed_fakes(brest, network, 1)
    sent = [about_event(fake, "Create", 1, "Atelier"),
            about_event(fake, "Update", 1, "Atelier (reporté)"),
            about_event(fake, "Update", 1, "Atelier (annulé)")]
    for activity in sent:
        assert (await fake.send(activity, INBOX)).status_code == 202

    inbox = InboxProcessor(brest.ctx, limit=1)
    assert [await inbox.step() for _ in range(4)] == [1, 1, 1, 0]
    await inbox.close()
    [stored] = await brest.sql("SELECT title FROM objects WHERE NOT local")
    assert stored["title"] == "Atelier (annulé)"
    rows = await rows_by_iri(brest)
    assert all(rows[a["id"]]["processed_at"] is not None for a in sent)
