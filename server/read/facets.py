"""Counts beside the results: how many items per theme and per territory, as Mobilizon's
search shows them.

Each facet is counted for the current filter *less its own dimension* (the theme counts
ignore the chosen themes, so a reader sees what choosing another would give). Both bounded,
so that they cost the same however large the network grows (bench part 7):

* in rows: over at most `BOUND` of the first matches in the listing's own order (newest
  first; by start time with dates): the count is exact below that and marked as a lower
  bound at it;
* in time: a statement that has not finished within `BUDGET_MS` (a common two-word search
  at a million objects reads tens of thousands of matches to find their newest) is cancelled
  and the page says the counts were not made, rather than keeping the reader waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from server.read import feed
from server.read.feed import FeedFilter

BOUND = 1_000
BUDGET_MS = 20


@dataclass(frozen=True)
class Facets:
    total: int
    themes: list[tuple[str, int]]
    territories: list[tuple[str, int]]
    """(actor IRI, count), largest first."""
    bounded: bool
    """True when a count reached `BOUND`: the numbers are then lower bounds."""
    counted: bool = True
    """False when the counts took longer than `BUDGET_MS` and were given up."""


NOT_COUNTED = Facets(0, [], [], bounded=False, counted=False)


def build(f: FeedFilter) -> tuple[str, list[Any]]:
    """The three bounded counts as one statement (pure, for tests and EXPLAIN): one
    MATERIALIZED set of matches per distinct filter (without a chosen theme or territory,
    total, themes and territories share one read), each grouped its own way."""
    plain = replace(f, before=None)
    wanted = {
        "total": plain,
        "themes": replace(plain, theme=None, themes=()),
        "territories": replace(plain, actor=None),
    }
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    dated = f.starts_after is not None or f.starts_before is not None
    order = "start_time, id" if dated else "published DESC, id DESC"
    names: dict[FeedFilter, str] = {}
    ctes: list[str] = []
    for variant in wanted.values():
        if variant in names:
            continue
        names[variant] = f"m{len(names)}"
        where = " AND ".join(["deleted_at IS NULL", *feed.where_clauses(variant, arg)])
        if _on_the_map_only(variant):
            # The first matches' ids from `objects_geo` alone (an index-only scan), then
            # their rows by key: not every match's row read to sort them.
            chosen = f"SELECT id FROM objects WHERE {where} ORDER BY {order} LIMIT {BOUND}"
            ctes.append(
                f"{names[variant]} AS MATERIALIZED (SELECT themes, actor_iri FROM objects "
                f"WHERE id IN ({chosen}))"
            )
        else:
            ctes.append(
                f"{names[variant]} AS MATERIALIZED (SELECT themes, actor_iri FROM objects "
                f"WHERE {where} ORDER BY {order} LIMIT {BOUND})"
            )
    total, by_theme, by_actor = (names[wanted[k]] for k in ("total", "themes", "territories"))
    sql = (
        f"WITH {', '.join(ctes)} "
        f"SELECT 'total' AS facet, NULL AS key, count(*) AS n FROM {total} "
        f"UNION ALL (SELECT 'themes', t, count(*) FROM {by_theme}, unnest(themes) AS t "
        f"GROUP BY t) "
        f"UNION ALL (SELECT 'territories', actor_iri, count(*) FROM {by_actor} "
        f"GROUP BY actor_iri)"
    )
    return sql, args


def _on_the_map_only(f: FeedFilter) -> bool:
    """A map area and nothing the GiST index does not hold (besides liveness and order)."""
    return (f.bounds is not None or f.near is not None) and not (
        f.text or f.kind or f.theme or f.themes or f.actor or f.status
        or f.starts_after or f.starts_before
    )


def _largest(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return sorted(rows, key=lambda kv: (-kv[1], kv[0]))


async def count(
    conn: asyncpg.Connection, f: FeedFilter, budget_ms: int | None = None
) -> Facets:
    """The counts, or `NOT_COUNTED` when they cannot be made within `budget_ms` (default
    `BUDGET_MS`)."""
    budget_ms = BUDGET_MS if budget_ms is None else budget_ms
    sql, args = build(f)
    try:
        async with conn.transaction(readonly=True):
            await conn.execute(f"SET LOCAL statement_timeout = {int(budget_ms)}")
            rows = await conn.fetch(sql, *args)
    except asyncpg.QueryCanceledError:
        return NOT_COUNTED
    total = 0
    theme_counts: list[tuple[str, int]] = []
    territory_counts: list[tuple[str, int]] = []
    for row in rows:
        if row["facet"] == "total":
            total = int(row["n"])
        elif row["facet"] == "themes":
            theme_counts.append((row["key"], int(row["n"])))
        else:
            territory_counts.append((row["key"], int(row["n"])))
    theme_counts, territory_counts = _largest(theme_counts), _largest(territory_counts)
    bounded = (
        total >= BOUND
        or sum(n for _, n in territory_counts) >= BOUND
        or any(n >= BOUND for _, n in theme_counts)
    )
    return Facets(total, theme_counts, territory_counts, bounded)
