"""Subscriptions for every filter: `/feed.ics`, `/feed.atom`, `/feed.json`, `/feed.geojson`,
and one `.ics` per event. Each answer carries `ETag` and `Last-Modified`, so calendars that
poll every few minutes get `304` without a body being built.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.http.reader_views import (
    Reading,
    bad_parameter,
    gettext_of,
    read_filters,
    settings_of,
)
from server.http.responses import error_response, request_locale
from server.i18n import N_
from server.read import exports, feed, network, subscriptions
from server.read.filters import BadParameter, query_string
from server.store import actors as store


def _salted(request: Request, salt: str) -> str:
    return salt + "|" + request_locale(request)


def _validation(
    request: Request, etag: str, last: datetime | None
) -> tuple[dict[str, str], bool]:
    """The answer's validator headers, and whether the client holds this very version (ETag
    first, then If-Modified-Since, as RFC 9110 orders them)."""
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300",
               "Vary": "Accept-Language, Cookie", "Access-Control-Allow-Origin": "*"}
    if last is not None:
        headers["Last-Modified"] = format_datetime(last.astimezone(UTC), usegmt=True)
    match = request.headers.get("if-none-match")
    since = request.headers.get("if-modified-since")
    if match is not None:
        tags = {t.strip() for t in match.split(",")}
        return headers, "*" in tags or etag in tags or etag.removeprefix("W/") in tags
    if since is not None and last is not None:
        try:
            held = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return headers, False
        return headers, held.tzinfo is not None and last.replace(microsecond=0) <= held
    return headers, False


def _conditional(
    request: Request, rows: list[Any], media_type: str, body: Any, salt: str
) -> Response:
    """The body, or 304 when the client holds this very version."""
    headers, held = _validation(request, *exports.validators(rows, _salted(request, salt)))
    if held:
        return Response(status_code=304, headers=headers)
    return Response(body(), media_type=media_type, headers=headers)


async def _title(request: Request, conn: asyncpg.Connection, reading: Reading, what: str) -> str:
    territory = await store.territory(conn)
    name = territory["name"] if territory else settings_of(request).domain
    _ = gettext_of(request)
    if reading.actor is not None and reading.actor["name"]:
        name = reading.actor["name"]
    return f"{name} — {_(what)}"


def _document(request: Request, reading: Reading, kind: str, title: str) -> exports.Document:
    base = settings_of(request).base_url
    qs = query_string(reading.query.params)
    html_path = "/agenda" if kind == "ics" else "/feed"
    return exports.Document(
        base_url=base, self_url=f"{base}{request.url.path}{qs}",
        html_url=f"{base}{html_path}{qs}", title=title, locale=reading.locale,
    )


TITLES = {"ics": N_("Agenda"), "geojson": N_("Map")}
NEWS_TITLE = N_("Initiatives and events")


async def _export(request: Request, kind: str) -> Response:
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as conn:
        try:
            reading = await read_filters(request, conn)
        except BadParameter as exc:
            return bad_parameter(request, exc, as_json=kind in ("json", "geojson"))
        f = reading.feed_filter(subscriptions.NEWS_SIZE)
        title = await _title(request, conn, reading, TITLES.get(kind, NEWS_TITLE))
        salt = f"{kind}|{query_string(reading.query.params)}|{title}"
        if "if-none-match" in request.headers or "if-modified-since" in request.headers:
            # A poll: the validators from the same rows' few columns first, so a client
            # holding this version gets its 304 before the whole rows are read and named.
            etag, last = await subscriptions.validators(conn, kind, f, now,
                                                        _salted(request, salt))
            headers, held = _validation(request, etag, last)
            if held:
                return Response(status_code=304, headers=headers)
        if kind == "geojson":
            body, etag, last = await subscriptions.geojson(
                conn, f, now, settings_of(request).base_url, _salted(request, salt))
            headers, held = _validation(request, etag, last)
            if held:
                return Response(status_code=304, headers=headers)
            return Response(body, media_type="application/geo+json", headers=headers)
        rows = await subscriptions.listing(conn, kind, f, now)
        listed = await network.with_names(conn, rows)
    doc = _document(request, reading, kind, title)
    if kind == "ics":
        return _conditional(request, listed, "text/calendar; charset=utf-8",
                            lambda: exports.ics(listed, doc), salt)
    if kind == "atom":
        return _conditional(request, listed, "application/atom+xml; charset=utf-8",
                            lambda: exports.atom(listed, doc), salt)
    if kind == "json":
        return _conditional(
            request, listed, "application/feed+json",
            lambda: json.dumps(exports.json_feed(listed, doc), ensure_ascii=False), salt,
        )
    raise AssertionError(f"unknown export {kind}")


async def feed_ics(request: Request) -> Response:
    return await _export(request, "ics")


async def feed_atom(request: Request) -> Response:
    return await _export(request, "atom")


async def feed_json(request: Request) -> Response:
    return await _export(request, "json")


async def feed_geojson(request: Request) -> Response:
    return await _export(request, "geojson")


async def event_ics(request: Request) -> Response:
    """`/items/{id}/event.ics`: one event, for the "Add to my calendar" button."""
    raw = request.path_params["id"]
    if not raw.isdigit() or int(raw) > 2**62:
        return error_response(request, 404, N_("Not found."))
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT {feed.COLUMNS} FROM objects WHERE id = $1 AND deleted_at IS NULL "
            "AND kind = 'event' AND start_time IS NOT NULL", int(raw))
        if row is None:
            return error_response(request, 404, N_("Not found."))
        listed = await network.with_names(conn, [row])
    base = settings_of(request).base_url
    doc = exports.Document(base_url=base, self_url=f"{base}{request.url.path}",
                           html_url=exports.item_url(base, row), title=row["title"],
                           locale=request_locale(request))
    response = _conditional(request, listed, "text/calendar; charset=utf-8",
                            lambda: exports.ics(listed, doc), f"event|{raw}")
    response.headers["Content-Disposition"] = f'attachment; filename="event-{raw}.ics"'
    return response

routes: list[BaseRoute] = [
    Route("/feed.ics", feed_ics),
    Route("/feed.atom", feed_atom),
    Route("/feed.json", feed_json),
    Route("/feed.geojson", feed_geojson),
    Route("/items/{id}/event.ics", event_ics),
]
