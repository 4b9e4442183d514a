"""French first, English too: gettext catalogs (Babel) and locale-aware formatting.

Catalogs are the `.po` files under `web/locale`; they are compiled in memory at start-up, so
there is no build step and no compiled file to forget in a commit.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown, so any layer
    may mark its messages without depending on the web layer."""
    return message


LOCALE_DIR = Path(__file__).resolve().parent.parent / "web" / "locale"
DEFAULT_LOCALE = "fr"
LOCALES = ("fr", "en")


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """An explicit choice (`?lang=`, then the cookie) wins over the browser's languages."""
    for choice in (query_lang, cookie_lang):
        if choice in LOCALES:
            return choice
    if accept_language:
        wanted = []
        for part in accept_language.split(","):
            tag, _, params = part.strip().partition(";")
            q = 1.0
            if params.strip().startswith("q="):
                try:
                    q = float(params.strip()[2:])
                except ValueError:
                    q = 0.0
            if tag and tag != "*":
                wanted.append((q, tag.replace("-", "_")))
        wanted.sort(key=lambda item: -item[0])
        found = Locale.negotiate([tag for _, tag in wanted], list(LOCALES), sep="_")
        if found is not None:
            return str(found.language)
    return DEFAULT_LOCALE


def format_when(value: datetime, locale: str) -> str:
    return str(format_datetime(value, format="long", locale=locale))


def format_day(value: datetime, locale: str) -> str:
    return str(format_date(value, format="long", locale=locale))


def format_number(value: float, locale: str) -> str:
    return str(format_decimal(value, locale=locale))
