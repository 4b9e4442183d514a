"""Pure parts of issue 10: French dates and theme names, the dates of a series, the BAN's
answer, validation issues worded for people. No database."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from federation.validation import check_event_input
from server.http.wording import describe, field_of
from server.importers.files import ImportFileError, read_import_bytes
from server.importers.values import parse_datetime, theme_id
from server.publish.geocoding import parse_results
from server.publish.series import occurrences, series_inputs
from tests.instance.test_editor_forms import BAN_ANSWER


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/12/2026 19:00", ("2026-12-12T19:00", True)),
        ("12/12/2026 19h30", ("2026-12-12T19:30", True)),
        ("12/12/2026 à 19h", ("2026-12-12T19:00", True)),
        ("5.12.2026", ("2026-12-05T00:00", False)),
        ("12 décembre 2026 à 19h", ("2026-12-12T19:00", True)),
        ("samedi 5 déc. 2026 14h", ("2026-12-05T14:00", True)),
        ("2026-12-12T19:00", ("2026-12-12T19:00", True)),
        ("2026-12-12 19:00", ("2026-12-12T19:00", True)),
        ("2026-12-12T19:00:00+01:00", ("2026-12-12T19:00:00+01:00", True)),
        ("31/02/2026 10:00", None),
        ("12/12/2026 25:00", None),
        ("bientôt", None),
    ],
)
def test_dates_are_read_the_way_french_spreadsheets_hold_them(
    typed: str, expected: tuple[str, bool] | None
) -> None:
    assert parse_datetime(typed) == expected


def test_themes_are_found_by_label_hashtag_or_id() -> None:
    assert theme_id("Tiers-lieux") == "tiers-lieux"
    assert theme_id("Santé") == theme_id("sante") == "sante"
    assert theme_id("#TiersLieux") == "tiers-lieux"
    assert theme_id("Third places") == "tiers-lieux"
    assert theme_id("Pétanque") is None


def test_series_dates_weekly_every_other_week_and_monthly_by_weekday() -> None:
    start = datetime(2026, 12, 5, 14, 0)
    assert [d.day for d in occurrences(start, "weekly", 3)] == [5, 12, 19]
    assert [d.isoformat() for d in occurrences(start, "biweekly", 3)] == [
        "2026-12-05T14:00:00", "2026-12-19T14:00:00", "2027-01-02T14:00:00"]
    # the last Tuesday of December stays the last Tuesday (not a missing 5th one)
    last = occurrences(datetime(2026, 12, 29, 19, 0), "monthly", 3)
    assert [d.date().isoformat() for d in last] == ["2026-12-29", "2027-01-26", "2027-02-23"]
    inputs = series_inputs({"start": "2026-03-28T19:00", "end": "2026-03-28T21:00",
                            "recurrence": {"frequency": "weekly", "count": 2}}, "s")
    # across the change of hour the wall-clock time is kept
    assert [(i["start"], i["end"], i["series_index"]) for i in inputs] == [
        ("2026-03-28T19:00", "2026-03-28T21:00", 0), ("2026-04-04T19:00", "2026-04-04T21:00", 1)]


def test_the_ban_answer_keeps_what_the_form_needs_and_skips_malformed_features() -> None:
    [found] = parse_results(BAN_ANSWER)
    assert (found.label, found.latitude, found.longitude) == (
        "25 Rue de Pontaniou 29200 Brest", 48.383195, -4.494561)
    assert parse_results({"features": "nope"}) == [] == parse_results(None)


def test_issues_are_worded_without_internal_names() -> None:
    issues = check_event_input({"title": "", "start": "x", "place": {"latitude": 1.0},
                                "timezone": "Paris", "themes": ["nope"]})
    worded = dict(describe(issue, lambda m: m) for issue in issues)
    assert worded["title"] == "Enter a title."
    assert worded["start"] == "Enter a date and time, such as 12/12/2026 19:00."
    assert worded["timezone"] == "Choose a time zone from the list."
    assert worded["longitude"] == "Enter the longitude too, or leave both coordinates empty."
    assert worded["themes"] == "“Themes”: choose one of the values offered."
    assert field_of("place.address.street") == "place_address"
    assert not any(re.match(r"[a-z_.\[\]0-9]+:", message) for message in worded.values())


def test_a_file_that_is_no_text_or_too_long_is_refused_whole() -> None:
    with pytest.raises(ImportFileError) as refused:
        read_import_bytes("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00", None)
    assert "UTF-8" in str(refused.value)
    rows = "title\n" + "a\n" * 2001
    with pytest.raises(ImportFileError, match="more than 2000 items"):
        read_import_bytes("x.csv", rows.encode(), "event")
    with pytest.raises(ImportFileError, match=r"not a valid \.ics"):
        read_import_bytes("x.ics", b"BEGIN:VCALENDAR\r\nnonsense", None)
