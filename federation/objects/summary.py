"""The `summary` we generate for Mastodon's readers, who see only name, summary and a link.

For an event: its status when not confirmed, when (in its own zone), where, then hashtags;
for an initiative: its stage, where, its website, hashtags. The editor's own summary follows
in a second paragraph.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from federation import themes as theme_vocab
from federation.objects.dates import format_when
from federation.objects.model import LocalObject, Place
from federation.validation import is_http_url
from federation.vocab import origin

_WORDS = {
    "fr": {
        "cancelled": "ANNULÉ",
        "tentative": "À confirmer",
        "initiative": "Initiative",
        "idea": "Initiative en projet",
        "running": "Initiative en cours",
        "finished": "Initiative terminée",
        "online": "En ligne",
    },
    "en": {
        "cancelled": "CANCELLED",
        "tentative": "To be confirmed",
        "initiative": "Initiative",
        "idea": "Initiative (idea)",
        "running": "Ongoing initiative",
        "finished": "Finished initiative",
        "online": "Online",
    },
}


def _words(locale: str) -> dict[str, str]:
    return _WORDS["fr"] if locale.lower().startswith("fr") else _WORDS["en"]


def theme_href(obj: LocalObject, theme: theme_vocab.Theme) -> str:
    """The theme's page on the object's own instance: where its hashtag links to."""
    return f"{origin(obj.id)}/themes/{theme.id}"


def themes_of(obj: LocalObject) -> list[theme_vocab.Theme]:
    """The object's known themes, in its order; unknown ids are left out."""
    found = (theme_vocab.by_id(theme_id) for theme_id in obj.themes)
    return [theme for theme in found if theme is not None]


def _where(place: Place | None) -> str | None:
    if place is None:
        return None
    locality = place.address.locality if place.address else None
    if locality and locality.casefold() not in place.name.casefold():
        return f"{place.name}, {locality}"
    return place.name


def summary_html(obj: LocalObject, locale: str) -> str:
    """The generated summary, as escaped HTML."""
    words = _words(locale)
    esc = html.escape
    parts: list[str] = []
    if obj.kind == "event":
        if obj.status in ("cancelled", "tentative"):
            parts.append(esc(words[obj.status]))
        if obj.start is not None:
            parts.append(esc(format_when(obj.start, obj.end, obj.timezone, locale)))
    else:
        parts.append(esc(words.get(obj.stage or "", words["initiative"])))
    if where := _where(obj.place):
        parts.append(esc(where))
    if obj.kind == "event" and obj.online_url and is_http_url(obj.online_url):
        parts.append(f'<a href="{esc(obj.online_url)}">{esc(words["online"])}</a>')
    if obj.kind == "initiative" and obj.website and is_http_url(obj.website):
        host = urlsplit(obj.website).hostname or obj.website
        parts.append(f'<a href="{esc(obj.website)}">{esc(host)}</a>')
    tags = [
        f'<a href="{esc(theme_href(obj, theme))}" class="mention hashtag" rel="tag">'
        f"#<span>{esc(theme.hashtag)}</span></a>"
        for theme in themes_of(obj)
    ]
    if tags:
        parts.append(" ".join(tags))
    out = f"<p>{' · '.join(parts)}</p>"
    if obj.summary.strip():
        out += f"<p>{esc(obj.summary.strip(), quote=False)}</p>"
    return out
