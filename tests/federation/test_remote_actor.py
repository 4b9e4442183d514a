"""Remote actor documents: what we keep of them, and which of their links we trust."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from federation.remote_actor import parse_actor

FIXTURES = Path(__file__).parent.parent / "fixtures"


def mastodon_actor(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(json.loads((FIXTURES / "mastodon/actor-person.json").read_text("utf-8")))
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_an_actor_keeps_its_http_profile_url_and_icon() -> None:
    doc = mastodon_actor()
    actor = parse_actor(doc, doc["id"])
    assert actor.url == doc["url"]
    assert actor.icon_url == doc["icon"]["url"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        {"type": "Link", "href": "javascript:alert(1)"},
        ["vbscript:x", {"href": "javascript:y"}],
    ],
)
def test_an_actor_url_that_is_not_http_is_dropped(url: Any) -> None:
    doc = mastodon_actor(url=url, icon={"type": "Image", "url": "javascript:alert(2)"})
    actor = parse_actor(doc, doc["id"])
    assert actor.url is None
    assert actor.icon_url is None


def test_an_actor_url_list_yields_its_first_http_entry() -> None:
    doc = mastodon_actor(url=["javascript:x", {"href": "https://mastodon.social/@Gargron"}])
    assert parse_actor(doc, doc["id"]).url == "https://mastodon.social/@Gargron"
