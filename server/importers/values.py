"""Values as people type them in French spreadsheets and forms, read into the input model.

Pure. Dates: `12/12/2026 19:00`, `12/12/2026 19h30`, `12 décembre 2026 à 19h`, `2026-12-12`
and ISO 8601 all become `2026-12-12T19:00` (wall-clock time in the event's zone). Themes: an
id (`tiers-lieux`), a French or English label (`Tiers-lieux`, `Third places`) or a hashtag.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from federation.themes import THEMES, by_hashtag, by_id

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "janv", "january", "jan"),
            ("fevrier", "fevr", "fev", "february", "feb"),
            ("mars", "march", "mar"),
            ("avril", "avr", "april", "apr"),
            ("mai", "may"),
            ("juin", "june", "jun"),
            ("juillet", "juil", "july", "jul"),
            ("aout", "august", "aug"),
            ("septembre", "sept", "sep", "september"),
            ("octobre", "oct", "october"),
            ("novembre", "nov", "november"),
            ("decembre", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_NUMERIC = re.compile(
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:[ T,]+(?:a |à )?(?P<H>\d{1,2})(?:[:hH](?P<M>\d{2})?)?)?"
)
_WORDS = re.compile(
    r"(?:[a-z]+ )?(?P<d>\d{1,2})(?:er)? (?P<month>[a-z]+)\.? (?P<y>\d{4})"
    r"(?:[ ,]+(?:a )?(?P<H>\d{1,2})(?:[:h](?P<M>\d{2})?)?)?"
)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


def parse_datetime(text: str) -> tuple[str, bool] | None:
    """(`YYYY-MM-DDTHH:MM`, whether a time was given), or None when `text` is no date.
    ISO values with seconds or an offset are returned unchanged."""
    text = " ".join(text.split())
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        has_time = "T" in text or " " in text
        if not has_time:
            return parsed.strftime("%Y-%m-%dT00:00"), False
        return text.replace(" ", "T", 1), True
    plain = _plain(text)
    match = _NUMERIC.fullmatch(plain)
    month: int | None = None
    if match is not None:
        month = int(match["m"])
    else:
        match = _WORDS.fullmatch(plain)
        if match is None:
            return None
        month = MONTHS.get(match["month"])
        if month is None:
            return None
    hour = int(match["H"]) if match["H"] else 0
    minute = int(match["M"]) if match["M"] else 0
    try:
        day = date(int(match["y"]), month, int(match["d"]))
        moment = datetime(day.year, day.month, day.day, hour, minute)
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M"), bool(match["H"])


def theme_id(text: str) -> str | None:
    """The shared theme a cell names, by id, label (French or English) or hashtag."""
    value = text.strip()
    if not value:
        return None
    found = by_id(value) or by_hashtag(value.lstrip("#"))
    if found is not None:
        return found.id
    plain = _plain(value)
    for theme in THEMES:
        if plain in (_plain(theme.label_fr), _plain(theme.label_en)):
            return theme.id
    return None
