"""The dates of a recurring event: pure, so the rule is tested without a database.

A series is published as one `Event` per date (what Mobilizon, Gancio and Mastodon all show
correctly; no peer reads an RRULE). Each keeps the first date's wall-clock time and
duration in the event's zone, so a weekly 19:00 stays at 19:00 across the change of hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREQUENCIES = ("weekly", "biweekly", "monthly")


def nth_weekday_of_month(year: int, month: int, weekday: int, nth: int) -> datetime | None:
    """The `nth` (1–4, or 5 for "last") `weekday` (0 = Monday) of a month, at midnight."""
    first = datetime(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    day = first + timedelta(days=offset + 7 * (min(nth, 5) - 1))
    if day.month != month:
        if nth < 5:
            return None
        day -= timedelta(days=7)
    return day


def occurrences(start: datetime, frequency: str, count: int) -> list[datetime]:
    """`count` starts from `start` (naive wall-clock times): every week, every other week,
    or on the same weekday of the month (the 2nd Tuesday; the last one when `start` is in a
    month's last week)."""
    if frequency in ("weekly", "biweekly"):
        step = timedelta(weeks=1 if frequency == "weekly" else 2)
        return [start + step * index for index in range(count)]
    if frequency != "monthly":
        raise ValueError(f"unknown frequency {frequency!r}")
    nth = (start.day - 1) // 7 + 1
    last_week = (start + timedelta(days=7)).month != start.month
    wanted = 5 if last_week and nth >= 4 else nth
    found: list[datetime] = []
    year, month = start.year, start.month
    while len(found) < count:
        day = nth_weekday_of_month(year, month, start.weekday(), wanted)
        if day is not None:
            found.append(day.replace(hour=start.hour, minute=start.minute, second=start.second))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return found


def shift(value: str, delta: timedelta) -> str:
    """An input datetime (`2026-12-05T14:00`, offset or not) moved by `delta`, same form."""
    moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
    return moved.isoformat(timespec="minutes")


def series_inputs(data: dict[str, object], series_id: str) -> list[dict[str, object]]:
    """One input per date of `data["recurrence"]`, each with the series id and its index."""
    recurrence = data["recurrence"]
    assert isinstance(recurrence, dict)
    start_text = str(data["start"])
    first = datetime.fromisoformat(start_text.replace("Z", "+00:00"))
    naive = first.replace(tzinfo=None)
    out: list[dict[str, object]] = []
    for index, when in enumerate(
        occurrences(naive, str(recurrence["frequency"]), int(recurrence["count"]))
    ):
        delta = when - naive
        item = dict(data)
        item["start"] = shift(start_text, delta)
        if data.get("end"):
            item["end"] = shift(str(data["end"]), delta)
        item["series"] = series_id
        item["series_index"] = index
        out.append(item)
    return out
