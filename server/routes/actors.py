"""Actor URLs: HTML to browsers, AS2 JSON to servers, and the actors' collections."""

from __future__ import annotations

import asyncpg
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.actor import actor_document
from federation.collections import ordered_collection, ordered_collection_page
from federation.negotiation import wants_activity_json
from server.actors.profiles import actor_urls, profile_of, text_to_html
from server.http.responses import ActivityJSONResponse, error_response, render, request_locale
from server.i18n import N_, format_day, format_number
from server.read import listings
from server.settings import Settings
from server.store import activities, follows
from server.store import actors as store
from server.version import VERSION

PAGE_SIZE = 40

MAX_ID = 2**63 - 1


async def _territory_or_404(request: Request) -> asyncpg.Record | Response:
    slug = request.path_params["slug"]
    async with request.app.state.pool.acquire() as conn:
        row = await store.local_actor(conn, slug)
    if row is None or row["role"] != "territory":
        return error_response(request, 404, N_("No territory of that name here."))
    return row


async def territory_view(request: Request) -> Response:
    """`/@slug` and `/actors/slug`: one resource, two representations."""
    settings: Settings = request.app.state.settings
    row = await _territory_or_404(request)
    if isinstance(row, Response):
        return row
    if wants_activity_json(request.headers.get("accept")):
        return ActivityJSONResponse(actor_document(profile_of(row, settings)))
    if request.url.path.startswith("/actors/"):
        return RedirectResponse(actor_urls(row, settings).url, status_code=303)
    return await _territory_page(request, row)


async def _territory_page(request: Request, row: asyncpg.Record) -> Response:
    settings: Settings = request.app.state.settings
    locale = request_locale(request)
    async with request.app.state.pool.acquire() as conn:
        followers, following = await follows.follow_counts(conn, row["iri"])
        items = await listings.by_territory(conn, row["iri"])
    lat, lon = row["latitude"], row["longitude"]
    return render(
        request,
        "territory.html",
        territory=row,
        summary_html=Markup(text_to_html(row["summary"])),
        icon_url=f"{settings.base_url}/static/territory.png",
        latitude=None if lat is None else format_number(lat, locale),
        longitude=None if lon is None else format_number(lon, locale),
        followers=followers,
        following=following,
        since=format_day(row["created_at"], locale),
        items=items,
    )


async def home(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        row = await store.territory(conn)
    if row is None:
        return render(request, "welcome.html")
    if wants_activity_json(request.headers.get("accept")):
        return RedirectResponse(row["iri"], status_code=303)
    if row["relays"]:  # a circle's home page is the feed of its network (issue 9)
        return RedirectResponse("/feed", status_code=303)
    return await _territory_page(request, row)


async def instance_actor_view(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        row = await store.instance_actor(conn)
    assert row is not None  # created at start-up
    if wants_activity_json(request.headers.get("accept")):
        return ActivityJSONResponse(actor_document(profile_of(row, settings)))
    return RedirectResponse("/about", status_code=303)


async def about(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        territory = await store.territory(conn)
    return render(request, "about.html", territory=territory, version=VERSION)


def _collection_response(
    request: Request,
    collection_id: str,
    total: int,
    rows: list[asyncpg.Record] | None,
    item: str = "iri",
) -> Response:
    if rows is None:
        first = f"{collection_id}?page=true" if total else None
        return ActivityJSONResponse(ordered_collection(collection_id, total, first))
    items = [r[item] for r in rows[:PAGE_SIZE]]
    next_url = None
    if len(rows) > PAGE_SIZE:
        next_url = f"{collection_id}?page=true&max_id={rows[PAGE_SIZE - 1]['id']}"
    page_id = f"{collection_id}?{request.url.query}"
    return ActivityJSONResponse(
        ordered_collection_page(page_id, collection_id, total, items, next_url)
    )


def _page_params(request: Request) -> int | None:
    """None for the collection itself; the keyset bound for a page."""
    if request.query_params.get("page") is None:
        return None
    raw = request.query_params.get("max_id", str(MAX_ID))
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else MAX_ID


async def _follow_collection(request: Request, which: str) -> Response:
    settings: Settings = request.app.state.settings
    row = await _territory_or_404(request)
    if isinstance(row, Response):
        return row
    urls = actor_urls(row, settings)
    collection_id = urls.followers if which == "followers" else urls.following
    max_id = _page_params(request)
    async with request.app.state.pool.acquire() as conn:
        followers, following = await follows.follow_counts(conn, row["iri"])
        total = followers if which == "followers" else following
        rows = None
        if max_id is not None:
            page = follows.followers_page if which == "followers" else follows.following_page
            rows = await page(conn, row["iri"], max_id, PAGE_SIZE + 1)
    return _collection_response(request, collection_id, total, rows)


async def followers_view(request: Request) -> Response:
    return await _follow_collection(request, "followers")


async def following_view(request: Request) -> Response:
    return await _follow_collection(request, "following")


async def outbox_view(request: Request) -> Response:
    """The territory's initiatives and events as `Create` activities carrying their current
    version, newest first, in keyset pages (what a new follower backfills from)."""
    settings: Settings = request.app.state.settings
    row = await _territory_or_404(request)
    if isinstance(row, Response):
        return row
    urls = actor_urls(row, settings)
    max_id = _page_params(request)
    async with request.app.state.pool.acquire() as conn:
        total = await activities.outbox_count(conn, row["iri"])
        if max_id is None:
            return _collection_response(request, urls.outbox, total, None)
        rows = await activities.outbox_page(conn, row["iri"], max_id, PAGE_SIZE + 1)
    return _collection_response(request, urls.outbox, total, rows, item="item")


async def activity_view(request: Request) -> Response:
    """Our activities are dereferenceable; non-public ones (Follow, Accept…) are too, as
    Mastodon may fetch a Follow's id to check it, and they carry nothing private."""
    settings: Settings = request.app.state.settings
    iri = f"{settings.base_url}/activities/{request.path_params['uuid']}"
    async with request.app.state.pool.acquire() as conn:
        row = await activities.activity_by_iri(conn, iri)
    if row is None:
        return error_response(request, 404, N_("Not found."))
    return ActivityJSONResponse(row["raw"])


async def featured_view(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    row = await _territory_or_404(request)
    if isinstance(row, Response):
        return row
    urls = actor_urls(row, settings)
    return ActivityJSONResponse(ordered_collection(urls.featured, 0, None, []))


routes = [
    Route("/", home),
    Route("/about", about),
    Route("/actor", instance_actor_view),
    Route("/@{slug}", territory_view),
    Route("/actors/{slug}", territory_view),
    Route("/actors/{slug}/followers", followers_view),
    Route("/actors/{slug}/following", following_view),
    Route("/actors/{slug}/outbox", outbox_view),
    Route("/actors/{slug}/featured", featured_view),
    Route("/activities/{uuid}", activity_view),
]
