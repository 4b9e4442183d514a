"""Strict JSON for what peers send: values PostgreSQL cannot store are refused at the
inbox (a 400 the peer can see), and scrubbed from documents we fetch ourselves.

PostgreSQL's `jsonb` and `text` refuse U+0000, UTF-8 cannot encode a lone surrogate
(`"\\ud800"` decodes to one), and `NaN`/`Infinity` are not JSON at all although Python's
`json` reads and writes them. Any of these reaching a query fails it, so they are stopped
at the edge rather than turned into a 500 or a worker retry.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableJSON(ValueError):
    """The body is JSON we cannot keep: the message names what and where."""


def _refuse_constant(name: str) -> Any:
    raise UnstorableJSON(f"{name} is not a JSON number")


def loads_strict(body: bytes | str) -> Any:
    """`json.loads` that refuses NaN/Infinity, U+0000 and lone surrogates anywhere,
    keys included. Raises `UnstorableJSON`, or `ValueError` for text that is not JSON."""
    value = json.loads(body, parse_constant=_refuse_constant)
    where = _first_unstorable(value, "$")
    if where is not None:
        raise UnstorableJSON(f"{where}: NUL or lone surrogate in a string")
    return value


def _first_unstorable(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if _UNSTORABLE.search(value) else None
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            if _UNSTORABLE.search(key):
                return f"{path} (a key)"
            found = _first_unstorable(item, f"{path}.{key}")
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def scrub(value: Any) -> Any:
    """A copy of a fetched document that PostgreSQL can store: NUL and lone surrogates
    removed from strings and keys, non-finite numbers replaced by null. Documents we fetch
    are not refused for this (the actor may be otherwise fine), only cleaned."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("", value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {_UNSTORABLE.sub("", str(k)): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value
