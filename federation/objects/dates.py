"""Dates as we write and word them: ISO 8601 in the event's zone, and in French words.

`format_when` is what a reader sees (on Mastodon through the generated summary, and on our
pages): `samedi 5 décembre 2026, 14:00–17:00 (Europe/Paris)`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time

from federation.vocab import utc_timestamp


def iso(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """`moment` in ISO 8601: in UTC with a `Z` without `zone`, else with the zone's offset."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: LocalObject datetimes must be timezone-aware")
    if zone is None:
        return utc_timestamp(moment)
    return moment.astimezone(zone).isoformat(timespec="seconds")


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone called `name`, or None for a missing, malformed or unknown name."""
    if not name or not re.fullmatch(r"[A-Za-z0-9_+/-]{1,64}", name) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=32)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=8192)
def _day_words(day: date, locale: str) -> str:
    """Babel parses the locale and the pattern on each call: a map of 5,000 events words the
    same few hundred days and hours again and again (bench part 7)."""
    return format_date(day, "full", locale=_locale(locale))


@lru_cache(maxsize=4096)
def _hour_words(moment: time, locale: str) -> str:
    return format_time(moment, "short", locale=_locale(locale))


def format_when(
    start: datetime, end: datetime | None, timezone: str | None, locale: str = "fr"
) -> str:
    """`samedi 5 décembre 2026, 14:00–17:00 (Europe/Paris)`, in the event's time zone."""
    tz = zone(timezone) or ZoneInfo("UTC")
    first = start.astimezone(tz)

    def day(moment: datetime) -> str:
        return _day_words(moment.date(), locale)

    def hour(moment: datetime) -> str:
        return _hour_words(moment.time(), locale)

    if end is not None and first.time() == time(0, 0) and (
        end.astimezone(tz).time() in (time(23, 59), time(0, 0))
    ):
        # a whole day, or whole days (the editor's "all day"): no times
        last = end.astimezone(tz)
        if last.time() == time(0, 0):
            last -= timedelta(minutes=1)
        if last.date() == first.date():
            return f"{day(first)} ({timezone or 'UTC'})"
        if last.date() > first.date():
            return f"{day(first)} – {day(last)} ({timezone or 'UTC'})"
    text = f"{day(first)}, {hour(first)}"
    if end is not None:
        last = end.astimezone(tz)
        if last.date() == first.date():
            text += f"–{hour(last)}"
        else:
            text += f" – {day(last)}, {hour(last)}"
    return f"{text} ({timezone or 'UTC'})"

