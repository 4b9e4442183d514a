"""A reader's filters, from the URL's query parameters to a typed query, or a clear refusal.

Every listing page and export (`/feed`, `/agenda`, `/map`, `/embed`, `/feed.ics`…) takes the
same parameters, so they are parsed once, here, without I/O: `parse()` returns a
`ReaderQuery` or raises `BadParameter` naming the parameter and saying what is wrong (a msgid,
translated where it is shown). A territory given by handle or IRI is resolved against the
database by the route; everything else is decided here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from federation import themes
from federation.vocab import KINDS, STATUSES
from server.i18n import N_
from server.read.feed import FeedFilter

MAX_RADIUS_KM = 500.0
DEFAULT_RADIUS_KM = 25.0
MAX_TEXT = 200
"""Characters of `q`: enough for any search a person types, and bounded work for the index."""
MAX_VALUE = 300
"""Characters of any other parameter's value."""
MAX_THEMES = len(themes.THEMES)
MAX_QUERY = 4000
"""Characters of the whole query string: a 10 KB query is refused before any parsing."""
FILTER_PARAMS = ("type", "theme", "territory", "q", "from", "to", "near", "radius", "bbox",
                 "status")
"""The parameters that narrow a list; the others (`past`, `after`, `lang`) only page or
present it."""

_HANDLE_RE = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})@([A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?)$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CURSOR_RE = re.compile(r"^(-?[0-9]{1,16})\.([0-9]{1,19})$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class BadParameter(ValueError):
    """A query parameter the reader cannot be answered with: `param` names it, `reason` is a
    msgid saying why (shown translated on the 400 page)."""

    def __init__(self, param: str, reason: str, **values: object) -> None:
        super().__init__(f"{param}: {reason % values if values else reason}")
        self.param = param
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class Territory:
    """How the reader named a territory: by handle (`brest@brest.example`) or by IRI."""

    raw: str
    username: str | None = None
    domain: str | None = None
    iri: str | None = None


@dataclass(frozen=True)
class ReaderQuery:
    kind: str | None = None
    themes: tuple[str, ...] = ()
    territory: Territory | None = None
    text: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    """Inclusive: `to=2026-12-31` keeps events starting on the 31st."""
    near: tuple[float, float, float] | None = None
    """(latitude, longitude, radius in km)."""
    bbox: tuple[float, float, float, float] | None = None
    """(west, south, east, north)."""
    status: str | None = None
    past: bool = False
    after: tuple[datetime, int] | None = None
    """Keyset cursor: the (sort time, id) of the last item already shown."""
    params: tuple[tuple[str, str], ...] = field(default=())
    """The filter parameters as given (normalised, in their order), for links and chips."""

    @property
    def filtered(self) -> bool:
        return bool(self.params)

    def feed_filter(
        self, zone: ZoneInfo, actor_iri: str | None = None, limit: int = 20
    ) -> FeedFilter:
        """The feed query for these filters; `actor_iri` is the resolved territory."""
        starts_after, starts_before = self.window(zone)
        return FeedFilter(
            kind=self.kind,
            themes=self.themes,
            actor=actor_iri,
            starts_after=starts_after,
            starts_before=starts_before,
            bounds=self.bbox,
            text=self.text,
            status=self.status,
            near=self.near,
            before=self.after,
            limit=limit,
        )

    def window(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """`from`/`to` as instants: from the start of the first day to the end of the last,
        in the instance's zone."""
        start = end = None
        if self.date_from is not None:
            start = datetime.combine(self.date_from, time(), zone).astimezone(UTC)
        if self.date_to is not None:
            end = datetime.combine(self.date_to + timedelta(days=1), time(), zone).astimezone(UTC)
        return start, end


def query_string(
    params: Iterable[tuple[str, str]],
    without: tuple[str, str] | None = None,
    extra: Sequence[tuple[str, str]] = (),
) -> str:
    """`?a=1&b=2` (or "") from `params`, less the one pair `without`, plus `extra`."""
    kept = [pair for pair in params if pair != without]
    kept.extend(extra)
    return "?" + urlencode(kept) if kept else ""


def _one(values: dict[str, list[str]], name: str) -> str | None:
    given = values.get(name)
    if not given:
        return None
    value = given[-1].strip()
    if len(value) > (MAX_TEXT if name == "q" else MAX_VALUE):
        if name == "q":
            raise BadParameter(name, N_("The search is too long (at most %(max)s characters)."),
                               max=MAX_TEXT)
        raise BadParameter(name, N_("This value is too long."))
    return value or None


def _number(name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadParameter(name, N_("Numbers must be written like 48.39 or -4.49.")) from None
    if not math.isfinite(value):
        raise BadParameter(name, N_("Numbers must be written like 48.39 or -4.49."))
    if not low <= value <= high:
        raise BadParameter(name, N_("A value is out of range (%(low)s to %(high)s)."),
                           low=f"{low:g}", high=f"{high:g}")
    return value


def _date(name: str, text: str) -> date:
    if not _DATE_RE.match(text):
        raise BadParameter(name, N_("Dates must be written YYYY-MM-DD, e.g. 2026-12-31."))
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise BadParameter(name, N_("This date does not exist.")) from None
    if not 1900 <= value.year <= 2200:
        raise BadParameter(name, N_("This date does not exist."))
    return value


def parse_territory(text: str) -> Territory:
    if text.startswith(("https://", "http://")):
        if any(c.isspace() for c in text):
            raise BadParameter("territory", N_("Name a territory as name@domain or by its URL."))
        return Territory(raw=text, iri=text)
    match = _HANDLE_RE.match(text)
    if match is None:
        raise BadParameter("territory", N_("Name a territory as name@domain or by its URL."))
    return Territory(raw=text.lstrip("@"), username=match.group(1).lower(),
                     domain=match.group(2).lower())


def parse_cursor(text: str) -> tuple[datetime, int]:
    """`after=<microseconds since 1970>.<id>`: opaque to readers, exact for the keyset."""
    match = _CURSOR_RE.match(text)
    if match is None:
        raise BadParameter("after", N_("This page link is damaged; start again from the list."))
    micros, ident = int(match.group(1)), int(match.group(2))
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    except OverflowError:
        raise BadParameter("after", N_("This page link is damaged; start again from the list.")) \
            from None
    if ident > 2**62:
        raise BadParameter("after", N_("This page link is damaged; start again from the list."))
    return moment, ident


def cursor(moment: datetime, ident: int) -> str:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{ident}"


def clean_text(text: str) -> str | None:
    """The search as PostgreSQL's `websearch_to_tsquery` reads it (quotes and `-` are its
    syntax, and harmless); control characters are dropped."""
    cleaned = " ".join(_CONTROL_RE.sub(" ", text).split())
    return cleaned or None


def parse(pairs: Sequence[tuple[str, str]], raw_query: str = "") -> ReaderQuery:
    """The reader's query from the URL's parameters (in order, repeated ones kept)."""
    if len(raw_query) > MAX_QUERY:
        raise BadParameter("q", N_("The address is too long (at most %(max)s characters)."),
                           max=MAX_QUERY)
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    kept: list[tuple[str, str]] = []

    kind = _one(values, "type")
    if kind is not None:
        if kind not in KINDS:
            raise BadParameter("type", N_("Choose event or initiative."))
        kept.append(("type", kind))

    chosen: list[str] = []
    for value in values.get("theme", []):
        value = value.strip()
        if not value:
            continue
        if len(value) > MAX_VALUE or themes.by_id(value) is None:
            raise BadParameter("theme", N_("There is no theme of that name."))
        if value not in chosen:
            chosen.append(value)
            kept.append(("theme", value))
    if len(chosen) > MAX_THEMES:
        raise BadParameter("theme", N_("There is no theme of that name."))

    territory = None
    named = _one(values, "territory")
    if named is not None:
        territory = parse_territory(named)
        kept.append(("territory", territory.raw))

    text = None
    q = _one(values, "q")
    if q is not None:
        text = clean_text(q)
        if text is not None:
            kept.append(("q", text))

    date_from = date_to = None
    given_from, given_to = _one(values, "from"), _one(values, "to")
    if given_from is not None:
        date_from = _date("from", given_from)
        kept.append(("from", given_from))
    if given_to is not None:
        date_to = _date("to", given_to)
        kept.append(("to", given_to))
    if date_from and date_to and date_to < date_from:
        raise BadParameter("to", N_("The end date comes before the start date."))

    near = None
    point, radius = _one(values, "near"), _one(values, "radius")
    if radius is not None and point is None:
        raise BadParameter("radius", N_("A radius needs a point: near=LAT,LON."))
    if point is not None:
        parts = point.split(",")
        if len(parts) != 2:
            raise BadParameter("near", N_("Write a point as LAT,LON, e.g. 48.39,-4.49."))
        lat = _number("near", parts[0], -90, 90)
        lon = _number("near", parts[1], -180, 180)
        km = DEFAULT_RADIUS_KM
        if radius is not None:
            km = _number("radius", radius, -math.inf, math.inf)
            if km > MAX_RADIUS_KM:
                raise BadParameter("radius", N_("The radius is at most %(max)s km."),
                                   max=int(MAX_RADIUS_KM))
            if km <= 0:
                raise BadParameter("radius", N_("A value is out of range (%(low)s to %(high)s)."),
                                   low=0, high=int(MAX_RADIUS_KM))
        near = (lat, lon, km)
        kept.append(("near", point))
        if radius is not None:
            kept.append(("radius", radius))

    bbox = None
    box = _one(values, "bbox")
    if box is not None:
        parts = box.split(",")
        if len(parts) != 4:
            raise BadParameter("bbox", N_("Write a map area as WEST,SOUTH,EAST,NORTH."))
        west = _number("bbox", parts[0], -180, 180)
        south = _number("bbox", parts[1], -90, 90)
        east = _number("bbox", parts[2], -180, 180)
        north = _number("bbox", parts[3], -90, 90)
        if west > east or south > north:
            raise BadParameter("bbox", N_("Write a map area as WEST,SOUTH,EAST,NORTH."))
        bbox = (west, south, east, north)
        kept.append(("bbox", box))

    status = _one(values, "status")
    if status is not None:
        if status not in STATUSES:
            raise BadParameter("status", N_("Choose confirmed, tentative or cancelled."))
        kept.append(("status", status))

    past = _one(values, "past") in {"1", "true", "yes"}
    after = None
    given_after = _one(values, "after")
    if given_after is not None:
        after = parse_cursor(given_after)

    return ReaderQuery(
        kind=kind, themes=tuple(chosen), territory=territory, text=text, date_from=date_from,
        date_to=date_to, near=near, bbox=bbox, status=status, past=past, after=after,
        params=tuple(kept),
    )


def without_paging(query: ReaderQuery) -> ReaderQuery:
    return replace(query, after=None)
