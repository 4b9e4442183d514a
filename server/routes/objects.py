"""Initiative and event pages: HTML with OpenGraph and schema.org, AS2 by negotiation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation import themes
from federation.negotiation import wants_activity_json
from federation.objects.context import context_bytes
from federation.objects.dates import format_when
from federation.validation import is_http_url
from server.actors.profiles import contact_href
from server.http.responses import ActivityJSONResponse, error_response, render, request_locale
from server.http.security import with_own_scripts
from server.i18n import N_
from server.read import agenda, listings
from server.settings import Settings
from server.store import actors as actors_table
from server.store import objects as objects_table
from server.store import relayed


async def context_document(request: Request) -> Response:
    """Our JSON-LD context, at a stable URL on every instance."""
    body = context_bytes()
    return Response(body, media_type="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*",
                             "Cache-Control": "public, max-age=86400"})


def schema_org(row: asyncpg.Record) -> dict[str, Any]:
    """What search engines read: schema.org Event, or Project for an initiative."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event" if row["kind"] == "event" else "Project",
        "name": row["title"],
        "description": row["summary"],
        "url": row["url"] if is_http_url(row["url"]) else row["iri"],
    }
    if row["image_url"]:
        data["image"] = row["image_url"]
    if row["kind"] == "event":
        data["startDate"] = row["start_time"].isoformat() if row["start_time"] else None
        if row["end_time"]:
            data["endDate"] = row["end_time"].isoformat()
        data["eventStatus"] = {
            "cancelled": "https://schema.org/EventCancelled",
            "tentative": "https://schema.org/EventPostponed",
        }.get(row["status"] or "", "https://schema.org/EventScheduled")
    if row["place_name"]:
        place: dict[str, Any] = {"@type": "Place", "name": row["place_name"]}
        if row["place_address"]:
            place["address"] = row["place_address"]
        if row["latitude"] is not None:
            place["geo"] = {"@type": "GeoCoordinates", "latitude": row["latitude"],
                            "longitude": row["longitude"]}
        data["location"] = place
    return data


def _theme_labels(ids: list[str], locale: str) -> list[str]:
    labels = []
    for theme_id in ids:
        theme = themes.by_id(theme_id)
        if theme is not None:
            labels.append(theme.label(locale))
    return labels


def organisers_of(row: asyncpg.Record) -> list[str]:
    """An initiative's organisers: as our editor typed them, or as the peer sent them."""
    stored = [row["input"] if row["local"] else None, row["document"]]
    source = next((d.get("organisers") for d in stored
                   if isinstance(d, dict) and d.get("organisers") is not None), None)
    names = source if isinstance(source, list) else []
    return [name.strip()[:200] for name in names if isinstance(name, str) and name.strip()][:20]


async def _page(request: Request, row: asyncpg.Record) -> Response:
    locale = request_locale(request)
    events: list[asyncpg.Record] = []
    async with request.app.state.pool.acquire() as conn:
        initiative = None
        if row["initiative_iri"]:
            initiative = await objects_table.object_by_iri(conn, row["initiative_iri"])
        author = await actors_table.name_and_url(conn, row["actor_iri"])
        via = None if row["local"] else await relayed.via_of(conn, row["iri"])
        if row["kind"] == "initiative":
            events = await agenda.of_initiative(conn, row["iri"], datetime.now(UTC))
    structured = json.dumps(schema_org(row), ensure_ascii=False).replace("</", "<\\/")
    settings: Settings = request.app.state.settings
    response = render(
        request,
        "object.html",
        obj=row,
        author=author,
        via=via,
        initiative=initiative,
        content_html=Markup(row["content_html"]),  # sanitised when stored
        theme_labels=_theme_labels(list(row["themes"]), locale),
        when=(
            format_when(row["start_time"], row["end_time"], row["timezone"], locale)
            if row["start_time"] else None
        ),
        structured_data=Markup(structured),
        organisers=organisers_of(row),
        contact_href=contact_href(row["contact"]),
        events=[(event, format_when(event["start_time"], event["end_time"], event["timezone"],
                                    locale)) for event in events],
        tile_url=settings.tile_url,
        tile_attribution=settings.tile_attribution,
    )
    # the place's small map runs the reader's static map script
    return with_own_scripts(request, response) if row["latitude"] is not None else response


async def object_view(request: Request) -> Response:
    """`/objects/{uuid}`: our initiatives and events, and their tombstones."""
    settings: Settings = request.app.state.settings
    iri = f"{settings.base_url}/objects/{request.path_params['uuid']}"
    async with request.app.state.pool.acquire() as conn:
        row = await objects_table.object_by_iri(conn, iri)
    if row is None or not row["local"]:
        return error_response(request, 404, N_("Not found."))
    if row["deleted_at"] is not None:
        if wants_activity_json(request.headers.get("accept")):
            return ActivityJSONResponse(row["document"], status_code=410)
        return error_response(request, 410, N_("This publication was deleted."))
    if wants_activity_json(request.headers.get("accept")):
        return ActivityJSONResponse(row["document"])
    return await _page(request, row)


async def item_view(request: Request) -> Response:
    """`/items/{id}`: any stored initiative or event, ours or from a followed territory."""
    raw = request.path_params["id"]
    if not raw.isdigit() or int(raw) > 2**62:
        return error_response(request, 404, N_("Not found."))
    async with request.app.state.pool.acquire() as conn:
        row = await objects_table.object_by_id(conn, int(raw))
    if row is None:
        return error_response(request, 404, N_("Not found."))
    return await _page(request, row)


async def theme_view(request: Request) -> Response:
    """What a theme's hashtag links to: its initiatives and events, newest first."""
    theme = themes.by_id(request.path_params["theme"])
    if theme is None:
        return error_response(request, 404, N_("Not found."))
    locale = request_locale(request)
    async with request.app.state.pool.acquire() as conn:
        items = await listings.by_theme(conn, theme.id)
    return render(
        request, "theme.html", theme=theme,
        label=theme.label(locale), items=items,
    )


routes = [
    Route("/ns/maillage.jsonld", context_document),
    Route("/objects/{uuid}", object_view),
    Route("/items/{id}", item_view),
    Route("/themes/{theme}", theme_view),
]
