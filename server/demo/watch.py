"""What the demo reads back over HTTP, as any visitor could: an instance answering, the
follows it has had accepted, and the items the circle shows with their territory and picture.

The circle's items are found through its public pages: every theme page links to its
items (`/items/{id}`), and each item's page names its origin (`og:url`, the IRI on the
territory that published it), its author and its picture. Parsing is pure
(`parse_item_page`, `item_links`), the requests are the edges.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import httpx

from federation.themes import THEMES

AS2 = "application/activity+json"
_ITEM_LINK = re.compile(r'href="/items/(\d+)"')


@dataclass(frozen=True)
class ShownItem:
    """An initiative or event as an item page shows it."""

    id: int
    iri: str
    title: str
    author_url: str | None
    image_url: str | None


class _ItemPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.author_url: str | None = None
        self.title = ""
        self._in_kind = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "meta" and values.get("property", "").startswith("og:"):
            self.meta[values["property"]] = values.get("content", "")
        elif tag == "p" and "kind" in values.get("class", "").split():
            self._in_kind = True
        elif tag == "a" and self._in_kind and self.author_url is None:
            self.author_url = values.get("href")
        elif tag == "h1":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_kind = False
        elif tag == "h1":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_item_page(item_id: int, html: str) -> ShownItem | None:
    """The item an `/items/{id}` page shows, or None if the page is not one."""
    page = _ItemPage()
    page.feed(html)
    iri = page.meta.get("og:url")
    if not iri:
        return None
    return ShownItem(
        id=item_id,
        iri=iri,  # attribute values come unescaped
        title=page.title.strip(),
        author_url=page.author_url,
        image_url=page.meta.get("og:image") or None,
    )


def item_links(html: str) -> set[int]:
    return {int(number) for number in _ITEM_LINK.findall(html)}


async def answers(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url, timeout=2.0)).status_code == 200
    except httpx.HTTPError:
        return False


async def following_count(client: httpx.AsyncClient, actor_iri: str) -> int:
    """How many follows of this actor have been accepted (its `following` collection)."""
    try:
        response = await client.get(f"{actor_iri}/following", headers={"Accept": AS2})
        return int(response.json().get("totalItems", 0)) if response.status_code == 200 else 0
    except (httpx.HTTPError, ValueError, AttributeError):
        return 0


class CircleReader:
    """The circle's items, read incrementally: theme pages for the ids, then each new id's
    page once."""

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url
        self.items: dict[int, ShownItem] = {}

    async def _get(self, path: str) -> str | None:
        try:
            response = await self.client.get(f"{self.base_url}{path}")
        except httpx.HTTPError:
            return None
        return response.text if response.status_code == 200 else None

    async def refresh(self) -> dict[str, ShownItem]:
        """Every item the circle shows now, by IRI."""
        pages = await asyncio.gather(*(self._get(f"/themes/{t.id}") for t in THEMES))
        ids = set().union(*(item_links(page) for page in pages if page))
        new = sorted(ids - set(self.items))
        bodies = await asyncio.gather(*(self._get(f"/items/{number}") for number in new))
        for number, body in zip(new, bodies, strict=True):
            shown = parse_item_page(number, body) if body else None
            if shown is not None:
                self.items[number] = shown
        return {item.iri: item for item in self.items.values()}
