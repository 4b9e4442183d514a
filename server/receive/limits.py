"""Bounds on concurrent outgoing fetches: in total, and per host.

One slow or hostile host must not use up the HTTP client's connection pool (100
connections) nor make fetches to other hosts wait: each host gets a few slots, and a
fetch that cannot get one within its wait fails (`BadResponse`) instead of queueing behind
hanging requests. The inbox's key fetches wait briefly (`KEY_WAIT_SECONDS`: the peer gets a
401 and retries later); the worker's fetches wait longer, as a failure costs an attempt.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from federation.errors import BadResponse

PER_HOST = 6
TOTAL = 64
WAIT_SECONDS = 30.0
KEY_WAIT_SECONDS = 2.0


class HostLimits:
    def __init__(
        self, *, per_host: int = PER_HOST, total: int = TOTAL, wait_seconds: float = WAIT_SECONDS
    ) -> None:
        self.per_host = per_host
        self.wait_seconds = wait_seconds
        self._total = asyncio.Semaphore(total)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def slot(self, host: str, wait_seconds: float | None = None) -> AsyncIterator[None]:
        """Hold one of `host`'s slots and one of the total for the duration of a fetch."""
        wait = self.wait_seconds if wait_seconds is None else wait_seconds
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        self._users[host] = self._users.get(host, 0) + 1
        try:
            await self._acquire(per_host, wait, f"{host}: too many fetches in flight, try later")
            try:
                await self._acquire(self._total, wait, "too many fetches in flight, try later")
                try:
                    yield
                finally:
                    self._total.release()
            finally:
                per_host.release()
        finally:
            self._users[host] -= 1
            if not self._users[host]:  # nobody waits for this host: forget it
                del self._users[host]
                del self._hosts[host]

    async def _acquire(self, semaphore: asyncio.Semaphore, wait: float, refusal: str) -> None:
        try:
            async with asyncio.timeout(wait):
                await semaphore.acquire()
        except TimeoutError:
            raise BadResponse(refusal) from None


_BY_CLIENT: weakref.WeakKeyDictionary[httpx.AsyncClient, HostLimits] = (
    weakref.WeakKeyDictionary()
)


def limits_for(client: httpx.AsyncClient) -> HostLimits:
    """The limits guarding one HTTP client's pool (one client per process, or per test)."""
    found = _BY_CLIENT.get(client)
    if found is None:
        found = _BY_CLIENT[client] = HostLimits()
    return found
