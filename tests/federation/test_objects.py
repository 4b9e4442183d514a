"""Initiatives and events as AS2: what we publish, and what Mobilizon, Gancio and we send."""

from __future__ import annotations

import copy
import html
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from federation import themes
from federation.objects import (
    Image,
    InvalidObject,
    LocalObject,
    Place,
    PostalAddress,
    UnsupportedType,
    context_document,
    format_when,
    markdown_to_html,
    parse_location,
    parse_remote,
    sanitize_html,
    to_as2,
)
from federation.vocab import PUBLIC

FIXTURES = Path(__file__).parent.parent / "fixtures"
CONTEXT_URL = "https://brest.example/ns/maillage.jsonld"
PARIS = ZoneInfo("Europe/Paris")
BASE = "https://brest.example"
ACTOR = f"{BASE}/actors/brest"


def fixture(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text("utf-8"))


def local_event(**changes: Any) -> LocalObject:
    values: dict[str, Any] = {
        "kind": "event",
        "id": f"{BASE}/events/42",
        "url": f"{BASE}/agenda/atelier-reparation",
        "actor": ACTOR,
        "followers": f"{ACTOR}/followers",
        "title": "Atelier réparation & couture",
        "published": datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        "updated": datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
        "summary": "Apportez vos objets cassés <et> vos questions.",
        "content_html": sanitize_html(
            '<p>On répare <strong>ensemble</strong>. <a href="https://repair.example/">Site</a></p>'
        ),
        "themes": ["tiers-lieux", "culture-bibliotheques"],
        "place": Place(
            "Médiathèque des Capucins",
            PostalAddress("25 rue de Pontaniou", "29200", "Brest", "Bretagne", "France"),
            48.3897,
            -4.5003,
        ),
        "image": Image(
            f"{BASE}/media/atelier.jpg", "image/jpeg", "Des outils sur un établi", (0.25, -0.5)
        ),
        "start": datetime(2026, 12, 5, 14, 0, tzinfo=PARIS),
        "end": datetime(2026, 12, 5, 17, 0, tzinfo=PARIS),
        "timezone": "Europe/Paris",
        "status": "tentative",
        "initiative": f"{BASE}/initiatives/7",
    }
    values.update(changes)
    return LocalObject(**values)


def local_initiative(**changes: Any) -> LocalObject:
    values: dict[str, Any] = {
        "kind": "initiative",
        "id": f"{BASE}/initiatives/7",
        "url": f"{BASE}/initiatives/repair-cafe",
        "actor": ACTOR,
        "followers": f"{ACTOR}/followers",
        "title": "Repair café des Capucins",
        "published": datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        "summary": "Un samedi par mois, on répare.",
        "content_html": "<p>Depuis 2019.</p>",
        "themes": ["transition-ecologique", "tiers-lieux"],
        "place": Place("Les Capucins", PostalAddress(locality="Brest"), 48.39, -4.5),
        "website": "https://repaircafe-brest.example/",
        "contact": "contact@repaircafe-brest.example",
        "stage": "running",
        "organisers": ["Association Réparons", "Médiathèque"],
    }
    values.update(changes)
    return LocalObject(**values)


# ------------------------------------------------------------------------ publishing


def test_event_carries_the_fields_fep_8a8e_and_mastodon_need() -> None:
    doc = to_as2(local_event(), CONTEXT_URL)
    assert doc["@context"][:2] == ["https://www.w3.org/ns/activitystreams", CONTEXT_URL]
    assert doc["type"] == "Event"
    assert doc["name"] == "Atelier réparation & couture"
    assert doc["startTime"] == "2026-12-05T14:00:00+01:00"
    assert doc["endTime"] == "2026-12-05T17:00:00+01:00"
    assert doc["timezone"] == "Europe/Paris"
    assert doc["ical:status"] == "TENTATIVE"
    assert doc["attributedTo"] == ACTOR
    assert doc["to"] == [PUBLIC]
    assert doc["cc"] == [f"{ACTOR}/followers"]
    assert doc["published"] == "2026-11-02T08:30:00Z"
    assert doc["url"] == f"{BASE}/agenda/atelier-reparation"
    assert doc["location"]["type"] == "Place"
    assert doc["location"]["address"]["type"] == "PostalAddress"
    assert doc["location"]["address"]["postalCode"] == "29200"
    assert doc["location"]["latitude"] == 48.3897
    [image] = doc["attachment"]
    assert image == {
        "type": "Document",
        "url": f"{BASE}/media/atelier.jpg",
        "mediaType": "image/jpeg",
        "name": "Des outils sur un établi",
        "focalPoint": [0.25, -0.5],
    }
    assert [tag["name"] for tag in doc["tag"]] == ["#TiersLieux", "#Culture"]
    assert all(tag["type"] == "Hashtag" and tag["href"].startswith(BASE) for tag in doc["tag"])
    # Every term we use is defined: by the AS2 context, inline, or our context document.
    ours = context_document()["@context"]
    inline = doc["@context"][2]
    for key in doc:
        assert key.startswith("@") or key in AS2_TERMS or key in ours or ":" in key, key
    assert "themes" not in inline and "timezone" in inline


AS2_TERMS = {
    "id", "type", "name", "summary", "content", "mediaType", "url", "attributedTo", "to",
    "cc", "published", "updated", "startTime", "endTime", "location", "attachment", "tag",
}  # fmt: skip


def test_summary_tells_a_mastodon_reader_when_where_and_what_in_french() -> None:
    summary = to_as2(local_event(), CONTEXT_URL)["summary"]
    first, second = summary.split("</p><p>")
    assert "samedi 5 décembre 2026, 14:00–17:00 (Europe/Paris)" in first
    assert "Médiathèque des Capucins, Brest" in first
    assert first.startswith("<p>À confirmer · ")
    assert "#<span>TiersLieux</span>" in first and "#<span>Culture</span>" in first
    assert "Apportez vos objets cassés &lt;et&gt; vos questions." in second


def test_summary_date_is_in_the_events_time_zone_whatever_the_stored_zone() -> None:
    start = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 in Paris, 04:00 in Montreal
    paris = to_as2(local_event(start=start, end=None, timezone="Europe/Paris"), CONTEXT_URL)
    assert "mercredi 1 juillet 2026, 10:00 (Europe/Paris)" in paris["summary"]
    assert paris["startTime"] == "2026-07-01T10:00:00+02:00"
    assert "endTime" not in paris
    montreal = to_as2(local_event(start=start, end=None, timezone="America/Montreal"), CONTEXT_URL)
    assert "04:00 (America/Montreal)" in montreal["summary"]
    assert montreal["startTime"] == "2026-07-01T04:00:00-04:00"


def test_format_when_across_days_and_in_english() -> None:
    start = datetime(2026, 12, 5, 22, 0, tzinfo=PARIS)
    end = datetime(2026, 12, 6, 2, 0, tzinfo=PARIS)
    assert format_when(start, end, "Europe/Paris") == (
        "samedi 5 décembre 2026, 22:00 – dimanche 6 décembre 2026, 02:00 (Europe/Paris)"
    )
    english = format_when(start, None, "Europe/Paris", "en")
    assert english.startswith("Saturday, December 5, 2026, 10:00") and "PM" in english


def test_cancelled_event_says_so_first() -> None:
    doc = to_as2(local_event(status="cancelled"), CONTEXT_URL)
    assert doc["ical:status"] == "CANCELLED"
    assert doc["summary"].startswith("<p>ANNULÉ · ")


def test_initiative_is_a_page_with_our_kind_and_terms() -> None:
    doc = to_as2(local_initiative(), CONTEXT_URL)
    assert doc["type"] == "Page"  # a plain string, so Mastodon renders it
    assert doc["maillageKind"] == "initiative"
    assert doc["url"] == f"{BASE}/initiatives/repair-cafe"
    assert doc["website"] == "https://repaircafe-brest.example/"
    assert doc["stage"] == "running"
    assert doc["organisers"] == ["Association Réparons", "Médiathèque"]
    assert doc["contact"] == "contact@repaircafe-brest.example"
    assert "startTime" not in doc and "ical:status" not in doc
    assert doc["summary"].startswith("<p>Initiative en cours · Les Capucins, Brest · ")
    assert ">repaircafe-brest.example</a>" in doc["summary"]
    assert "#<span>TransitionEcologique</span>" in doc["summary"]


def test_context_document_defines_our_terms_under_the_mai_namespace() -> None:
    terms = context_document()["@context"]
    assert terms["mai"] == "https://ns.maillage.org/v1#"
    for term in ("maillageKind", "themes", "stage", "website", "contact", "organisers"):
        definition = terms[term]
        target = definition["@id"] if isinstance(definition, dict) else definition
        assert target.startswith("mai:"), term
    for term in ("timezone", "joinMode", "isOnline", "contacts", "category", "focalPoint"):
        assert term in terms
    for term in ("PostalAddress", "streetAddress", "postalCode", "addressLocality"):
        assert terms[term].startswith("sc:")


# ------------------------------------------------------------------------ round trip


def assert_round_trip(local: LocalObject) -> None:
    doc = json.loads(json.dumps(to_as2(local, CONTEXT_URL)))  # as it travels
    remote = parse_remote(doc, fetched_from=local.id)
    assert remote.kind == local.kind
    assert remote.id == local.id
    assert remote.attributed_to == local.actor
    assert remote.url == local.url
    assert remote.title == local.title
    assert html.unescape(remote.summary) == local.summary
    assert remote.content_html == local.content_html
    assert remote.themes == local.themes
    assert remote.other_tags == ()
    assert remote.place == local.place
    assert remote.image == local.image
    assert remote.published == local.published
    assert remote.updated == local.updated
    assert remote.website == local.website
    assert remote.contact == local.contact
    assert remote.stage == local.stage
    assert remote.organisers == local.organisers
    assert remote.start == local.start
    assert remote.end == local.end
    assert remote.timezone == local.timezone
    assert remote.initiative == local.initiative
    assert remote.document == doc
    if local.kind == "event":
        assert remote.status == local.status


def test_event_round_trip_keeps_every_field() -> None:
    assert_round_trip(local_event())


def test_initiative_round_trip_keeps_every_field() -> None:
    assert_round_trip(local_initiative())


def test_round_trip_of_a_bare_event() -> None:
    assert_round_trip(
        local_event(
            summary="",
            content_html="",
            themes=[],
            place=None,
            image=None,
            updated=None,
            initiative=None,
            status="confirmed",
            end=None,
        )
    )


# ------------------------------------------------------------------------ Mobilizon


def test_mobilizon_event() -> None:
    remote = parse_remote(fixture("mobilizon/event.json"))
    assert remote.kind == "event"
    assert remote.title == "Caledonian scottish dance class"
    assert remote.attributed_to == "https://rendezvous.nomagic.uk/@devon_caledonian_society"
    assert remote.start == datetime(2022, 12, 11, 19, 0, tzinfo=UTC)
    assert remote.end == datetime(2022, 12, 11, 21, 0, tzinfo=UTC)
    assert remote.timezone == "Europe/London"
    assert remote.status == "confirmed"
    assert remote.place == Place(
        "The Kenn Centre",
        PostalAddress(
            street="Devon Expressway",
            postal_code="EX6 7TW",
            locality="Teignbridge",
            region="England",
            country="United Kingdom",
        ),
        50.66881615,
        -3.537739788359949,
    )
    assert remote.image is not None
    assert remote.image.url.startswith("https://rendezvous.nomagic.uk/media/cd75bf2f")
    assert remote.image.media_type == "image/jpeg"
    assert remote.image.alt == "Banner"
    assert remote.other_tags == ("Dance", "Caledonian", "Lesson")
    assert remote.published == datetime(2022, 9, 27, 14, 33, 14, tzinfo=UTC)
    assert remote.updated == datetime(2022, 9, 27, 14, 39, 18, tzinfo=UTC)
    assert 'href="https://www.exeterceilidhs.net/"' in remote.content_html
    assert "target=" not in remote.content_html


def test_mobilizon_2019_event_with_geo_coordinates() -> None:
    remote = parse_remote(fixture("mobilizon/event-2019.json"))
    assert remote.start == datetime(2019, 12, 18, 13, 0, tzinfo=UTC)
    assert remote.timezone == "UTC"  # no `timezone`: derived from the offset
    assert remote.place is not None
    assert remote.place.name == "Cour du Château des Ducs de Bretagne"
    # streetAddress " " and postalCode null are no data.
    assert remote.place.address == PostalAddress(
        locality="Nantes", region="Pays de la Loire", country="France"
    )
    # Read as sent: Mobilizon 1.0 beta had latitude and longitude swapped.
    assert (remote.place.latitude, remote.place.longitude) == (-1.54939699141711, 47.21617415)
    assert remote.image is None
    assert "<u>" in remote.content_html


# ------------------------------------------------------------------------ Gancio


def test_gancio_event_from_its_create_activity() -> None:
    activity = fixture("gancio/create-event.json")
    remote = parse_remote(activity["object"], fetched_from=activity["object"]["id"])
    assert remote.title == "Demo event"
    assert remote.url == "https://demo.gancio.org/event/demo-event"
    assert remote.attributed_to == "https://demo.gancio.org/federation/u/gancio"
    assert remote.start == datetime(2021, 7, 14, 17, 30, 57, tzinfo=timezone(timedelta(hours=2)))
    assert remote.end is not None and remote.end - remote.start == timedelta(hours=1)
    assert remote.timezone == "Etc/GMT-2"  # Gancio sends no `timezone`: from the offset
    assert remote.place == Place("Colosseo")
    assert remote.other_tags == ("test",)
    assert "Colosseo" in remote.summary


def test_a_create_activity_itself_is_not_parsed_as_an_event() -> None:
    with pytest.raises(UnsupportedType, match="activity"):
        parse_remote(fixture("gancio/create-event.json"))


@pytest.mark.parametrize(
    ("name", "place", "online"),
    [
        ("physical-location-no-address", Place("Location with a name"), None),
        (
            "physical-location-with-postal-address",
            Place(
                "Location with a postal address",
                PostalAddress(
                    "15 Fediverse Street", "8010", "Fediverse Town", "Steiermark", "Austria"
                ),
            ),
            None,
        ),
        (
            "physical-location-with-simple-string-address",
            Place(
                "Location with a simple string address",
                PostalAddress(street="Simple string address"),
            ),
            None,
        ),
        ("physical-location-without-id", Place("Location without id"), None),
        ("virtual-location", None, "https://virtual.location.org"),
        ("multiple-mixed-locations", Place("Location with a name"), "https://virtual.location.org"),
        ("bad-location-without-a-name", None, None),
    ],
)
def test_gancio_place_shapes(name: str, place: Place | None, online: str | None) -> None:
    location = fixture(f"gancio/{name}.json")
    assert parse_location(location) == (place, online)
    doc = gancio_event(location=location)
    remote = parse_remote(doc)
    assert (remote.place, remote.online_url) == (place, online)


def gancio_event(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(fixture("gancio/create-event.json")["object"])
    doc.update(changes)
    return doc


def test_gancio_image_document_with_focal_point_and_link_online_address() -> None:
    doc = gancio_event(
        attachment=[
            {
                "type": "Document",
                "mediaType": "image/webp",
                "url": "https://demo.gancio.org/media/x.webp",
                "name": "Affiche",
                "focalPoint": [0, 0.3],
            },
            {"type": "Link", "href": "https://visio.example/room"},
        ],
        location=None,
    )
    remote = parse_remote(doc)
    assert remote.image == Image(
        "https://demo.gancio.org/media/x.webp", "image/webp", "Affiche", (0, 0.3)
    )
    assert remote.online_url == "https://visio.example/room"
    assert remote.place is None


# ------------------------------------------------------------------------ rejected shapes


@pytest.mark.parametrize("relative", ["mastodon/objects-note.json", "friendica/objects-page.json"])
def test_notes_and_pages_from_microblogs_are_not_events(relative: str) -> None:
    with pytest.raises(UnsupportedType):
        parse_remote(fixture(relative))


def test_a_page_is_an_initiative_only_with_our_kind() -> None:
    doc = to_as2(local_initiative(), CONTEXT_URL)
    del doc["maillageKind"]
    with pytest.raises(UnsupportedType):
        parse_remote(doc)


def test_event_without_start_time_is_invalid() -> None:
    doc = gancio_event()
    del doc["startTime"]
    with pytest.raises(InvalidObject, match="startTime: missing"):
        parse_remote(doc)


def test_event_without_offset_or_zone_is_invalid_but_a_zone_makes_it_local() -> None:
    with pytest.raises(InvalidObject, match="startTime"):
        parse_remote(gancio_event(startTime="2021-07-14T17:30:00"))
    remote = parse_remote(gancio_event(startTime="2021-07-14T17:30:00", timezone="Europe/Rome"))
    assert remote.start == datetime(2021, 7, 14, 17, 30, tzinfo=ZoneInfo("Europe/Rome"))
    assert remote.timezone == "Europe/Rome"


def test_an_end_before_the_start_is_dropped() -> None:
    remote = parse_remote(gancio_event(endTime="2021-07-14T10:00:00+02:00"))
    assert remote.end is None


def test_name_far_too_long_is_invalid_and_long_titles_are_capped() -> None:
    with pytest.raises(InvalidObject, match="name: too long"):
        parse_remote(gancio_event(name="x" * 2001))
    remote = parse_remote(gancio_event(name="Très " * 100))
    assert len(remote.title) == 200 and remote.title.endswith("…")
    assert "\n" not in parse_remote(gancio_event(name="Deux\nlignes\t!")).title


def test_author_must_be_on_the_objects_origin_and_the_id_on_the_fetched_one() -> None:
    with pytest.raises(InvalidObject, match="attributedTo"):
        parse_remote(gancio_event(attributedTo="https://elsewhere.example/u/x"))
    with pytest.raises(InvalidObject, match="attributedTo"):
        parse_remote({k: v for k, v in gancio_event().items() if k != "attributedTo"})
    with pytest.raises(InvalidObject, match="origin"):
        parse_remote(gancio_event(), fetched_from="https://elsewhere.example/objects/1")


def test_wrong_types_are_invalid() -> None:
    with pytest.raises(InvalidObject, match="name"):
        parse_remote(gancio_event(name=["a list"]))
    with pytest.raises(InvalidObject, match="id"):
        parse_remote(gancio_event(id="javascript:alert(1)"))


# ------------------------------------------------------------------------ hostile content

HOSTILE = (
    '<p onclick="steal()">Bonjour<script>alert(1)</script>'
    '<a href="javascript:alert(2)">a</a><a href="JaVaScRiPt:alert(3)">b</a>'
    '<a href=" java\tscript:alert(4)">c</a><img src=x onerror="alert(5)">'
    '<iframe src="https://evil.example"></iframe><style>p{}</style>'
    '<a href="https://ok.example/" onmouseover="x()" style="color:red">ok</a>'
    '<a href="data:text/html,<script>alert(6)</script>">d</a></p>'
)


def assert_harmless(text: str) -> None:
    lowered = text.lower()
    for needle in ("<script", "alert(", "javascript", "onclick", "onerror", "onmouseover",
                   "<iframe", "<style", "<img", "style=", "data:"):  # fmt: skip
        assert needle not in lowered, (needle, text)


def test_hostile_html_in_remote_content_and_summary_never_survives() -> None:
    remote = parse_remote(gancio_event(content=HOSTILE, summary=HOSTILE, name="<b>x</b>"))
    assert_harmless(remote.content_html)
    assert_harmless(remote.summary)
    assert '<a href="https://ok.example/" rel="nofollow noopener noreferrer">ok</a>' in (
        remote.content_html
    )
    assert remote.title == "<b>x</b>"  # plain text: the template escapes it


def test_relative_links_are_resolved_against_the_object_or_dropped() -> None:
    remote = parse_remote(gancio_event(content='<a href="/event/x">x</a>'))
    assert 'href="https://demo.gancio.org/event/x"' in remote.content_html
    assert "href" not in sanitize_html('<a href="/event/x">x</a>')


def test_sanitize_html_is_idempotent_and_keeps_the_allowed_set() -> None:
    text = (
        "<h1>T</h1><h2>S</h2><p>a<br><strong>b</strong> <em>c</em></p><ul><li>d</li></ul>"
        '<ol><li>e</li></ol><blockquote>f</blockquote><a href="mailto:x@y.example">m</a>'
    )
    once = sanitize_html(text)
    assert sanitize_html(once) == once
    assert "<h1>" not in once and "<h2>S</h2>" in once and "<blockquote>f</blockquote>" in once
    assert 'href="mailto:x@y.example"' in once
    assert sanitize_html(HOSTILE) == sanitize_html(sanitize_html(HOSTILE))


def test_long_content_is_capped_without_breaking_markup() -> None:
    remote = parse_remote(gancio_event(summary="<p>" + "é&" * 2000 + "</p>"))
    assert len(remote.summary) <= 1000
    assert remote.summary.startswith("<p>") and remote.summary.endswith("</p>")


def test_markdown_to_html() -> None:
    out = markdown_to_html(
        "# Titre\n\nLigne un\nligne deux, voir https://example.org/a_b_c.\n\n"
        "**gras** et *em*\n\n- un\n- deux\n\n[piège](javascript:alert(1)) <script>x()</script>"
    )
    assert "<h2>Titre</h2>" in out
    assert "Ligne un<br>" in out
    assert '<a href="https://example.org/a_b_c" rel="nofollow noopener noreferrer">' in out
    assert "</a>." in out  # the full stop is not part of the URL
    assert "<strong>gras</strong> et <em>em</em>" in out
    assert "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>" in out
    assert_harmless(out)
    assert markdown_to_html("") == "" and markdown_to_html("  \n") == ""


# ------------------------------------------------------------------------ themes


def test_themes_map_from_hashtags_whatever_their_case_and_accents() -> None:
    doc = gancio_event(
        tag=[
            {"type": "Hashtag", "name": "#tiers-lieux", "href": "/tags/tiers-lieux"},
            {"type": "Hashtag", "name": "#SANTÉ"},
            {"type": "Hashtag", "name": "#Transition_Ecologique"},
            {"type": "Hashtag", "name": "#Jardinage"},
            {"type": "Mention", "name": "@someone@example.org"},
            {"type": "Hashtag", "name": "#TiersLieux"},
        ]
    )
    remote = parse_remote(doc)
    assert remote.themes == ("tiers-lieux", "sante", "transition-ecologique")
    assert remote.other_tags == ("Jardinage",)


def test_theme_vocabulary() -> None:
    assert len(themes.THEMES) == 12
    assert len(themes.THEME_IDS) == 12
    for theme in themes.THEMES:
        assert theme.hashtag.isascii() and theme.hashtag.isalnum() and theme.hashtag[0].isupper()
        assert themes.by_id(theme.id) is theme
        assert themes.by_hashtag(theme.tag_name) is theme
        assert themes.by_hashtag(theme.label_fr) is theme
        assert themes.by_hashtag(theme.tag_name.lower()) is theme
    assert themes.by_hashtag("#TiersLieux").label("fr") == "Tiers-lieux"
    assert themes.by_hashtag("#ThirdPlaces").label("en") == "Third places"
    assert themes.by_hashtag("#Économie-Sociale-et-Solidaire").id == "economie-sociale-solidaire"
    assert themes.by_hashtag("#Dance") is None
    assert themes.by_hashtag("#") is None
    assert themes.by_id("nope") is None


def test_the_input_schema_lists_exactly_the_vocabulary() -> None:
    schema = json.loads((Path(__file__).parents[2] / "schemas/event.schema.json").read_text())
    assert set(schema["$defs"]["themes"]["items"]["enum"]) == themes.THEME_IDS


# ------------------------------------------------------------------ dates, nameMap, content


def mobilizon_event(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(fixture("mobilizon/event.json"))
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


@pytest.mark.parametrize(
    "changes",
    [
        {"startTime": "0001-01-01T00:00:00Z", "endTime": None},
        {"startTime": "0001-01-01T10:00:00", "timezone": "Europe/Paris", "endTime": None},
        {"endTime": "9999-12-31T23:30:00Z"},
    ],
)
def test_remote_event_dated_outside_1970_to_2200_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidObject, match="between 1970 and 2200"):
        parse_remote(mobilizon_event(**changes))


def test_remote_publication_date_out_of_range_is_ignored() -> None:
    remote = parse_remote(mobilizon_event(published="0001-01-01T00:00:00Z"))
    assert remote.published is None


def test_event_named_only_by_name_map_is_kept_in_french_first() -> None:
    doc = mobilizon_event(name=None)
    doc["nameMap"] = {"en": "Repair café", "fr": "Café réparation", "br": "Kafe dresañ"}
    doc["summaryMap"] = {"br": "Deuit", "en": "Come along"}
    doc.pop("summary", None)
    remote = parse_remote(doc)
    assert remote.title == "Café réparation"
    assert remote.summary == "Come along"


def test_name_map_falls_back_to_english_then_any_language() -> None:
    english = mobilizon_event(name=None)
    english["nameMap"] = {"br": "Kafe dresañ", "en": "Repair café"}
    assert parse_remote(english).title == "Repair café"
    other = mobilizon_event(name=None)
    other["nameMap"] = {"br": "Kafe dresañ"}
    assert parse_remote(other).title == "Kafe dresañ"


def test_event_without_description_publishes_no_empty_content() -> None:
    doc = to_as2(local_event(content_html=""), CONTEXT_URL)
    assert "content" not in doc
    assert to_as2(local_event(), CONTEXT_URL)["content"].startswith("<p>On répare")
