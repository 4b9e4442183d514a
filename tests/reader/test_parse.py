"""The reader's parameters, parsed without I/O: any input gives a query or a BadParameter
naming a parameter (never another error, so never a 500), and a parsed query's own links
parse back to the same query."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from server.read.filters import (
    FILTER_PARAMS,
    BadParameter,
    cursor,
    parse,
    parse_cursor,
)

NAMES = st.sampled_from([*FILTER_PARAMS, "past", "after", "lang", "other"])
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["event", "initiative", "sante", "education", "2026-12-31", "2026-02-30",
                     "48.39,-4.49", "500", "500.1", "-5,47,-3,49", "nan", "inf", "1e309",
                     "brest@brest.example", "https://brest.example/actors/brest",
                     "cancelled", "1", "1700000000000000.12"]),
)


@given(st.lists(st.tuples(NAMES, VALUES), max_size=8))
def test_any_parameters_give_a_query_or_a_named_refusal(pairs: list[tuple[str, str]]) -> None:
    try:
        query = parse(pairs)
    except BadParameter as exc:
        assert exc.param in (*FILTER_PARAMS, "after")
        return
    again = parse(list(query.params))
    assert again.params == query.params
    assert again.feed_filter(ZoneInfo("Europe/Paris")) == parse(
        list(query.params)).feed_filter(ZoneInfo("Europe/Paris"))
    if query.near is not None:
        assert 0 < query.near[2] <= 500


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                    timezones=st.just(UTC)), st.integers(min_value=1, max_value=2**62))
def test_page_cursors_round_trip_exactly(moment: datetime, ident: int) -> None:
    assert parse_cursor(cursor(moment, ident)) == (moment, ident)


def test_dates_are_whole_days_in_the_instance_zone() -> None:
    query = parse([("from", "2026-12-31"), ("to", "2026-12-31")])
    start, end = query.window(ZoneInfo("Europe/Paris"))
    assert start == datetime(2026, 12, 30, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def test_a_10_kb_address_is_refused_before_parsing() -> None:
    try:
        parse([("q", "a")], raw_query="q=" + "a" * 10_000)
    except BadParameter as exc:
        assert exc.param == "q"
    else:
        raise AssertionError("a 10 KB query was accepted")
