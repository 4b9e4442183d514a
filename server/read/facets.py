"""Counts beside the results: how many items per theme and per territory, as Mobilizon's
search shows them.

Each facet is counted for the current filter *less its own dimension* (the theme counts
ignore the chosen themes, so a reader sees what choosing another would give), and over at
most `BOUND` of the newest matches: the count is exact below that and marked as a lower bound
at it, so a facet never reads more than `BOUND` rows however large the network grows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from server.read import feed
from server.read.feed import FeedFilter

BOUND = 10_000


@dataclass(frozen=True)
class Facets:
    total: int
    themes: list[tuple[str, int]]
    territories: list[tuple[str, int]]
    """(actor IRI, count), largest first."""
    bounded: bool
    """True when a count reached `BOUND`: the numbers are then lower bounds."""


def _sql(f: FeedFilter, select: str, group: str) -> tuple[str, list[Any]]:
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    where = " AND ".join(["deleted_at IS NULL", *feed.where_clauses(f, arg)])
    inner = (
        f"SELECT {select} FROM objects WHERE {where} "
        f"ORDER BY published DESC, id DESC LIMIT {arg(BOUND)}"
    )
    return group.format(inner=inner), args


def build(f: FeedFilter) -> dict[str, tuple[str, list[Any]]]:
    """The three bounded counts' SQL (pure, for tests and EXPLAIN)."""
    plain = replace(f, before=None)
    return {
        "total": _sql(plain, "1", "SELECT count(*) AS n FROM ({inner}) AS matches"),
        "themes": _sql(
            replace(plain, theme=None, themes=()), "themes",
            "SELECT t AS key, count(*) AS n FROM ({inner}) AS matches, unnest(themes) AS t "
            "GROUP BY t ORDER BY n DESC, t",
        ),
        "territories": _sql(
            replace(plain, actor=None), "actor_iri",
            "SELECT actor_iri AS key, count(*) AS n FROM ({inner}) AS matches "
            "GROUP BY actor_iri ORDER BY n DESC, actor_iri",
        ),
    }


async def _fetch(conn: asyncpg.Connection, query: tuple[str, list[Any]]) -> list[Any]:
    sql, args = query
    return list(await conn.fetch(sql, *args))


async def count(conn: asyncpg.Connection, f: FeedFilter) -> Facets:
    queries = build(f)
    total = int((await _fetch(conn, queries["total"]))[0]["n"])
    theme_counts = [(r["key"], int(r["n"])) for r in await _fetch(conn, queries["themes"])]
    territory_counts = [
        (r["key"], int(r["n"])) for r in await _fetch(conn, queries["territories"])
    ]
    bounded = (
        total >= BOUND
        or sum(n for _, n in territory_counts) >= BOUND
        or any(n >= BOUND for _, n in theme_counts)
    )
    return Facets(total, theme_counts, territory_counts, bounded)
