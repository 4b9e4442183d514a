"""Matched words marked in titles and summaries, accents and endings ignored.

The search matches French stems (`jardin` for `jardins`), so a word is marked when, without
accents and in lower case, it starts with one of the query's stems; the stems come from the
same `to_tsvector('french', …)` that indexed the text (`LEXEMES`, given the words folded by
`server.store.search.unaccent` as the stored texts were), so what is marked is what matched.
Everything else is escaped: the result is safe HTML.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from markupsafe import Markup, escape

LEXEMES = (
    "SELECT coalesce(array_agg(lexeme), '{}') FROM "
    "unnest(to_tsvector('french', $1))"
)
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def positive_words(query: str) -> str:
    """The query less its excluded words (`-word`) and `or`, which are not to be marked."""
    kept = [w for w in query.split() if not w.startswith("-") and w.lower() != "or"]
    return " ".join(kept)


def mark(text: str | None, stems: Sequence[str]) -> Markup:
    if not text:
        return Markup("")
    if not stems:
        return escape(text)
    out: list[str] = []
    last = 0
    for match in _WORD_RE.finditer(text):
        folded = fold(match.group())
        if any(folded.startswith(stem) for stem in stems):
            out.append(str(escape(text[last:match.start()])))
            out.append(f"<mark>{escape(match.group())}</mark>")
            last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))
