"""HTML we show or send: sanitised with nh3, or rendered from the editor's Markdown.

Everything that becomes HTML on our pages or in our documents passes `sanitize_html`, so
one allow-list decides what a remote server or an editor can put on a page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from urllib.parse import urljoin

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor

from federation.validation import is_http_url

ALLOWED_TAGS = frozenset(
    {"p", "br", "a", "strong", "em", "b", "i", "u", "s", "code", "pre"}
    | {"ul", "ol", "li", "blockquote", "h2", "h3", "h4"}
)
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea"}
    | {"select", "svg", "math", "title", "frame", "frameset", "noembed", "xmp"}
)
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _href_filter(base_url: str | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag != "a" or attribute != "href":
            return value
        url = value.strip()
        if url.lower().startswith(_LINK_SCHEMES):
            return url if url.lower().startswith("mailto:") or is_http_url(url) else None
        if base_url:
            resolved = urljoin(base_url, url)
            return resolved if is_http_url(resolved) else None
        return None

    return keep


def sanitize_html(text: str, *, base_url: str | None = None) -> str:
    """Keep paragraphs, line breaks, emphasis, lists, quotes, h2–h4 and http(s)/mailto
    links; drop scripts, styles, frames, images, every attribute but `href`, and
    `javascript:` (or any other scheme). Relative links are resolved against `base_url`,
    or dropped without one. Idempotent."""
    if not text:
        return ""
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={"a": {"href"}},
        attribute_filter=_href_filter(base_url),
        link_rel="nofollow noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
    ).strip()


_BARE_URL = r"(?<![\w(\"'<>=/])https?://[^\s<>\"'\]\[]+[^\s<>\"'.,;:!?)\]\[]"


class _BareUrl(InlineProcessor):
    # types-Markdown declares only Pattern.handleMatch(m); InlineProcessor passes `data` too.
    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        link = etree.Element("a")
        link.set("href", m.group(0))
        link.text = m.group(0)
        return link, m.start(0), m.end(0)


class _BareUrls(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.inlinePatterns.register(_BareUrl(_BARE_URL, md), "bare_url", 115)


def markdown_to_html(text: str) -> str:
    """Markdown (paragraphs, single line breaks kept, **bold**, *em*, lists, links, bare
    URLs made links) to sanitised HTML. `#` headings become h2, as h1 is the page's title."""
    if not text or not text.strip():
        return ""
    rendered = markdown.markdown(text, extensions=["nl2br", "sane_lists", _BareUrls()])
    rendered = re.sub(r"<(/?)h1\b", r"<\1h2", rendered)
    rendered = re.sub(r"<(/?)h[56]\b", r"<\1h4", rendered)
    return sanitize_html(rendered)


def capped_html(raw: str, limit: int, base_url: str | None) -> str:
    """Sanitised HTML of at most `limit` characters, cutting the source until it fits."""
    cut = len(raw)
    while cut > 0:
        out = sanitize_html(raw[:cut], base_url=base_url)
        if len(out) <= limit:
            return out
        cut = min(cut - 1, cut * limit // len(out))  # entities and closing tags add length
    return ""
