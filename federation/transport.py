"""The outgoing HTTP transport: resolve once, check every address, connect to a checked one.

`check_url` refuses private addresses before a fetch, but it resolves the name itself and
the HTTP client then resolves it again: a DNS server answering a public address first and
127.0.0.1 second got a TCP connection (and a TLS ClientHello) through to the private one,
and deliveries skipped the check altogether. This transport closes both holes, for every
request the shared client makes (fetches, deliveries, anything added later): the network
backend under the connection pool resolves the host, refuses it unless every address is
public, and opens the socket to one of those very addresses. TLS and the `Host` header still
use the name, since httpcore takes them from the URL, not from the socket.

A refusal raises `ForbiddenAddress`, which is final: callers give up instead of retrying.
In development (`allow_private`) any address may be reached: peers run on localhost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from federation.errors import BadResponse
from federation.fetch import Resolver, parse_ip, public_addresses, system_resolver


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address check between resolving and connecting."""

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolver = resolver or system_resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._addresses(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except BadResponse as exc:  # does not resolve: a network error, retried later
            raise httpcore.ConnectError(str(exc)) from exc
        last: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    ip, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def _addresses(self, host: str, port: int) -> list[str]:
        """Where to connect: every address checked public, unless private ones are allowed
        (then whatever the name resolves to, still resolved only here)."""
        if not self.allow_private:
            return [str(ip) for ip in await public_addresses(host, port, self.resolver)]
        if parse_ip(host.strip("[]")) is not None:
            return [host.strip("[]")]
        try:
            resolved = await self.resolver(host, port)
        except OSError as exc:
            raise BadResponse(f"cannot resolve {host!r}: {exc}") from exc
        if not resolved:
            raise BadResponse(f"cannot resolve {host!r}: no addresses")
        return list(dict.fromkeys(resolved))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for federation")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """`httpx.AsyncHTTPTransport` whose connection pool connects through `CheckedBackend`.

    httpx takes no network backend argument, so the pool is rebuilt with the same limits
    and TLS context; request and response handling stay httpx's own."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=50)
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedBackend(allow_private=allow_private, resolver=resolver),
        )
