"""The demo's data file and what the demo makes of it, without running anything: every item
passes the publishing API's checks on any day, the agenda always has something coming, and
the cases the demo is there to show (cancelled, tentative, online, overseas) are all in it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from federation.themes import THEMES
from server.demo import network as net
from server.demo.watch import item_links, parse_item_page
from server.publish.objects import normalise_input

NETWORK = net.load(8000)
EVERY_ITEM = [(slug, item) for slug, items in NETWORK.items.items() for item in items]
CITED = ("politique publique du numérique", "doc@brest", "wiki-garrigues",
         "Territoire collectif", "Bretagne créative")


def _inputs(now: datetime) -> list[tuple[str, dict[str, object]]]:
    """(kind, API input) of every item, initiatives named by fake IRIs."""
    found = []
    for slug, items in NETWORK.items.items():
        base = NETWORK.instance(slug).base_url
        keys = {i["key"]: f"{base}/objects/{i['key']}" for i in items if i.get("key")}
        for item in net.publishing_order(items):
            found.append((item["kind"], net.api_input(item, now=now, base_url=base,
                                                      initiatives=keys)))
    return found


@pytest.mark.parametrize("now", [datetime(2026, 12, 2, 9, tzinfo=UTC),
                                 datetime(2027, 2, 28, 23, 30, tzinfo=UTC)])
def test_every_demo_item_passes_the_publishing_checks_whatever_the_day(now: datetime) -> None:
    for kind, data in _inputs(now):
        normalise_input(kind, data)  # raises InputError with the problems


def test_network_is_four_territories_and_a_circle_following_every_one() -> None:
    assert [i.slug for i in NETWORK.territories] == ["brest", "marseille", "garrigues", "rennes"]
    circle = NETWORK.circle
    assert circle.name == "Cercle des territoires contributifs"
    assert set(circle.follows) == {i.slug for i in NETWORK.territories}
    assert [i.port for i in NETWORK.instances] == [8000, 8001, 8002, 8003, 8004]
    assert all(set(i.follows) <= {j.slug for j in NETWORK.instances} - {i.slug}
               for i in NETWORK.instances)


def test_data_holds_the_cited_initiatives_and_the_cases_worth_showing() -> None:
    titles = " ".join(item["title"] for _, item in EVERY_ITEM)
    assert all(name in titles for name in CITED)
    events = [item for _, item in EVERY_ITEM if item["kind"] == "event"]
    assert 24 <= len(EVERY_ITEM) - 1 <= 40  # the circle's own text aside
    assert [e.get("status") for e in events].count("cancelled") == 1
    assert [e.get("status") for e in events].count("tentative") == 1
    assert [e["title"] for e in events if "latitude" not in e.get("place", {})] == [
        "Webinaire : documenter un projet en communs"
    ]
    [overseas] = [e for e in events if e.get("timezone")]
    assert overseas["timezone"] == "Indian/Reunion" and overseas["place"]["latitude"] < 0
    assert any(e["day"] < 0 for e in events) and sum(e["day"] > 0 for e in events) >= 15


def test_every_item_has_a_picture_of_the_project_and_known_themes() -> None:
    theme_ids = {theme.id for theme in THEMES}
    for slug, item in EVERY_ITEM:
        assert net.picture_path(item["picture"]).read_bytes().startswith(b"\x89PNG"), item
        assert item["picture_alt"]
        assert set(item["themes"]) <= theme_ids
        if item.get("initiative"):
            assert item["initiative"] in {i.get("key") for i in NETWORK.items[slug]}


def test_event_dates_count_from_today_where_the_event_happens() -> None:
    now = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # already the 3rd in La Réunion
    paris = {"day": 3, "start": "14:00", "end": "18:00"}
    assert net.event_times(paris, now) == ("2026-12-05T14:00", "2026-12-05T18:00", "Europe/Paris")
    reunion = {**paris, "timezone": "Indian/Reunion", "end_day": 4}
    assert net.event_times(reunion, now) == (
        "2026-12-06T14:00", "2026-12-07T18:00", "Indian/Reunion"
    )


def test_api_input_points_at_the_instance_media_and_links_the_initiative() -> None:
    brest = NETWORK.instance("brest")
    item = next(i for i in NETWORK.items["brest"] if i.get("initiative") == "doc-brest")
    data = net.api_input(item, now=datetime.now(UTC), base_url=brest.base_url,
                         initiatives={"doc-brest": "http://127.0.0.1:8000/objects/x"})
    assert data["initiative"] == "http://127.0.0.1:8000/objects/x"
    assert data["image"] == {
        "url": f"http://127.0.0.1:8000/media/{net.picture_file_name('wiki')}",
        "alt": item["picture_alt"],
    }
    assert not {"key", "day", "picture", "picture_alt", "kind"} & set(data)


def test_item_page_gives_origin_author_and_picture() -> None:
    page = """<html><head><meta property="og:url" content="http://127.0.0.1:8000/objects/a&amp;b">
    <meta property="og:image" content="http://127.0.0.1:8000/media/p.png"></head><body>
    <p class="kind">Événement · <a href="http://127.0.0.1:8000/@brest">Brest</a></p>
    <h1>Repair café</h1></body></html>"""
    item = parse_item_page(7, page)
    assert item is not None
    assert (item.iri, item.author_url, item.image_url, item.title) == (
        "http://127.0.0.1:8000/objects/a&b", "http://127.0.0.1:8000/@brest",
        "http://127.0.0.1:8000/media/p.png", "Repair café",
    )
    assert parse_item_page(8, "<html><h1>Introuvable</h1></html>") is None
    assert item_links('<a href="/items/3">x</a> <a href="/items/12">y</a>') == {3, 12}


def test_bench_reads_the_figures_the_demo_prints() -> None:
    from bench.demo import MEMORY, SETTLED

    settled = SETTLED.match("Network settled 9.4 s after the command (first run).")
    memory = MEMORY.match("Memory: 74 processes, 2468 MB resident (RSS), 684 MB proportional "
                          "(PSS).")
    assert settled and settled.group(1) == "9.4"
    assert memory and memory.groups() == ("74", "2468", "684")
