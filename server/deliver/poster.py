"""The HTTP client deliveries are POSTed with, behind a small `Poster` Protocol.

The worker posts with aiohttp (`AiohttpPoster`): measured on 500 signed POSTs to 500
receivers (`python -m bench clients`, docs/decisions.md), it sends them in about a third of
httpx's time and CPU, so fan-out costs little more than its RSA signatures. Its
SSRF check is ours, as for every outgoing request: the connector's resolver is
`federation.fetch.public_addresses`, so the host is resolved once, every address checked
public, and the socket opened to one of those very addresses; an IP literal (which aiohttp
never hands to a resolver) is checked the same way before anything is sent.
Redirects are not followed, no proxy is read from the environment, and an error answer is
read only as far as the 300 characters kept.

`HttpxPoster` posts with the process's shared httpx client (`Context.http`): what tests use,
as their client routes to in-process instances, and what any context without a poster of
its own falls back to.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
import aiohttp.abc
import httpx
from aiohttp.abc import ResolveResult

from federation.errors import FetchError, ForbiddenAddress
from federation.fetch import Resolver, parse_ip, public_addresses, system_resolver

ERROR_TEXT_CHARS = 300
TIMEOUT_SECONDS = 10.0
CONNECTIONS = 200
PER_HOST_CONNECTIONS = 4


@dataclass(frozen=True)
class Answer:
    """What came back: the status, the start of the body of an error, `Retry-After`."""

    status: int
    text: str = ""
    retry_after: str | None = None

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


class PostFailed(Exception):
    """No answer came: connection refused or reset, timeout, a name that does not resolve."""


class Poster(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """POST `body` with `headers` (already signed). Raises `ForbiddenAddress` when our
        rules refuse the address (final), `PostFailed` when no answer came."""
        ...

    async def aclose(self) -> None: ...


class HttpxPoster:
    """Through an `httpx.AsyncClient` (its transport does the address check)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        try:
            response = await self.client.post(url, content=body, headers=dict(headers))
        except ForbiddenAddress:
            raise
        except httpx.HTTPError as exc:
            raise PostFailed(f"{type(exc).__name__}: {exc}") from exc
        text = "" if response.is_success else response.text[:ERROR_TEXT_CHARS]
        return Answer(response.status_code, text, response.headers.get("retry-after"))

    async def aclose(self) -> None:
        """The client is the context's: its owner closes it."""


class CheckedResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's resolver with our address check between resolving and connecting."""

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver or system_resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self.allow_private:
            addresses = list(dict.fromkeys(await self.resolver(host, port)))
        else:
            addresses = [str(ip) for ip in await public_addresses(host, port, self.resolver)]
        return [
            ResolveResult(hostname=host, host=address, port=port,
                          family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                          proto=0, flags=socket.AI_NUMERICHOST)
            for address in addresses
        ]

    async def close(self) -> None:
        return None


class AiohttpPoster:
    """Through one `aiohttp.ClientSession` with the checked resolver; see the module."""

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver or system_resolver
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        """Made on first use, inside the running loop, as aiohttp requires."""
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=CONNECTIONS, limit_per_host=PER_HOST_CONNECTIONS,
                resolver=CheckedResolver(allow_private=self.allow_private,
                                         resolver=self.resolver),
                use_dns_cache=False,  # each connection checks what it connects to
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
                auto_decompress=False, trust_env=False,
                headers={"User-Agent": "Maillage/0.1 (+ActivityPub)"},
            )
        return self._session

    async def _check_literal(self, url: str) -> None:
        """aiohttp connects to an IP literal without asking the resolver: check it here."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not self.allow_private and parse_ip(host) is not None:
            await public_addresses(host, parts.port or 443, self.resolver)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        await self._check_literal(url)
        try:
            async with self._open().post(
                url, data=body, headers=dict(headers), allow_redirects=False
            ) as response:
                if 200 <= response.status < 300:
                    return Answer(response.status)
                raw = await response.content.read(4 * ERROR_TEXT_CHARS)
                text = raw.decode("utf-8", "replace")[:ERROR_TEXT_CHARS]
                return Answer(response.status, text, response.headers.get("Retry-After"))
        except ForbiddenAddress:
            raise
        except (aiohttp.ClientError, FetchError, TimeoutError, OSError, ValueError) as exc:
            forbidden = _forbidden_cause(exc)
            if forbidden is not None:
                raise forbidden from exc
            raise PostFailed(f"{type(exc).__name__}: {exc}") from exc

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
            await asyncio.sleep(0)  # let the connector's transports close


def _forbidden_cause(exc: BaseException) -> ForbiddenAddress | None:
    """aiohttp may wrap what the resolver raised: find our refusal in the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ForbiddenAddress):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
