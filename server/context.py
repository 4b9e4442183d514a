"""What request handlers, the worker and the CLI share: settings, pool, outgoing HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg
import httpx

from federation.delivery.retry import RetryPolicy
from federation.fetch import FetchPolicy, Resolver
from federation.transport import CheckedTransport
from server.actors.signers import Signers
from server.moderation.blocks import BlockList
from server.settings import Settings

if TYPE_CHECKING:  # a foundation module: the delivery flow's type, not its code
    from server.deliver.poster import Poster
    from server.deliver.signing import SigningPool


@dataclass
class Context:
    settings: Settings
    pool: asyncpg.Pool
    http: httpx.AsyncClient
    """Outgoing client; tests hand in a transport that routes to in-process instances."""
    signers: Signers = field(default_factory=Signers)
    blocks: BlockList = field(default_factory=BlockList)
    """Blocked domains, shared by the inbox, fan-out, deliveries and fetches of a process."""
    poster: Poster | None = None
    """What deliveries are POSTed with: the worker's aiohttp poster; None posts with `http`
    (tests, whose client routes to in-process instances)."""
    signing: SigningPool | None = None
    """Where deliveries are signed: the worker's signing process; None signs in place."""

    @property
    def fetch_policy(self) -> FetchPolicy:
        dev = self.settings.dev
        return FetchPolicy(
            allow_private=dev, allow_http=dev, refuses_host=self.blocks.refusal(self.pool)
        )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base_seconds=self.settings.retry_base_seconds)


def new_http_client(
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    dev: bool = False,
    resolver: Resolver | None = None,
) -> httpx.AsyncClient:
    """One pooled client per process: connections are reused per host.

    Without a `transport` (tests hand one in), requests go through `CheckedTransport`: the
    host is resolved once, every address checked public (any address in `dev` mode), and
    the connection made to a checked address, for fetches and deliveries alike."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    if transport is None:
        transport = CheckedTransport(allow_private=dev, resolver=resolver, limits=limits)
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        timeout=httpx.Timeout(10.0),
        limits=limits,
        headers={"User-Agent": "Maillage/0.1 (+ActivityPub)"},
    )
