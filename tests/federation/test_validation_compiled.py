"""The JSON Schema check runs first through `jsonschema_rs` (compiled once, issue 11); it
may only ever say "valid" where the reference validator (jsonschema) says so too, or a
received object would skip a check. Compared on the fixtures and mutations of them."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from federation import validation

FIXTURES = Path(__file__).parent.parent / "fixtures"
ODD_VALUES: list[Any] = [
    None, 1, -1, 1.5, 1e300, "", "x" * 3000, "ftp://a.example/", "https://ok.example/a",
    "javascript:alert(1)", "2026-13-45T99:00", "2026-12-05T14:00:00Z", [], [1], ["a"] * 20,
    {}, {"a": 1}, True, "é", "\ud800",
]
EVENT = {"title": "Atelier", "start": "2026-12-05T14:00", "end": "2026-12-05T16:00",
         "themes": ["tiers-lieux"], "timezone": "Europe/Paris", "status": "confirmed",
         "place": {"name": "Salle", "latitude": 48.4, "longitude": -4.5}}
INITIATIVE = {"title": "Réseau", "themes": ["culture-bibliotheques"],
              "website": "https://biblio.example/", "stage": "running"}


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = [("event", EVENT), ("initiative", INITIATIVE)]
    for path in sorted(FIXTURES.glob("**/*.json")):
        try:
            doc = json.loads(path.read_text("utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("type") in ("Event", "Page"):
            found.append(("remote", doc))
    return found


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value[:3]):
            yield from paths(inner, (*prefix, index))


def mutated(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    places = list(paths(doc))[1:]
    for _ in range(rng.randint(1, 3)):
        *parents, last = rng.choice(places)
        target: Any = changed
        try:
            for key in parents:
                target = target[key]
            if isinstance(target, dict) and rng.random() < 0.2:
                target.pop(last, None)
            else:
                target[last] = rng.choice(ODD_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    return changed


@pytest.mark.parametrize(("which", "doc"), documents())
def test_the_compiled_validator_never_accepts_what_jsonschema_refuses(
    which: str, doc: dict[str, Any]
) -> None:
    rng = random.Random(f"{which}{doc.get('id', doc.get('title'))}")
    for candidate in [doc, *(mutated(doc, rng) for _ in range(150))]:
        if validation._surely_valid(which, candidate):
            assert list(validation._validator(which).iter_errors(candidate)) == [], candidate


def test_a_valid_object_is_checked_by_the_compiled_validator_alone() -> None:
    [(_, doc)] = [d for d in documents() if d[0] == "remote"][:1]
    assert validation._surely_valid("remote", doc)
    assert validation.validate_remote_object(doc) == []
