"""The feed's French full text without accents, folded here rather than in PostgreSQL.

`unaccent` is `maillage_unaccent` (migration 0004) in Python: lower case, then the same
45 letters replaced by the same plain ones. PostgreSQL's `translate()` compared every
character with all 45 and cost as much as `to_tsvector` itself; here each letter is one
`str.replace`, a scan in C, about 20 µs for a 2,700-character event (migration 0010).
Stored vectors (`SEARCH_VECTOR`, from the folded texts `search_texts` returns) and queries
(`server.read.feed`, `server.read.highlight`) both fold here, so they always agree; rows
written by hand-made SQL get the vector from the table's trigger, which folds the same way.
"""

from __future__ import annotations

ACCENTED = "àâäáãåāçćčéèêëēėęíìîïīįñńóòôöõøōúùûüūÿýžźżšśł"
PLAIN = "aaaaaaaccceeeeeeeiiiiiinnooooooouuuuuyyzzzssl"
CONTENT_CHARS = 20000
"""What of an object's HTML is indexed, as before (`left(content_html, 20000)`)."""

_PAIRS = tuple(zip(ACCENTED, PLAIN, strict=True))

SEARCH_VECTOR = "maillage_search_vector({}, {}, {}, {})"
"""The stored vector from the four folded texts (SQL, to format with four parameters)."""


def unaccent(text: str) -> str:
    folded = text.lower()
    if folded.isascii():
        return folded
    for accented, plain in _PAIRS:
        if accented in folded:
            folded = folded.replace(accented, plain)
    return folded


def search_texts(
    title: str, summary: str, place: str | None, content_html: str
) -> tuple[str, str, str, str]:
    """What `SEARCH_VECTOR` indexes, weights A, B, B and C."""
    return (unaccent(title), unaccent(summary), unaccent(place or ""),
            unaccent(content_html[:CONTENT_CHARS]))
