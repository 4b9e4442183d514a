"""What every reader page shares: the request's filters read and resolved, the 400 page
that names a bad parameter, and the view models the templates show (items with their marked
words, chips that remove one filter, the export links, the filter form's choices)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from babel.dates import format_date, format_time
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from federation import themes
from federation.objects.dates import format_when
from federation.objects.dates import zone as event_zone
from server.http.responses import render, request_locale
from server.i18n import N_, translations
from server.read import feed, highlight, network
from server.read.filters import BadParameter, ReaderQuery, cursor, query_string
from server.read.filters import parse as parse_filters
from server.settings import Settings
from server.store import actors as store
from server.store.search import unaccent


class UnknownTerritory(BadParameter):
    """`territory=` is well formed but names no actor this instance knows."""


@dataclass
class Reading:
    """One request's parsed filters, with the territory they name resolved."""

    query: ReaderQuery
    actor: asyncpg.Record | None
    zone: ZoneInfo
    locale: str

    def feed_filter(self, limit: int = feed.PAGE_SIZE) -> feed.FeedFilter:
        return self.query.feed_filter(
            self.zone, self.actor["iri"] if self.actor else None, limit=limit
        )




def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def gettext_of(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def bad_parameter(request: Request, exc: BadParameter, as_json: bool = False) -> Response:
    """400, naming the parameter: a page in the reader's language, or JSON for exports."""
    if as_json:
        reason = exc.reason % exc.values if exc.values else exc.reason
        return JSONResponse({"error": reason, "parameter": exc.param}, status_code=400)
    _ = gettext_of(request)
    reason = _(exc.reason) % exc.values if exc.values else _(exc.reason)
    message = _("Parameter “%(name)s”: %(reason)s") % {"name": exc.param, "reason": reason}
    return render(request, "error.html", status_code=400, status=400, message=message)


async def read_filters(request: Request, conn: asyncpg.Connection) -> Reading:
    query = parse_filters(request.query_params.multi_items(), request.url.query)
    actor = None
    if query.territory is not None:
        actor = await network.resolve(conn, query.territory)
        if actor is None:
            raise UnknownTerritory(
                "territory", N_("This instance knows no territory by that name.")
            )
    return Reading(query, actor, ZoneInfo(settings_of(request).timezone), request_locale(request))




def when_words(row: Any, locale: str) -> str | None:
    if row["start_time"] is None:
        return None
    return format_when(row["start_time"], row["end_time"], row["timezone"], locale)


def _hours(row: Any, locale: str, fallback: ZoneInfo) -> str:
    """`14:00–17:00` in the event's zone, its name added when it is not the instance's."""
    tz = event_zone(row["timezone"]) or fallback
    text = format_time(row["start_time"].astimezone(tz), "short", locale=locale)
    if row["end_time"] is not None:
        end = row["end_time"].astimezone(tz)
        if end.date() == row["start_time"].astimezone(tz).date():
            text += "–" + format_time(end, "short", locale=locale)
    if tz.key != fallback.key:
        text += f" ({tz.key})"
    return text


def _item(row: dict[str, Any], reading: Reading, stems: list[str]) -> dict[str, Any]:
    locale = reading.locale
    chips = []
    for theme_id in row["themes"]:
        theme = themes.by_id(theme_id)
        if theme is not None:
            chips.append({"label": theme.label(locale),
                          "href": "/feed" + query_string([("theme", theme_id)])})
    source = None
    if row["actor_name"] and not row["local"]:
        source = {"name": row["actor_name"],
                  "href": "/feed" + query_string([("territory", row["actor_iri"])])}
    return {
        **row,
        "href": f"/items/{row['id']}",
        "title_html": highlight.mark(row["title"], stems),
        "summary_html": highlight.mark(row["summary"], stems),
        "when": when_words(row, locale),
        "hours": _hours(row, locale, reading.zone) if row["start_time"] else None,
        "chips": chips,
        "source": source,
    }


async def item_views(
    conn: asyncpg.Connection, rows: list[Any], reading: Reading
) -> list[dict[str, Any]]:
    stems: list[str] = []
    if reading.query.text:
        words = highlight.positive_words(reading.query.text)
        if words:
            stems = list(await conn.fetchval(highlight.LEXEMES, unaccent(words)))
    return [_item(row, reading, stems) for row in await network.with_names(conn, rows)]


def chips_of(request: Request, reading: Reading) -> list[dict[str, str]]:
    """Each filter in force, worded, with the link that removes it (near takes its radius
    along)."""
    _ = gettext_of(request)
    params = list(reading.query.params)
    path = request.url.path
    chips = []
    for name, value in params:
        if name == "radius":
            continue
        drop = [(name, value)]
        if name == "type":
            label = _("Events") if value == "event" else _("Initiatives")
        elif name == "theme":
            theme = themes.by_id(value)
            label = theme.label(reading.locale) if theme else value
        elif name == "territory":
            label = reading.actor["name"] if reading.actor and reading.actor["name"] else value
        elif name == "q":
            label = f"“{value}”"
        elif name == "from":
            label = _("From %(day)s") % {"day": _day_words(value, reading.locale)}
        elif name == "to":
            label = _("Until %(day)s") % {"day": _day_words(value, reading.locale)}
        elif name == "near":
            assert reading.query.near is not None
            label = _("Within %(km)s km of %(point)s") % {
                "km": f"{reading.query.near[2]:g}", "point": value}
            drop += [p for p in params if p[0] == "radius"]
        elif name == "bbox":
            label = _("In the map area")
        else:
            label = {"confirmed": _("Confirmed"), "tentative": _("To be confirmed"),
                     "cancelled": _("Cancelled")}.get(value, value)
        kept = [p for p in params if p not in drop]
        chips.append({"label": label, "remove": path + query_string(kept), "name": name})
    return chips


def _day_words(value: str, locale: str) -> str:
    return str(format_date(date.fromisoformat(value), "long", locale=locale))


def alternates(request: Request, reading: Reading) -> dict[str, str]:
    settings = settings_of(request)
    qs = query_string(reading.query.params)
    base = settings.base_url
    return {
        "ics": f"{base}/feed.ics{qs}",
        "webcal": f"webcal://{settings.domain}/feed.ics{qs}",
        "atom": f"{base}/feed.atom{qs}",
        "json": f"{base}/feed.json{qs}",
        "geojson": f"{base}/feed.geojson{qs}",
        "embed": f"{base}/embed{qs}",
    }


async def form_context(conn: asyncpg.Connection, request: Request, reading: Reading) -> dict[
    str, Any
]:
    """What the filter form offers: the themes, and the territories of this network."""
    territory = await store.territory(conn)
    known = []
    if territory is not None:
        known.append({"iri": territory["iri"], "name": territory["name"]})
        for row in await network.members(conn, territory["iri"]):
            known.append({"iri": row["iri"], "name": row["name"] or row["username"]})
    values = dict(reading.query.params)
    chosen_territory = reading.actor["iri"] if reading.actor else values.get("territory")
    return {
        "themes_all": [(t.id, t.label(reading.locale)) for t in themes.THEMES],
        "chosen_themes": set(reading.query.themes),
        "territories_known": known,
        "chosen_territory": chosen_territory,
        "values": values,
        "alternates": alternates(request, reading),
        "chips": chips_of(request, reading),
        "home_territory": territory,
        "lang_href": lang_links(request),
    }


def lang_links(request: Request) -> dict[str, str]:
    """The language switch keeps the page's filters: `?theme=sante&lang=en`."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return {code: query_string([*kept, ("lang", code)]) for code in ("fr", "en")}


def later_cursor(rows: list[Any], limit: int, key: str) -> str | None:
    if len(rows) < limit:
        return None
    last = rows[-1]
    return cursor(last[key], last["id"])


def page_link(request: Request, reading: Reading, after: str | None, **extra: str) -> str | None:
    if after is None:
        return None
    pairs = list(reading.query.params) + list(extra.items()) + [("after", after)]
    return request.url.path + query_string(pairs)


def geojson_response(data: dict[str, Any]) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/geo+json")
