"""Import files (JSON, CSV or an iCalendar `.ics`) read into rows of the editor's input model.

Pure reading: nothing is published here (`server.importers.publishing` does that), so a
file's problems can be reported row by row before anything is sent — by the command, or on
the web page's preview. Values are read as French spreadsheets hold them (`12/12/2026 19:00`,
theme labels such as `Tiers-lieux`, see `server.importers.values`). An item's identifier in
its source (the ICS `UID`, an `external_id` column or key) is kept as `external_id`, so a
second import of the same file updates instead of duplicating. The CSV columns are
documented in docs/import.md, and `IMPORT_CSV_HEADER` is tested equal to its example.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from federation.vocab import parse_decimal as _csv_number
from server.i18n import N_
from server.importers.values import parse_datetime, theme_id

ImportRow = tuple[int, str | None, dict[str, Any], list[str]]
"""(row number from 1, kind, input, problems)."""

IMPORT_CSV_HEADER = (
    "kind,title,summary,description,themes,place_name,place_address,latitude,longitude,"
    "website,contact,stage,organisers,start,end,timezone,status,image_url,image_alt"
)
IMPORT_CSV_COLUMNS = tuple(IMPORT_CSV_HEADER.split(","))
IMPORT_CSV_OPTIONAL = ("initiative", "external_id", "online_url", "all_day")
"""Accepted too: the IRI of the initiative an event belongs to, the item's identifier in
the source (a second import updates it), an online event's link, all-day (`oui`/`yes`)."""
_CSV_PLAIN = tuple(
    "title summary description website contact stage start end timezone status initiative "
    "external_id online_url".split()
)
MAX_ROWS = 2000
"""Items in one file; a bigger file is refused at once (split it), not half imported."""
MAX_BYTES = 5 * 1024 * 1024
TRUE_WORDS = ("1", "oui", "yes", "true", "vrai", "x")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not a row's fault). `message` is a msgid with
    `%(name)s` placeholders filled from `params`, so the web page words it in the reader's
    language; `str()` is the English line the command prints."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        text = message % params if params else message
        # the command's line: "error: unknown CSV column(s): colour"
        super().__init__(text[:1].lower() + text[1:].rstrip("."))


NOT_TEXT = N_("The file is not text in UTF-8 or Windows-1252: save it again as CSV UTF-8.")
TOO_MANY_ROWS = N_("The file has more than %(limit)s items: split it into smaller files.")
TOO_BIG = N_("The file is larger than 5 MB: split it into smaller files.")
BAD_JSON = N_("The file is not valid JSON (line %(line)s).")
NOT_A_LIST = N_("A JSON import is a list of objects.")
NO_TITLE_COLUMN = N_("The CSV file needs a header row with at least a title column.")
UNKNOWN_COLUMNS = N_("Unknown CSV column(s): %(columns)s.")
BAD_ICS = N_("The calendar file cannot be read: it is not a valid .ics file.")
NO_EVENTS = N_("The calendar file holds no event.")
UNREADABLE = N_("The file cannot be read.")


def decode(content: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), else Windows-1252 (what a French
    Excel saves as "CSV"); binary data is refused."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(TOO_BIG)
    if b"\x00" in content:
        raise ImportFileError(NOT_TEXT)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportFileError(NOT_TEXT) from exc
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):
        raise ImportFileError(NOT_TEXT)
    return text


def _datetime_cell(value: str) -> tuple[str, bool]:
    """A date cell as ISO when it reads as one (else as typed, for the checks to refuse)."""
    parsed = parse_datetime(value)
    return parsed if parsed else (value, True)


def normalise_item(data: dict[str, Any]) -> dict[str, Any]:
    """French dates, theme labels and all-day flags of one item, read into the input model."""
    out = dict(data)
    dated = {}
    for name in ("start", "end"):
        if isinstance(out.get(name), str) and out[name].strip():
            out[name], dated[name] = _datetime_cell(out[name])
    if isinstance(out.get("all_day"), str):
        out["all_day"] = out["all_day"].strip().lower() in TRUE_WORDS
    if out.get("all_day") is False:
        out.pop("all_day")
    if "start" in dated and not dated["start"] and not dated.get("end", False):
        out["all_day"] = True  # dates without times: whole days
    if out.get("all_day") is True and isinstance(out.get("start"), str):
        out["start"] = out["start"][:10] + "T00:00"
        last = out["end"] if isinstance(out.get("end"), str) else out["start"]
        out["end"] = last[:10] + "T23:59"
    themes = out.get("themes")
    if isinstance(themes, list):
        out["themes"] = [
            (theme_id(t) or t) if isinstance(t, str) else t for t in themes
        ]
    for name in ("external_id",):
        if isinstance(out.get(name), int | float) and not isinstance(out[name], bool):
            out[name] = str(out[name])
    return out


def csv_row_input(cells: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """One CSV row as the editor's input model (empty cells left out), and its problems."""
    cells = {k: (v or "").strip() for k, v in cells.items() if k}
    data: dict[str, Any] = {k: cells[k] for k in _CSV_PLAIN if cells.get(k)}
    problems: list[str] = []
    for name in ("themes", "organisers"):
        items = [part.strip() for part in cells.get(name, "").split("|") if part.strip()]
        if items:
            data[name] = items
    place: dict[str, Any] = {}
    if cells.get("place_name"):
        place["name"] = cells["place_name"]
    if cells.get("place_address"):
        place["address"] = cells["place_address"]
    for name in ("latitude", "longitude"):
        if cells.get(name):
            number = _csv_number(cells[name])
            if number is None:
                problems.append(f"{name}: not a number ({cells[name]!r})")
            else:
                place[name] = number
    if place:
        data["place"] = place
    if cells.get("image_url") or cells.get("image_alt"):
        data["image"] = {k: cells[f"image_{k}"] for k in ("url", "alt") if cells.get(f"image_{k}")}
    if cells.get("all_day"):
        data["all_day"] = cells["all_day"]
    return normalise_item(data), problems


def _json_rows(text: str, default_kind: str | None) -> list[ImportRow]:
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise ImportFileError(BAD_JSON, line=getattr(exc, "lineno", "?")) from exc
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise ImportFileError(NOT_A_LIST)
    if len(items) > MAX_ROWS:
        raise ImportFileError(TOO_MANY_ROWS, limit=MAX_ROWS)
    rows: list[ImportRow] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append((number, None, {}, ["item: must be a JSON object"]))
            continue
        item = dict(item)
        kind = item.pop("kind", None) or default_kind
        rows.append((number, kind if isinstance(kind, str) else None, normalise_item(item), []))
    return rows


def _csv_rows(text: str, default_kind: str | None) -> list[ImportRow]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as exc:
        raise ImportFileError(UNREADABLE) from exc
    unknown = [n for n in header if n not in IMPORT_CSV_COLUMNS + IMPORT_CSV_OPTIONAL]
    if not header or "title" not in header:
        raise ImportFileError(NO_TITLE_COLUMN)
    if unknown:
        raise ImportFileError(UNKNOWN_COLUMNS, columns=", ".join(unknown))
    reader.fieldnames = header
    rows: list[ImportRow] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise ImportFileError(TOO_MANY_ROWS, limit=MAX_ROWS)
            if None in cells:
                rows.append((number, None, {}, ["row: more cells than columns in the header"]))
                continue
            data, problems = csv_row_input(cells)
            rows.append((number, (cells.get("kind") or "").strip() or default_kind, data, problems))
    except csv.Error as exc:
        raise ImportFileError(UNREADABLE) from exc
    return rows


def _ics_when(value: Any) -> tuple[str, str | None, bool]:
    """(local ISO datetime, its zone name when it has one, whether it is a whole day)."""
    if isinstance(value, datetime):
        zone = getattr(value.tzinfo, "key", None) if isinstance(value.tzinfo, ZoneInfo) else None
        if value.tzinfo is not None and zone is None:
            return value.isoformat(timespec="minutes"), None, False
        return value.replace(tzinfo=None).isoformat(timespec="minutes"), zone, False
    if isinstance(value, date):
        return value.isoformat() + "T00:00", None, True
    raise ValueError("not a date")


def _ics_rows(text: str) -> list[ImportRow]:
    """One event per VEVENT; its UID becomes `external_id`. A repeating VEVENT (RRULE) is
    imported as its first date only."""
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError) as exc:
        raise ImportFileError(BAD_ICS) from exc
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise ImportFileError(NO_EVENTS)
    if len(events) > MAX_ROWS:
        raise ImportFileError(TOO_MANY_ROWS, limit=MAX_ROWS)
    rows: list[ImportRow] = []
    for number, event in enumerate(events, start=1):
        data: dict[str, Any] = {}
        problems: list[str] = []
        for key, name in (("SUMMARY", "title"), ("DESCRIPTION", "description"),
                          ("UID", "external_id"), ("URL", "online_url")):
            if event.get(key):
                data[name] = str(event.get(key)).strip()
        if str(event.get("STATUS", "")).upper() in ("TENTATIVE", "CANCELLED", "CONFIRMED"):
            data["status"] = str(event.get("STATUS")).lower()
        try:
            start = event.get("DTSTART")
            if start is not None:
                data["start"], zone, whole = _ics_when(start.dt)
                if zone:
                    data["timezone"] = zone
                if whole:
                    data["all_day"] = True
            end = event.get("DTEND")
            if end is not None:
                data["end"], _, end_whole = _ics_when(end.dt)
                if end_whole and isinstance(end.dt, date):  # DTEND of a day is exclusive
                    last = date.fromordinal(end.dt.toordinal() - 1)
                    data["end"] = last.isoformat() + "T23:59"
        except (ValueError, AttributeError):
            problems.append("start: not a valid date and time")
        location = str(event.get("LOCATION") or "").strip()
        place: dict[str, Any] = {}
        if location:
            name, _, address = location.partition(",")
            place["name"] = name.strip()[:200]
            if address.strip():
                place["address"] = address.strip()[:300]
        geo = event.get("GEO")
        if geo is not None and place:
            place["latitude"], place["longitude"] = float(geo.latitude), float(geo.longitude)
        if place:
            data["place"] = place
        categories = event.get("CATEGORIES")
        if categories is not None:
            names = [str(c) for item in (categories if isinstance(categories, list)
                                         else [categories]) for c in item.cats]
            themes = [found for c in names if (found := theme_id(c))]
            if themes:
                data["themes"] = list(dict.fromkeys(themes))
        rows.append((number, "event", data, problems))
    return rows


def read_import_bytes(name: str, content: bytes, default_kind: str | None) -> list[ImportRow]:
    """(row number from 1, kind, input, problems) for each item of a JSON, CSV or .ics file
    (chosen by the name's extension, else by the first characters)."""
    text = decode(content)
    head = text.lstrip()[:20]
    if name.lower().endswith(".ics") or head.upper().startswith("BEGIN:VCALENDAR"):
        return _ics_rows(text)
    if name.lower().endswith(".json") or head[:1] in ("[", "{"):
        return _json_rows(text, default_kind)
    return _csv_rows(text, default_kind)


def read_import_file(path: str, default_kind: str | None) -> list[ImportRow]:
    """`read_import_bytes` of a file on disk."""
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from exc
    return read_import_bytes(path, content, default_kind)
