"""Our JSON-LD context, `schemas/maillage.jsonld`, read from one place.

The route that serves it at `/ns/maillage.jsonld` sends `context_bytes()` as they are on disk;
`to_as2` repeats its borrowed terms inline from `context_document()`, parsed from the same
bytes, so what we serve and what we inline cannot disagree.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from federation.vocab import AS_CONTEXT

CONTEXT_FILE = Path(__file__).resolve().parents[2] / "schemas" / "maillage.jsonld"


@cache
def context_bytes() -> bytes:
    """The context document as served at the context URL."""
    return CONTEXT_FILE.read_bytes()


@cache
def context_document() -> dict[str, Any]:
    """The context document, parsed."""
    parsed: dict[str, Any] = json.loads(context_bytes().decode("utf-8"))
    return parsed


def _is_ours(definition: Any) -> bool:
    target = definition.get("@id") if isinstance(definition, dict) else definition
    return isinstance(target, str) and target.startswith("mai:")


@cache
def _inline_terms() -> dict[str, Any]:
    """The borrowed terms (Mobilizon, schema.org, Mastodon), repeated inline so software
    that never fetches our context still reads them."""
    terms = context_document()["@context"]
    return {k: v for k, v in terms.items() if k != "mai" and not _is_ours(v)}


def object_context(context_url: str) -> list[Any]:
    """The `@context` of a published object; `context_url` is where we serve ours."""
    return [AS_CONTEXT, context_url, dict(_inline_terms())]
