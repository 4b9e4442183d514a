"""The one domain-block matcher, used by the inbox, the fan-out, deliveries and every fetch.

Blocks were matched twice, in two languages (a Python suffix match in the inbox, a SQL
`LIKE` in the fan-out) and not at all by the worker's fetches. Now one `BlockList` reads the
table at most every `ttl` seconds, normalises what it reads (so a row written before the
normal form still matches), and answers with `federation.domains.is_blocked`.
"""

from __future__ import annotations

import time

import asyncpg

from federation.domains import is_blocked, normalise_host
from server.store import domain_blocks


class BlockList:
    """Blocked domains, cached: the inbox checks them on every request, before any key is
    fetched. Admin changes in this process apply at once (`forget`), in other processes
    (the worker) within `ttl` seconds."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._domains: frozenset[str] = frozenset()
        self._read_at = -1e9

    def forget(self) -> None:
        self._read_at = -1e9

    async def domains(self, pool: asyncpg.Pool, *, fresh: bool = False) -> frozenset[str]:
        """The blocked domains in normal form, re-read when older than `ttl` (or `fresh`:
        the fan-out reads them once per batch, so a new block holds from the next one)."""
        if fresh or time.monotonic() - self._read_at > self.ttl:
            async with pool.acquire() as conn:
                stored = await domain_blocks.blocked_domains(conn)
            self._domains = frozenset(normalise_host(d) for d in stored)
            self._read_at = time.monotonic()
        return self._domains

    async def blocks(self, pool: asyncpg.Pool, host: str) -> bool:
        """True when `host` (any written form, port allowed) is on a blocked domain."""
        return is_blocked(host, await self.domains(pool))

    def refusal(self, pool: asyncpg.Pool) -> HostRefusal:
        """This list bound to its pool, as `FetchPolicy.refuses_host` expects it."""
        return HostRefusal(self, pool)


class HostRefusal:
    """`await refusal(host)`: whether fetches must refuse `host`."""

    def __init__(self, blocks: BlockList, pool: asyncpg.Pool) -> None:
        self._blocks = blocks
        self._pool = pool

    async def __call__(self, host: str) -> bool:
        return await self._blocks.blocks(self._pool, host)
