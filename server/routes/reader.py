"""The reader's pages: feed, agenda, month, map, territories, embed.

Every page takes the same filter parameters (`server.read.filters`), works without
JavaScript (the map page lists what the map shows), links to its `.ics`, Atom, JSON Feed and
GeoJSON versions (`server.routes.subscriptions`, wired beside these), and answers a bad
parameter with a 400 page in the reader's language that names it.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from typing import Any

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from babel.dates import format_date
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from federation import themes
from server.accounts.auth import current_account
from server.http.reader_views import (
    bad_parameter,
    form_context,
    geojson_response,
    item_views,
    later_cursor,
    page_link,
    read_filters,
    settings_of,
)
from server.http.responses import render, request_locale
from server.http.security import with_own_scripts
from server.i18n import N_
from server.read import agenda, facets, feed, network, subscriptions
from server.read.filters import BadParameter, query_string
from server.receive.neighbours import NeighbourCache, suggestions
from server.store import actors as store

PAGE_SIZE = 20
AGENDA_SIZE = 30
EMBED_SIZE = 15
MAP_LIST_SIZE = 100
TERRITORY_FACETS = 15
"""Territories the counts list (the largest; the chosen one too): a circle of 300 would
make the column longer than the results and cost more to render than they do."""
_MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")


async def _counts(request: Request, f: feed.FeedFilter) -> facets.Facets:
    """The counts on a second connection, if the pool has one within the counts' own time
    budget: a busy pool (every request holding one and asking for another) gives up the
    counts rather than waiting on itself."""
    try:
        async with request.app.state.pool.acquire(timeout=facets.BUDGET_MS / 1000) as conn:
            return await facets.count(conn, f)
    except TimeoutError:
        return facets.NOT_COUNTED


async def feed_page(request: Request) -> Response:
    """`/feed`: initiatives and events, newest first, every filter, with counts beside."""
    async with request.app.state.pool.acquire() as conn:
        try:
            reading = await read_filters(request, conn)
        except BadParameter as exc:
            return bad_parameter(request, exc)
        f = reading.feed_filter(PAGE_SIZE)
        # The counts on a connection of their own, beside the page's reads: the answer
        # waits for the longer of the two, not for their sum.
        counting = asyncio.create_task(_counts(request, f))
        try:
            rows = await feed.page(conn, f)
            items = await item_views(conn, rows, reading)
        finally:
            counts = await counting
        chosen = reading.actor["iri"] if reading.actor is not None else None
        shown = [(iri, n) for i, (iri, n) in enumerate(counts.territories)
                 if i < TERRITORY_FACETS or iri == chosen]
        territory_names = await network.names(conn, (iri for iri, _ in shown))
        form = await form_context(conn, request, reading)
    dated = f.starts_after is not None or f.starts_before is not None
    after = later_cursor(rows, PAGE_SIZE, "start_time" if dated else "published")
    params = list(reading.query.params)
    theme_facets = [
        {"label": (themes.by_id(key) or themes.THEMES[0]).label(reading.locale), "count": n,
         "chosen": key in reading.query.themes,
         "href": "/feed" + query_string([p for p in params if p != ("theme", key)]
                                        + ([] if key in reading.query.themes
                                           else [("theme", key)]))}
        for key, n in counts.themes if themes.by_id(key) is not None
    ]
    territory_facets = []
    for iri, n in shown:
        actor = territory_names.get(iri)
        territory_facets.append({
            "label": (actor["name"] if actor else None) or iri, "count": n,
            "chosen": iri == chosen,
            "href": "/feed" + query_string(
                [p for p in params if p[0] != "territory"] + [("territory", iri)]),
        })
    last_removed = "/feed" + query_string(params[:-1]) if params else None
    if params and params[-1][0] == "radius":
        last_removed = "/feed" + query_string([p for p in params if p[0] not in ("near",
                                                                                 "radius")])
    return render(
        request, "feed.html",
        items=items, facets=counts, theme_facets=theme_facets,
        territory_facets=territory_facets,
        territories_left=len(counts.territories) - len(shown),
        later=page_link(request, reading, after),
        filtered=reading.query.filtered, last_removed=last_removed, **form,
    )


async def agenda_page(request: Request) -> Response:
    """`/agenda`: events not ended, by day; `?past=1` the ended ones, latest first."""
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as conn:
        try:
            reading = await read_filters(request, conn)
        except BadParameter as exc:
            return bad_parameter(request, exc)
        f = reading.feed_filter(AGENDA_SIZE)
        if reading.query.past:
            rows = await agenda.past(conn, f, now, reading.query.after, AGENDA_SIZE)
        else:
            rows = await agenda.upcoming(conn, f, now, reading.query.after, AGENDA_SIZE)
        items = await item_views(conn, rows, reading)
        form = await form_context(conn, request, reading)
    today = now.astimezone(reading.zone).date()
    days = [
        {"day": d.day, "heading": format_date(d.day, "full", locale=reading.locale),
         "today": d.day == today, "events": d.items}
        for d in agenda.group_by_day(items, reading.zone)
    ]
    extra = {"past": "1"} if reading.query.past else {}
    later = page_link(request, reading, later_cursor(rows, AGENDA_SIZE, "start_time"), **extra)
    return render(
        request, "agenda.html", days=days, past=reading.query.past, later=later,
        this_month=f"{today.year:04d}-{today.month:02d}",
        past_link="/agenda" + query_string([*reading.query.params, ("past", "1")]),
        upcoming_link="/agenda" + query_string(reading.query.params),
        filtered=reading.query.filtered, **form,
    )


async def month_page(request: Request) -> Response:
    """`/agenda/2026-12`: the month as a grid, each event on its own local day."""
    match = _MONTH_RE.match(request.path_params["month"])
    year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        return bad_parameter(
            request, BadParameter("month", N_("Write a month as YYYY-MM, e.g. 2026-12."))
        )
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as conn:
        try:
            reading = await read_filters(request, conn)
        except BadParameter as exc:
            return bad_parameter(request, exc)
        rows = await agenda.month(conn, reading.feed_filter(), year, month)
        weeks = agenda.month_grid(year, month, rows, reading.zone)
        # Only the events the cells list are worded (dates, links, names): a month holds
        # more than its grid shows.
        shown = {row["id"]: row for week in weeks for cell in week for row in cell.items}
        views = {item["id"]: item for item in await item_views(conn, list(shown.values()),
                                                                reading)}
        form = await form_context(conn, request, reading)
    for week in weeks:
        for cell in week:
            cell.items = [views[row["id"]] for row in cell.items]
    day_filters = [(k, v) for k, v in reading.query.params if k not in ("from", "to")]
    more = {
        cell.day: "/agenda" + query_string(day_filters, extra=[
            ("from", cell.day.isoformat()), ("to", cell.day.isoformat())])
        for week in weeks for cell in week if cell.day is not None and cell.more
    }
    (py, pm), (ny, nm) = agenda.neighbours(year, month)
    qs = query_string(reading.query.params)
    first = date(year, month, 1)
    monday = date(2024, 1, 1)
    weekdays = [format_date(monday.replace(day=1 + i), "EEE", locale=reading.locale)
                for i in range(7)]
    return render(
        request, "month.html", weeks=weeks, more=more,
        title=format_date(first, "LLLL y", locale=reading.locale),
        previous=f"/agenda/{py:04d}-{pm:02d}{qs}", next=f"/agenda/{ny:04d}-{nm:02d}{qs}",
        today=now.astimezone(reading.zone).date(), weekdays=weekdays,
        month_key=f"{year:04d}-{month:02d}", filtered=reading.query.filtered, **form,
    )


async def map_page(request: Request) -> Response:
    """`/map`: the markers come from `/feed.geojson` (static script); the list below is the
    page without JavaScript."""
    settings = settings_of(request)
    async with request.app.state.pool.acquire() as conn:
        try:
            reading = await read_filters(request, conn)
        except BadParameter as exc:
            return bad_parameter(request, exc)
        f = reading.feed_filter(MAP_LIST_SIZE)
        rows = await subscriptions.newest(conn, f, MAP_LIST_SIZE, located=True)
        items = await item_views(conn, rows, reading)
        form = await form_context(conn, request, reading)
    return with_own_scripts(request, render(
        request, "map.html", items=items, tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution, geojson=form["alternates"]["geojson"],
        bbox=",".join(f"{v:g}" for v in reading.query.bbox) if reading.query.bbox else "",
        filtered=reading.query.filtered, **form,
    ))


async def territories_page(request: Request) -> Response:
    """`/territories`: this instance's network, each territory linking to its feed."""
    locale = request_locale(request)
    async with request.app.state.pool.acquire() as conn:
        territory = await store.territory(conn)
        linked = await network.network(conn, territory["iri"]) if territory else []
        own = await network.local_counts(conn, territory["iri"]) if territory else None
    account = await current_account(request)
    admin = account is not None and account["role"] == "admin"
    suggested = []
    if admin and territory is not None:
        cache = getattr(request.app.state, "neighbours", None)
        if cache is None:
            cache = request.app.state.neighbours = NeighbourCache()
        followed = [r for r in linked if "following" in r["relations"]]
        suggested = await suggestions(request.app.state.ctx, cache, territory["iri"], followed)

    def entry(row: Any, items: int, last: datetime | None, relations: list[str]) -> dict[
        str, Any
    ]:
        return {
            "name": row["name"] or row["username"], "handle": f"{row['username']}@{row['domain']}",
            "summary": row["summary"], "place": row["place_name"], "url": row["url"],
            "latitude": row["latitude"], "longitude": row["longitude"],
            "count": items, "relations": relations,
            "last": format_date(last, "long", locale=locale) if last else None,
            "feed": "/feed" + query_string([("territory", row["iri"])]),
            "iri": row["iri"],
        }

    entries = [entry(r, int(r["items"]), r["last_activity"], list(r["relations"]))
               for r in linked]
    home = entry(territory, int(own["items"]), own["last_activity"], []) if territory and own \
        else None
    return with_own_scripts(request, render(
        request, "territories.html", entries=entries, home=home,
        admin=admin, suggestions=suggested,
        csrf=account["csrf_token"] if account else None,
        tile_url=settings_of(request).tile_url,
        tile_attribution=settings_of(request).tile_attribution,
    ))


async def territories_geojson(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        territory = await store.territory(conn)
        linked = await network.network(conn, territory["iri"]) if territory else []
    features = []
    for row in ([territory] if territory else []) + linked:
        if row["latitude"] is None or row["longitude"] is None:
            continue
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": {"title": row["name"] or row["username"], "place": row["place_name"],
                           "url": "/feed" + query_string([("territory", row["iri"])])},
        })
    return geojson_response({"type": "FeatureCollection", "features": features})


async def embed_page(request: Request) -> Response:
    """`/embed`: a compact agenda for an `<iframe>` on a collective's site (no chrome)."""
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as conn:
        try:
            reading = await read_filters(request, conn)
        except BadParameter as exc:
            return bad_parameter(request, exc)
        rows = await agenda.upcoming(conn, reading.feed_filter(EMBED_SIZE), now, None, EMBED_SIZE)
        items = await item_views(conn, rows, reading)
        territory = await store.territory(conn)
    days = [
        {"heading": format_date(d.day, "full", locale=reading.locale), "events": d.items}
        for d in agenda.group_by_day(items, reading.zone)
    ]
    qs = query_string(reading.query.params)
    return render(
        request, "embed.html", days=days, territory=territory,
        full=f"{settings_of(request).base_url}/agenda{qs}",
    )

routes: list[BaseRoute] = [
    Route("/feed", feed_page),
    Route("/agenda", agenda_page),
    Route("/agenda/{month}", month_page),
    Route("/map", map_page),
    Route("/territories", territories_page),
    Route("/territories.geojson", territories_geojson),
    Route("/embed", embed_page),
    Mount("/vendor/leaflet", StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR),
          name="leaflet"),
    Mount("/vendor/markercluster",
          StaticFiles(directory=xstatic.pkg.leaflet_markercluster.BASE_DIR),
          name="markercluster"),
]
