"""JSON Schemas of editor input and of received objects, with readable messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from federation.themes import THEME_IDS
from federation.validation import (
    SCHEMAS,
    check_event_input,
    validate_event_input,
    validate_initiative_input,
    validate_remote_object,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"


def event(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Atelier réparation",
        "summary": "Apportez vos objets.",
        "description": "**Gratuit**, ouvert à tous.",
        "description_format": "markdown",
        "themes": ["tiers-lieux", "culture-bibliotheques"],
        "place": {
            "name": "Médiathèque",
            "address": "25 rue de Pontaniou, 29200 Brest",
            "latitude": 48.39,
            "longitude": -4.5,
        },
        "image": {"url": "https://brest.example/media/atelier.jpg", "alt": "Des outils"},
        "start": "2026-12-05T14:00",
        "end": "2026-12-05T17:00",
        "timezone": "Europe/Paris",
        "status": "confirmed",
        "initiative": "https://brest.example/initiatives/7",
    }
    data.update(changes)
    return data


def initiative(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Repair café",
        "summary": "Un samedi par mois.",
        "themes": ["transition-ecologique"],
        "place": {"name": "Les Capucins", "address": {"locality": "Brest", "postal_code": "29200"}},
        "website": "https://repaircafe.example/",
        "contact": "contact@repaircafe.example",
        "stage": "running",
        "organisers": ["Association Réparons"],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("name", sorted(p.name for p in SCHEMAS.glob("*.schema.json")))
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_valid_inputs_pass_and_unknown_fields_are_allowed() -> None:
    assert validate_event_input(event(extra_field={"anything": 1})) == []
    assert (
        validate_event_input(
            {"title": "x", "start": "2026-12-05T14:00:00+01:00", "end": "2026-12-05T15:00:00Z"}
        )
        == []
    )
    assert validate_initiative_input(initiative(unknown=True)) == []
    assert validate_initiative_input({"title": "Minimal"}) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "x" * 201}, "title: too long (max 200)"),
        ({"title": ""}, "title: empty"),
        ({"title": 12}, "title: must be a string"),
        ({"summary": "x" * 501}, "summary: too long (max 500)"),
        ({"description": "x" * 20_001}, "description: too long (max 20000)"),
        ({"themes": ["sante"] * 2}, "themes: duplicate items"),
        ({"themes": ["astrologie"]}, "themes[0]: unknown value 'astrologie'"),
        ({"themes": sorted(THEME_IDS)[:9]}, "themes: too many items (max 8)"),
        (
            {"place": {"name": "x", "latitude": 91, "longitude": 0}},
            "place.latitude: too large (max 90)",
        ),
        (
            {"place": {"name": "x", "latitude": 0, "longitude": -181}},
            "place.longitude: too small (min -180)",
        ),
        (
            {"place": {"name": "x", "latitude": 48.1}},
            "place.longitude: missing (required with latitude)",
        ),
        ({"place": {"address": "x"}}, "place.name: missing"),
        ({"place": {"name": "x" * 201}}, "place.name: too long (max 200)"),
        ({"place": {"name": "x", "address": "x" * 301}}, "place.address: too long (max 300)"),
        (
            {"place": {"name": "x", "latitude": "48", "longitude": 0}},
            "place.latitude: must be a number",
        ),
        ({"image": {"url": "javascript:alert(1)", "alt": "x"}}, "image.url: invalid format"),
        ({"image": {"url": "https://b.example/a.jpg"}}, "image.alt: missing"),
        (
            {"image": {"url": "https://b.example/a.jpg", "alt": "x" * 1001}},
            "image.alt: too long (max 1000)",
        ),
        ({"start": "5 décembre"}, "start: invalid format"),
        ({"start": "2026-02-30T10:00"}, "start: not a valid date and time"),
        ({"end": "2026-12-05T13:00"}, "end: before start"),
        ({"timezone": "Europe/Atlantis"}, "timezone: unknown time zone"),
        ({"timezone": "../../etc"}, "timezone: invalid format"),
        ({"status": "postponed"}, "status: must be one of: confirmed, tentative, cancelled"),
        ({"initiative": "javascript:alert(1)"}, "initiative: not an http(s) URL"),
    ],
)
def test_event_problems_name_the_field(changes: dict[str, Any], message: str) -> None:
    assert message in validate_event_input(event(**changes))


def test_missing_required_fields() -> None:
    # the end is optional (issue 10: FEP-8a8e and Mobilizon show only the start without one)
    assert validate_event_input({}) == ["start: missing", "title: missing"]
    assert validate_initiative_input({}) == ["title: missing"]
    assert validate_event_input(["not", "an", "object"]) == ["(document): must be an object"]


def test_issues_carry_codes_and_limits_for_translation() -> None:
    [issue] = check_event_input(event(title="x" * 300))
    assert (issue.path, issue.code, issue.limit) == ("title", "too_long", 200)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"website": "ftp://files.example"}, "website: not an http(s) URL"),
        ({"website": "not a url"}, "website: not an http(s) URL"),
        ({"contact": "x" * 201}, "contact: too long (max 200)"),
        ({"stage": "dormant"}, "stage: must be one of: idea, running, finished"),
        ({"organisers": "Association"}, "organisers: must be a list"),
        ({"organisers": [""]}, "organisers[0]: empty"),
        (
            {"place": {"name": "x", "address": {"locality": 29200}}},
            "place.address.locality: must be a string",
        ),
        ({"place": {"name": "x", "address": 12}}, "place.address: must be a string or an object"),
    ],
)
def test_initiative_problems_name_the_field(changes: dict[str, Any], message: str) -> None:
    assert message in validate_initiative_input(initiative(**changes))


@pytest.mark.parametrize(
    "relative",
    [
        "mobilizon/event.json",
        "mobilizon/event-2019.json",
        "mastodon/objects-note.json",
        "friendica/objects-page.json",
    ],
)
def test_real_objects_pass_the_lenient_remote_schema(relative: str) -> None:
    assert validate_remote_object(json.loads((FIXTURES / relative).read_text("utf-8"))) == []


def test_gancio_event_passes_the_remote_schema() -> None:
    doc = json.loads((FIXTURES / "gancio/create-event.json").read_text("utf-8"))["object"]
    assert validate_remote_object(doc) == []


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"type": "Event", "name": "x", "startTime": "2026"}, "id: missing"),
        ({"id": "urn:x", "type": "Event", "name": "x", "startTime": "t"}, "id: not an http(s) URL"),
        ({"id": "https://a.example/1", "type": "Event", "name": "x"}, "startTime: missing"),
        ({"id": "https://a.example/1", "type": ["Event"], "startTime": "t"}, "name: missing"),
        (
            {"id": "https://a.example/1", "type": "Event", "name": "x" * 2001, "startTime": "t"},
            "name: too long (max 2000)",
        ),
        ({"id": "https://a.example/1", "type": 3}, "type: must be a string or a list"),
        (
            {"id": "https://a.example/1", "type": "Page", "maillageKind": "initiative"},
            "name: missing",
        ),
        (
            {"id": "https://a.example/1", "type": "Note", "tag": [{}] * 201},
            "tag: too many items (max 200)",
        ),
    ],
)
def test_remote_problems(doc: dict[str, Any], message: str) -> None:
    assert message in validate_remote_object(doc)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "0001-01-01T00:00:00Z"}, "start"),
        ({"start": "0001-01-01T10:00", "end": "0001-01-01T12:00"}, "start"),
        ({"end": "9999-12-31T23:30Z"}, "end"),
        ({"start": "1969-12-31T23:00", "end": "1970-01-01T01:00"}, "start"),
    ],
)
def test_event_dates_outside_1970_to_2200_are_refused(
    changes: dict[str, str], field: str
) -> None:
    problems = validate_event_input(event(**changes))
    assert f"{field}: must be between 1970 and 2200" in problems, problems


def test_event_dates_at_the_edges_of_the_range_are_accepted() -> None:
    assert validate_event_input(event(start="1970-01-01T10:00", end="2200-12-31T23:00")) == []
