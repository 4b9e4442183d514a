"""JSON Schema checks of what editors submit and of what arrives from other servers.

The schemas live in `schemas/` at the repository root. Every problem comes back as an
`Issue` (field path, a machine code, the limit when there is one) so the interface can word
it in the reader's language; `str(issue)` is a plain English line such as
`title: too long (max 200)`.

Formats are checked by our own functions, not by jsonschema's optional extras, so `uri`
means an absolute http(s) URL everywhere and the result does not depend on which extras
happen to be installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent.parent / "schemas"

_NAMES = {
    "event": "event.schema.json",
    "initiative": "initiative.schema.json",
    "remote": "remote-object.schema.json",
}


@dataclass(frozen=True)
class Issue:
    """One problem with one field. `path` is `title`, `place.latitude`, `themes[2]`…
    (empty for the document itself); `code` is stable (`too_long`, `missing`, `type`…)."""

    path: str
    code: str
    limit: Any = None
    detail: str = ""

    def __str__(self) -> str:
        where = self.path or "(document)"
        return f"{where}: {self.detail or self.code.replace('_', ' ')}"


def is_http_url(value: object) -> bool:
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats only constrain strings
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("uri")(lambda value: not isinstance(value, str) or is_http_url(value))
    checker.checks("date-time")(_is_datetime)
    return checker


@cache
def _registry() -> Registry:
    resources = []
    for name in _NAMES.values():
        schema = json.loads((SCHEMAS / name).read_text("utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def _validator(which: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / _NAMES[which]).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry(), format_checker=_format_checker())


@cache
def input_fields(which: str) -> frozenset[str]:
    """The fields the `which` schema describes: what the editor's input of that kind may
    hold. Other fields (another kind's, or unknown) are dropped before checking, so they can
    neither slip past the schema unchecked nor reach storage."""
    schema = json.loads((SCHEMAS / _NAMES[which]).read_text("utf-8"))
    return frozenset(schema.get("properties", {}))


@cache
def _fast_validator(which: str) -> jsonschema_rs.Validator:
    """The same schema compiled once by `jsonschema_rs` (Rust, about 50x faster): it only
    answers "valid or not" for the common, valid case; problems are always described by
    the Python validator above, so messages and codes do not depend on it."""
    resources = []
    for name in _NAMES.values():
        schema = json.loads((SCHEMAS / name).read_text("utf-8"))
        resources.append((schema["$id"], schema))
    return jsonschema_rs.validator_for(
        json.loads((SCHEMAS / _NAMES[which]).read_text("utf-8")),
        registry=jsonschema_rs.Registry(resources),
        formats={"uri": is_http_url, "date-time": _is_datetime},
        validate_formats=True,
    )


def _surely_valid(which: str, data: Any) -> bool:
    """True when the compiled validator accepts `data`; False when it refuses it or cannot
    take it (a lone surrogate has no Rust string): the Python validator then decides."""
    try:
        return bool(_fast_validator(which).is_valid(data))
    except Exception:  # any doubt goes to the reference validator
        return False


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}


def _issues(error: ValidationError) -> list[Issue]:
    path = _path(error.absolute_path)
    keyword = error.validator
    limit: Any = error.validator_value  # its type follows the keyword, checked below
    if keyword == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [Issue(_join(path, name), "missing") for name in limit if name not in present]
    if keyword == "anyOf" and all(set(option) == {"required"} for option in limit):
        # {"anyOf": [{"required": ["name"]}, {"required": ["nameMap"]}]}: the first is missing
        return [Issue(_join(path, limit[0]["required"][0]), "missing")]
    if keyword == "dependentRequired":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [
            Issue(_join(path, needed), "missing", detail=f"missing (required with {name})")
            for name, needs in limit.items()
            if name in present
            for needed in needs
            if needed not in present
        ]
    simple = {
        "maxLength": ("too_long", f"too long (max {limit})"),
        "minLength": (
            ("empty", "empty") if limit == 1 else ("too_short", f"too short (min {limit})")
        ),
        "maximum": ("too_large", f"too large (max {limit})"),
        "minimum": ("too_small", f"too small (min {limit})"),
        "maxItems": ("too_many", f"too many items (max {limit})"),
        "minItems": ("too_few", f"too few items (min {limit})"),
        "uniqueItems": ("duplicate", "duplicate items"),
        "pattern": ("invalid", "invalid format"),
    }
    if keyword in simple:
        code, detail = simple[keyword]
        return [Issue(path, code, limit, detail)]
    if keyword == "type":
        kinds = limit if isinstance(limit, list) else [limit]
        words = " or ".join(_TYPE_WORDS.get(str(kind), str(kind)) for kind in kinds)
        return [Issue(path, "type", limit, f"must be {words}")]
    if keyword == "enum":
        shown = ", ".join(str(v) for v in limit) if len(limit) <= 5 else None
        detail = f"must be one of: {shown}" if shown else f"unknown value {error.instance!r}"
        return [Issue(path, "not_allowed", limit, detail)]
    if keyword == "format":
        word = {"uri": "not an http(s) URL", "date-time": "not a valid date and time"}
        return [Issue(path, "format", limit, word.get(limit, f"not a valid {limit}"))]
    return [Issue(path, str(keyword), limit, error.message)]


def check(which: str, data: Any) -> list[Issue]:
    """Schema problems of `data` against `which` ("event", "initiative" or "remote")."""
    if _surely_valid(which, data):
        return []
    found: list[Issue] = []
    for error in _validator(which).iter_errors(data):
        found.extend(_issues(error))
    unique = {(issue.path, issue.code, issue.detail): issue for issue in found}
    return sorted(unique.values(), key=lambda issue: (issue.path, issue.code))


def _local_datetime(value: Any, zone: ZoneInfo | None) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone) if zone else None
    return parsed


YEARS = (1970, 2200)
"""Event dates we accept, first and last year. Outside, PostgreSQL or Python cannot hold the
value in every zone (year 1 becomes `-infinity`, 9999-12-31 in Paris overflows), and before
the 1970s some zones had offsets in seconds (Paris +00:09:21 until 1911) that no peer reads."""
DATE_RANGE_DETAIL = f"must be between {YEARS[0]} and {YEARS[1]}"


def in_date_range(moment: datetime) -> bool:
    """Whether an aware (or naive local) datetime falls in `YEARS`, in UTC and as written."""
    if not YEARS[0] <= moment.year <= YEARS[1]:
        return False
    if moment.tzinfo is None:
        return True
    try:
        return YEARS[0] <= moment.astimezone(UTC).year <= YEARS[1]
    except OverflowError:
        return False


def _zone(name: Any) -> ZoneInfo | None:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_+/-]{1,64}", name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def check_event_input(data: Any) -> list[Issue]:
    found = check("event", data)
    if not isinstance(data, dict):
        return found
    if "timezone" in data and not any(i.path == "timezone" for i in found):
        if _zone(data["timezone"]) is None:
            found.append(Issue("timezone", "unknown_zone", detail="unknown time zone"))
    zone = _zone(data.get("timezone")) or ZoneInfo("UTC")
    start = _local_datetime(data.get("start"), zone)
    end = _local_datetime(data.get("end"), zone)
    for name, value in (("start", start), ("end", end)):
        if name in data and value is None and not any(i.path == name for i in found):
            found.append(Issue(name, "format", detail="not a valid date and time"))
    for name, value in (("start", start), ("end", end)):
        if value is not None and not in_date_range(value):
            found.append(Issue(name, "out_of_range", YEARS, DATE_RANGE_DETAIL))
    if start and end and end < start:
        found.append(Issue("end", "before_start", detail="before start"))
    return sorted(found, key=lambda issue: (issue.path, issue.code))


def check_initiative_input(data: Any) -> list[Issue]:
    return check("initiative", data)


def validate_event_input(data: Any) -> list[str]:
    """Problems with an event as an editor submitted it; empty when it is acceptable."""
    return [str(issue) for issue in check_event_input(data)]


def validate_initiative_input(data: Any) -> list[str]:
    """Problems with an initiative as an editor submitted it; empty when it is acceptable."""
    return [str(issue) for issue in check_initiative_input(data)]


def validate_remote_object(doc: Any) -> list[str]:
    """Problems with the shape of an AS2 Event/Page received from another server."""
    return [str(issue) for issue in check("remote", doc)]
