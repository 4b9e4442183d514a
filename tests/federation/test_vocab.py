"""Each vocabulary has one home (federation/vocab.py); the schema and SQL copies must agree."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from federation.vocab import KINDS, STAGES, STATUSES, host_of, parse_decimal, utc_timestamp

ROOT = Path(__file__).resolve().parents[2]


def check_lists(column: str) -> list[tuple[str, ...]]:
    """Every `column text … CHECK (column IN ('a', 'b'))` in the migrations, in file order."""
    found = []
    pattern = re.compile(rf"\b{column}\s+text\b[^,]*?CHECK \({column} IN \(([^)]*)\)\)")
    for path in sorted((ROOT / "migrations").glob("*.sql")):
        for match in pattern.finditer(path.read_text("utf-8")):
            found.append(tuple(re.findall(r"'([^']*)'", match.group(1))))
    return found


def schema_enum(name: str, field: str) -> tuple[str, ...]:
    schema = json.loads((ROOT / "schemas" / name).read_text("utf-8"))
    return tuple(schema["properties"][field]["enum"])


@pytest.mark.parametrize(
    ("column", "words"), [("status", STATUSES), ("stage", STAGES), ("kind", KINDS)]
)
def test_migration_checks_list_the_codes_words(column: str, words: tuple[str, ...]) -> None:
    lists = check_lists(column)
    assert lists, f"no CHECK on {column} found in migrations/"
    assert all(found == words for found in lists), lists


def test_json_schemas_enumerate_the_codes_words() -> None:
    assert schema_enum("event.schema.json", "status") == STATUSES
    assert schema_enum("initiative.schema.json", "stage") == STAGES


SHARED = re.compile(
    r"^(?:STATUSES|STAGES|DEFAULT_TIMEZONE|DEFAULT_ZONE|ACTOR_TYPES|PUBLIC|AS_PUBLIC)\s*="
    r"|^def host_of\(",
    re.MULTILINE,
)


def test_no_module_defines_the_shared_words_again() -> None:
    """A copy drifts: `server/` and `federation/` import these from federation.vocab."""
    copies = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for folder in ("server", "federation")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "federation" / "vocab.py"
        for match in SHARED.finditer(path.read_text("utf-8"))
    ]
    assert copies == []


def test_shared_helpers() -> None:
    assert host_of("https://Brest.Example:8443/actors/x") == "brest.example:8443"
    assert parse_decimal("1 000,5") == 1000.5 and parse_decimal("n/a") is None
    paris = timezone(timedelta(hours=1))
    assert utc_timestamp(datetime(2026, 11, 25, 15, 0, tzinfo=paris)) == "2026-11-25T14:00:00Z"
    assert utc_timestamp(datetime(2026, 11, 25, 14, 0, tzinfo=UTC)) == "2026-11-25T14:00:00Z"
