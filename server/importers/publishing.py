"""Publishing imported rows like an editor's entries, one by one, going on after a bad one."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from server.context import Context
from server.importers.files import ImportRow
from server.publish.objects import InputError, create_local


async def import_rows(
    ctx: Context, rows: list[ImportRow], report: Callable[[str], None] = print
) -> tuple[int, int, list[str]]:
    """Publish each row like an editor's entry, going on after a bad one:
    (rows imported, rows failed, error lines `row N: field: problem`). Each published row
    is `report`ed as it goes (the command prints it)."""
    imported, failed = 0, 0
    errors: list[str] = []
    for number, kind, data, problems in rows:
        if kind not in ("event", "initiative"):
            problems = [*problems, "kind: event or initiative (a kind column, or --kind)"]
        messages = problems
        if not problems:
            assert kind is not None
            try:
                row = await create_local(ctx, kind, data)
            except InputError as exc:
                messages = exc.messages
            except (asyncpg.PostgresError, ValueError) as exc:
                messages = [f"database: {exc}"]
            else:
                imported += 1
                report(f"row {number}: {kind} {row['iri']}")
                continue
        failed += 1
        errors.extend(f"row {number}: {message}" for message in messages)
    return imported, failed, errors
