"""What request handlers, the worker and the CLI share: settings, pool, outgoing HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
import httpx

from federation.fetch import FetchPolicy
from federation.retry import RetryPolicy
from server.actors.signers import Signers
from server.settings import Settings


@dataclass
class Context:
    settings: Settings
    pool: asyncpg.Pool
    http: httpx.AsyncClient
    """Outgoing client; tests hand in a transport that routes to in-process instances."""
    signers: Signers = field(default_factory=Signers)

    @property
    def fetch_policy(self) -> FetchPolicy:
        dev = self.settings.dev
        return FetchPolicy(allow_private=dev, allow_http=dev)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base_seconds=self.settings.retry_base_seconds)


def new_http_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """One pooled client per process: connections are reused per host."""
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        timeout=httpx.Timeout(10.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        headers={"User-Agent": "Maillage/0.1 (+ActivityPub)"},
    )
