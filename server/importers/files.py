"""Import files (JSON or CSV) read into rows of the editor's input model.

Pure reading: nothing is published here (`server.importers.publishing` does that), so a
file's problems can be reported row by row before anything is sent. The CSV columns are
documented in docs/import.md, and `IMPORT_CSV_HEADER` is tested equal to its example.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from federation.vocab import parse_decimal as _csv_number

ImportRow = tuple[int, str | None, dict[str, Any], list[str]]
"""(row number from 1, kind, input, problems)."""

IMPORT_CSV_HEADER = (
    "kind,title,summary,description,themes,place_name,place_address,latitude,longitude,"
    "website,contact,stage,organisers,start,end,timezone,status,image_url,image_alt"
)
IMPORT_CSV_COLUMNS = tuple(IMPORT_CSV_HEADER.split(","))
IMPORT_CSV_OPTIONAL = ("initiative",)
"""Accepted too: the IRI of the initiative an event belongs to."""
_CSV_PLAIN = tuple(
    "title summary description website contact stage start end timezone status initiative".split()
)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not a row's fault)."""


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
    return data, problems


def read_import_file(path: str, default_kind: str | None) -> list[ImportRow]:
    """(row number from 1, kind, input, problems) for each item of a JSON or CSV file."""
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from exc
    rows: list[ImportRow] = []
    if path.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{"):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise ImportFileError(f"{path} is not valid JSON: {exc}") from exc
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise ImportFileError("a JSON import is a list of objects")
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                rows.append((number, None, {}, ["item: must be a JSON object"]))
                continue
            item = dict(item)
            kind = item.pop("kind", None) or default_kind
            rows.append((number, kind if isinstance(kind, str) else None, item, []))
        return rows
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [n for n in header if n not in IMPORT_CSV_COLUMNS + IMPORT_CSV_OPTIONAL]
    if not header or "title" not in header:
        raise ImportFileError("the CSV file needs a header row with at least a title column")
    if unknown:
        raise ImportFileError(f"unknown CSV column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    for number, cells in enumerate(reader, start=1):
        if None in cells:
            rows.append((number, None, {}, ["row: more cells than columns in the header"]))
            continue
        data, problems = csv_row_input(cells)
        rows.append((number, (cells.get("kind") or "").strip() or default_kind, data, problems))
    return rows
