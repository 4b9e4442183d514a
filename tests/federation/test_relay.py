"""What a relaying circle sends each kind of follower (FEP-1b12 groups, Mastodon), decided
without I/O."""

from __future__ import annotations

from federation.relay import announce, announce_form, split_followers
from federation.vocab import PUBLIC

CIRCLE = "http://cercle.example/actors/cercle"
EVENT = "http://brest.example/objects/1"
CREATE = {"@context": ["https://www.w3.org/ns/activitystreams"], "id": "http://brest.example/activities/2",
          "type": "Create", "actor": "http://brest.example/actors/brest", "object": {"id": EVENT}}


def test_groups_get_the_activity_and_everyone_else_the_object() -> None:
    assert announce_form("Group") == "activity"
    assert [announce_form(kind) for kind in ("Person", "Service", "Application", None)] == [
        "object"] * 4
    followers = [("https://masto.example/users/a", "Person"),
                 ("http://rennes.example/actors/rennes", "Group"),
                 ("https://lemmy.example/c/communs", "Group"),
                 ("https://unknown.example/u", None)]
    assert split_followers(followers) == {
        "activity": ["http://rennes.example/actors/rennes", "https://lemmy.example/c/communs"],
        "object": ["https://masto.example/users/a", "https://unknown.example/u"],
    }


def test_announce_of_a_received_activity_keeps_it_exactly() -> None:
    sent = announce("http://cercle.example/activities/3", CIRCLE, CREATE,
                    followers=f"{CIRCLE}/followers", author=CREATE["actor"],
                    published="2026-12-02T10:00:00Z")
    assert sent["type"] == "Announce" and sent["actor"] == CIRCLE
    assert sent["object"] == CREATE  # FEP-1b12: preserved as received, its @context too
    assert sent["to"] == [PUBLIC]
    assert sent["cc"] == [f"{CIRCLE}/followers", "http://brest.example/actors/brest"]


def test_announce_of_an_object_is_a_boost_of_its_id() -> None:
    sent = announce("http://cercle.example/activities/4", CIRCLE, EVENT,
                    followers=f"{CIRCLE}/followers", author=None, published="2026-12-02T10:00:00Z")
    assert sent["object"] == EVENT and sent["cc"] == [f"{CIRCLE}/followers"]
