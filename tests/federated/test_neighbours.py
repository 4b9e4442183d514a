"""A network grows from one circle to the next: an administrator sees, on /territories, the
territories that the ones it follows follow, and follows one with a button."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

from server.publish import follows
from server.receive.neighbours import pick
from tests.conftest import Instance, with_territory
from tests.federated.test_follow import settle
from tests.instance.test_admin import add_account, get, post, sign_in

QUIMPER = "http://quimper.example/actors/quimper"


def test_suggestions_leave_out_ourselves_and_those_followed_and_rank_by_mentions() -> None:
    sources = [("Brest", ["https://a/x", "https://me", "https://b/y"]),
               ("Lorient", ["https://b/y", "https://c/z", "https://followed"])]
    assert pick(sources, {"https://me", "https://followed"}) == [
        ("https://b/y", ("Brest", "Lorient")), ("https://a/x", ("Brest",)),
        ("https://c/z", ("Lorient",))]


async def test_an_administrator_follows_a_territory_named_in_a_followed_ones_following(
    brest: Instance, make_instance: Callable[..., Awaitable[Instance]]
) -> None:
    quimper = await with_territory(await make_instance("quimper.example"), "quimper", "Quimper")
    circle = await with_territory(await make_instance("cercle.example"), "cercle", "Cercle")
    await follows.follow(brest.ctx, "@quimper@quimper.example")
    await settle(brest, quimper)
    await follows.follow(circle.ctx, "@brest@brest.example")
    await settle(brest, circle)

    visitor = html.unescape((await get(circle, "/territories")).text)
    assert "Suivis par votre réseau" not in visitor

    await add_account(circle, "admin@cercle.example", "admin")
    await sign_in(circle, "admin@cercle.example")
    page = html.unescape((await get(circle, "/territories")).text)
    section = page[page.index("Suivis par votre réseau"):]
    assert "Quimper" in section and "@quimper@quimper.example" in section
    assert "suivi par Brest" in section
    assert f'name="handle" value="{QUIMPER}"' in section
    csrf = re.search(r'name="csrf" value="([^"]+)"', section)[1]

    done = await post(circle, "/admin/follow", {"csrf": csrf, "handle": QUIMPER})
    assert done.status_code == 303
    await settle(circle, quimper)
    [row] = await circle.sql("SELECT state FROM follows WHERE followee_iri = $1", QUIMPER)
    assert row["state"] == "accepted"
