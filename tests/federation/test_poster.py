"""The worker's delivery client (aiohttp) keeps the SSRF rules of every outgoing request:
the host resolved once, every address checked, the socket opened to a checked address, IP
literals checked too; no redirect followed. Real sockets on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import ForbiddenAddress
from federation.httpsig import HttpSignatureAuth
from server.deliver.poster import AiohttpPoster, PostFailed


class Service:
    """A loopback HTTP server answering every request with `reply`; counts connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.reply = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        self.requests.append(head + await reader.readexactly(length))
        writer.write(self.reply)
        await writer.drain()
        writer.close()


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    service = Service()
    server = await asyncio.start_server(service.handle, "127.0.0.1", 0)
    service.port = server.sockets[0].getsockname()[1]
    async with server:
        yield service


async def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
HEADERS = {"Content-Type": "application/activity+json", "Signature": "keyId=\"k\""}


async def test_an_ip_literal_on_loopback_is_refused_without_a_connection(
    service: Service,
) -> None:
    poster = AiohttpPoster(allow_private=False)
    try:
        with pytest.raises(ForbiddenAddress):
            await poster.post(f"http://127.0.0.1:{service.port}/inbox", b"{}", HEADERS)
    finally:
        await poster.aclose()
    assert service.connections == 0


async def test_a_name_resolving_to_loopback_is_refused_without_a_connection(
    service: Service,
) -> None:
    poster = AiohttpPoster(allow_private=False, resolver=loopback)
    try:
        with pytest.raises(ForbiddenAddress):
            await poster.post(f"http://inbox.example:{service.port}/inbox", b"{}", HEADERS)
    finally:
        await poster.aclose()
    assert service.connections == 0


async def test_the_socket_goes_to_the_address_the_check_resolved(service: Service) -> None:
    """In development any address may be reached, still through our resolver only."""
    poster = AiohttpPoster(allow_private=True, resolver=loopback)
    try:
        answer = await poster.post(
            f"http://inbox.example:{service.port}/inbox", b'{"a": 1}',
            {**HEADERS, "Host": f"inbox.example:{service.port}"},
        )
    finally:
        await poster.aclose()
    assert answer.status == 202 and answer.is_success
    [request] = service.requests
    assert request.startswith(b"POST /inbox HTTP/1.1\r\n")
    assert f"Host: inbox.example:{service.port}".encode() in request
    assert b'Signature: keyId="k"' in request and request.endswith(b'{"a": 1}')


async def test_an_error_answer_keeps_its_status_its_start_and_retry_after(
    service: Service,
) -> None:
    text = b"busy " * 200
    service.reply = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(text), text))
    poster = AiohttpPoster(allow_private=True)
    try:
        answer = await poster.post(f"http://127.0.0.1:{service.port}/inbox", b"{}", HEADERS)
    finally:
        await poster.aclose()
    assert (answer.status, answer.retry_after) == (503, "120")
    assert answer.text == text.decode()[:300]


async def test_a_redirect_is_not_followed(service: Service) -> None:
    service.reply = (b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/\r\n"
                     b"Content-Length: 0\r\n\r\n")
    poster = AiohttpPoster(allow_private=True)
    try:
        answer = await poster.post(f"http://127.0.0.1:{service.port}/inbox", b"{}", HEADERS)
    finally:
        await poster.aclose()
    assert answer.status == 302 and service.connections == 1


async def test_no_answer_is_a_failure_to_retry() -> None:
    poster = AiohttpPoster(allow_private=True)
    try:
        with pytest.raises(PostFailed):
            await poster.post("http://127.0.0.1:9/inbox", b"{}", HEADERS)  # discard: closed
    finally:
        await poster.aclose()


@pytest.mark.parametrize("rfc9421", [False, True])
@pytest.mark.parametrize("url", ["https://remote.example/inbox",
                                 "http://127.0.100.7:8080/users/a/inbox?x=1"])
def test_post_headers_are_the_signature_sign_puts_on_a_request(rfc9421: bool, url: str) -> None:
    """The worker signs deliveries without an httpx.Request; the headers are the same
    (RSA PKCS#1 v1.5 signatures are deterministic), Content-Length left to the client."""
    signer = HttpSignatureAuth(
        "https://maillage.example/actors/a#main-key", KEY, rfc9421=rfc9421
    )
    now = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    body = '{"type": "Update", "name": "é"}'.encode()
    request = httpx.Request("POST", url, content=body,
                            headers={"Content-Type": "application/activity+json"})
    signer.sign(request, now=now)
    expected = {k.lower(): v for k, v in request.headers.items() if k.lower() != "content-length"}
    made = signer.post_headers(url, body, "application/activity+json", now=now)
    assert {k.lower(): v for k, v in made.items()} == expected
