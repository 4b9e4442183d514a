"""Publishing imported rows like an editor's entries, one by one, going on after a bad one.

An item with an `external_id` that an earlier import already published is updated (an
`Update` to followers) rather than published again: importing the same file twice gives
no duplicate. `check_rows` is the preview: what each row would do, and what is wrong with it,
without publishing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from federation.validation import Issue
from server.context import Context
from server.importers.files import ImportRow
from server.publish.objects import (
    Author,
    InputError,
    create_local,
    normalise_input,
    update_local,
)
from server.store import objects as objects_table

KIND_NEEDED = "kind: event or initiative (a kind column, or --kind)"


@dataclass(frozen=True)
class RowCheck:
    """One row of the preview: `existing` is the id of the object it would update."""

    number: int
    kind: str | None
    title: str
    issues: list[Issue]
    existing: int | None

    @property
    def ok(self) -> bool:
        return not self.issues


def _reading_issues(problems: list[str]) -> list[Issue]:
    """The reader's problems (`latitude: not a number (…)`) as issues to word."""
    issues = []
    for problem in problems:
        field, _, detail = problem.partition(":")
        code = "missing" if field == "kind" else "format"
        issues.append(Issue(field.strip() if field != "row" else "", code, None, detail.strip()))
    return issues


async def _existing(conn: asyncpg.Connection, kind: str, data: dict[str, object]) -> int | None:
    external_id = data.get("external_id")
    if not isinstance(external_id, str) or not external_id:
        return None
    row = await objects_table.local_by_external_id(conn, kind, external_id)
    return int(row["id"]) if row is not None else None


async def check_rows(conn: asyncpg.Connection, rows: list[ImportRow]) -> list[RowCheck]:
    """What importing `rows` would do, row by row; nothing is published."""
    checks: list[RowCheck] = []
    for number, kind, data, problems in rows:
        issues = _reading_issues(problems)
        if kind not in ("event", "initiative"):
            issues.append(Issue("kind", "missing"))
        existing = None
        if kind in ("event", "initiative"):
            try:
                normalise_input(kind, data)
            except InputError as exc:
                issues.extend(exc.issues)
            existing = await _existing(conn, kind, data)
        title = data.get("title")
        checks.append(RowCheck(number, kind, title if isinstance(title, str) else "",
                               issues, existing))
    return checks


async def import_rows(
    ctx: Context, rows: list[ImportRow], report: Callable[[str], None] = print,
    by: Author | None = None,
) -> tuple[int, int, list[str]]:
    """Publish each row like an editor's entry, going on after a bad one:
    (rows imported or updated, rows failed, error lines `row N: field: problem`). Each
    published row is `report`ed as it goes (the command prints it)."""
    imported, failed = 0, 0
    errors: list[str] = []
    for number, kind, data, problems in rows:
        if kind not in ("event", "initiative"):
            problems = [*problems, KIND_NEEDED]
        messages = problems
        if not problems:
            assert kind is not None
            try:
                async with ctx.pool.acquire() as conn:
                    existing = await _existing(conn, kind, data)
                if existing is not None:
                    row = await update_local(ctx, existing, data, by)
                else:
                    row = await create_local(ctx, kind, data, by)
            except InputError as exc:
                messages = exc.messages
            except (asyncpg.PostgresError, ValueError, LookupError) as exc:
                messages = [f"database: {exc}"]
            else:
                imported += 1
                again = " (updated)" if existing is not None else ""
                report(f"row {number}: {kind} {row['iri']}{again}")
                continue
        failed += 1
        errors.extend(f"row {number}: {message}" for message in messages)
    return imported, failed, errors
