"""Real instances: a circle follows two territories, and its feed filtered by one of them
shows only that territory's items, with their pictures; its exports agree."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

import icalendar

from server.publish import follows
from server.publish.objects import create_local
from tests.conftest import Instance, with_territory
from tests.federated.test_follow import settle
from tests.reader.seed import titles


async def test_the_circle_feed_filtered_by_territory_shows_only_its_items_with_pictures(
    brest: Instance, make_instance: Callable[..., Awaitable[Instance]]
) -> None:
    quimper = await with_territory(await make_instance("quimper.example"), "quimper", "Quimper")
    circle = await with_territory(await make_instance("cercle.example"), "cercle", "Cercle")
    for territory in (brest, quimper):
        await follows.follow(circle.ctx, f"@{territory.settings.domain.split('.')[0]}@"
                                         f"{territory.settings.domain}")
        await settle(territory, circle)
    published = {}
    for territory, title in ((brest, "Repair café de Recouvrance"),
                             (quimper, "Fest-noz du Locronan")):
        picture = f"http://{territory.settings.domain}/media/{title[:4].lower()}.png"
        row = await create_local(territory.ctx, "event", {
            "title": title, "start": "2027-01-09T20:00", "end": "2027-01-09T23:30",
            "timezone": "Europe/Paris",
            "themes": ["culture-bibliotheques"],
            "image": {"url": picture, "alt": f"Affiche : {title}"},
        })
        published[title] = picture
        await settle(territory, circle)
        assert row["iri"]

    everything = (await circle.client.get("/feed")).text
    assert set(map(html.unescape, titles(everything))) == set(published)
    only_brest = await circle.client.get("/feed", params={"territory": "brest@brest.example"})
    page = html.unescape(only_brest.text)
    assert titles(page) == ["Repair café de Recouvrance"]
    assert (f'<img class="thumb" src="{published["Repair café de Recouvrance"]}" '
            'alt="Affiche : Repair café de Recouvrance"') in page
    assert "Quimper" not in page[page.index('class="results"'):page.index('class="facets"')]

    cal = await circle.client.get("/feed.ics", params={"territory": "quimper@quimper.example"})
    events = icalendar.Calendar.from_ical(cal.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Fest-noz du Locronan"]
    agenda = html.unescape((await circle.client.get(
        "/agenda", params={"territory": "quimper@quimper.example"})).text)
    assert titles(agenda) == ["Fest-noz du Locronan"]
    territories = html.unescape((await circle.client.get("/territories")).text)
    assert "@brest@brest.example" in territories and "@quimper@quimper.example" in territories
