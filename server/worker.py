"""The background worker process (filled by the delivery queue)."""

from __future__ import annotations

from server.settings import Settings


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    raise NotImplementedError
