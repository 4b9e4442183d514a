"""The outgoing transport resolves once, checks every address, and connects to a checked one.

A real TCP listener on 127.0.0.1 stands for a private service: the tests assert it never
even accepts a connection when the name behind a URL is (or rebinds to) a private address.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from federation.errors import ForbiddenAddress
from federation.fetch import FetchPolicy, Resolver, fetch_json
from federation.transport import CheckedTransport

PROD = FetchPolicy(allow_private=False, allow_http=True)


@dataclass
class Listener:
    port: int
    accepted: list[object] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    """A local HTTP server answering `{}` to anything, recording connections and heads."""
    found = Listener(0)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.accepted.append(writer.get_extra_info("peername"))
        try:
            found.heads.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
            )
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    found.port = server.sockets[0].getsockname()[1]
    async with server:
        yield found


def resolver_for(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


async def test_a_post_to_a_name_resolving_to_loopback_never_connects(listener: Listener) -> None:
    transport = CheckedTransport(
        allow_private=False, resolver=resolver_for({"evil.example": ["127.0.0.1"]})
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(ForbiddenAddress):
            await client.post(f"http://evil.example:{listener.port}/inbox", content=b"{}")
    assert listener.accepted == []


async def test_every_resolved_address_must_be_public(listener: Listener) -> None:
    transport = CheckedTransport(
        allow_private=False,
        resolver=resolver_for({"mixed.example": ["93.184.216.34", "127.0.0.1"]}),
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(ForbiddenAddress):
            await client.get(f"http://mixed.example:{listener.port}/")
    assert listener.accepted == []


async def test_a_name_rebinding_to_loopback_after_the_check_reaches_nothing(
    listener: Listener,
) -> None:
    """`check_url` is told `localhost` is public (a DNS answer that will change); the
    connection must not then go to the real, loopback answer."""
    lying_check = resolver_for({"localhost": ["93.184.216.34"]})
    async with httpx.AsyncClient(transport=CheckedTransport(allow_private=False)) as client:
        with pytest.raises(ForbiddenAddress):
            await fetch_json(
                client, f"http://localhost:{listener.port}/actor", PROD, resolver=lying_check
            )
    assert listener.accepted == []


async def test_the_checked_address_is_reached_with_the_name_as_host(listener: Listener) -> None:
    """Development mode allows private addresses, and shows the mechanics: the socket goes to
    the address the transport resolved, the request still names the host."""
    transport = CheckedTransport(
        allow_private=True, resolver=resolver_for({"peer.example": ["127.0.0.1"]})
    )
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(f"http://peer.example:{listener.port}/actor")
    assert response.status_code == 200 and response.json() == {}
    assert len(listener.accepted) == 1
    assert f"host: peer.example:{listener.port}".encode() in listener.heads[0].lower()


async def test_a_name_that_does_not_resolve_is_a_network_error_to_retry() -> None:
    transport = CheckedTransport(allow_private=False, resolver=resolver_for({}))
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("https://nowhere.example/")
