"""SSRF and robustness tests for `federation.fetch`.

No network and no DNS: hosts resolve through a fake resolver and requests are answered by
`httpx.MockTransport`, so each test states exactly which address a name maps to and what
the "remote" sends back. Handlers record the URLs they saw, which is how the tests prove a
refused URL was never requested at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from federation.errors import (
    BadResponse,
    BlockedDomain,
    FetchError,
    ForbiddenAddress,
    ResponseTooLarge,
    TooManyRedirects,
)
from federation.fetch import (
    AS_ACCEPT,
    FetchPolicy,
    check_url,
    fetch_bytes,
    fetch_json,
    is_forbidden_ip,
)

PROD = FetchPolicy(allow_private=False, allow_http=False)
DEV = FetchPolicy(allow_private=True, allow_http=True)

# Documentation ranges (192.0.2/24, 203.0.113/24, 2001:db8::/32) are themselves refused, so
# the "public" hosts use real global addresses.
DNS: dict[str, list[str]] = {
    "public.example": ["93.184.216.34"],
    "other.example": ["2606:4700::1111"],
    "loopback.example": ["127.0.0.1"],
    "private.example": ["10.1.2.3"],
    "metadata.example": ["169.254.169.254"],
    "v6loopback.example": ["::1"],
    "ula.example": ["fd00::1"],
    "mixed.example": ["93.184.216.34", "192.168.1.1"],
}
ACTOR = {"id": "https://public.example/users/brest", "type": "Person"}

Handler = Callable[[httpx.Request], Awaitable[httpx.Response] | httpx.Response]


async def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return DNS[host]
    except KeyError:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


class Recorder:
    """Mock transport handler that remembers every URL it was asked for."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.seen: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(str(request.url))
        result = self.respond(request)
        if isinstance(result, httpx.Response):
            return result
        return await result


MakeClient = Callable[[Handler], tuple[httpx.AsyncClient, Recorder]]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Build clients around a handler; closed at teardown."""
    clients: list[httpx.AsyncClient] = []

    def make(respond: Handler) -> tuple[httpx.AsyncClient, Recorder]:
        recorder = Recorder(respond)
        client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        clients.append(client)
        return client, recorder

    yield make
    for client in clients:
        await client.aclose()


def json_response(document: object, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(document).encode(),
        headers={"content-type": "application/activity+json"},
    )


def actor_handler(request: httpx.Request) -> httpx.Response:
    return json_response(ACTOR)


# --- is_forbidden_ip -------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "fc00::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:a00:1::1",  # 6to4 wrapping 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1
        "::127.0.0.1",  # deprecated IPv4-compatible form
    ],
)
def test_forbidden_addresses(address: str) -> None:
    assert is_forbidden_ip(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses(address: str) -> None:
    assert not is_forbidden_ip(ipaddress.ip_address(address))


# --- check_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://public.example/x", "http"),
        ("file:///etc/passwd", "http"),
        ("http://public.example/x", "development"),
        ("https://user:pw@public.example/x", "credentials"),
        ("https://public.example@loopback.example/x", "credentials"),
        ("https:///nohost", "host"),
        ("https://127.0.0.1/x", "127.0.0.1"),
        ("https://[::1]/x", "::1"),
        ("https://[::ffff:169.254.169.254]/x", "non-public"),
        ("https://2130706433/x", "canonical"),
        ("https://127.1/x", "canonical"),
        ("https://0x7f.0.0.1/x", "canonical"),
        ("https://public.example:99999/x", "malformed"),
        ("https://mixed.example/x", "192.168.1.1"),
    ],
)
async def test_check_url_refuses(url: str, reason: str) -> None:
    with pytest.raises(ForbiddenAddress, match=reason):
        await check_url(url, PROD, fake_resolver)


async def test_check_url_accepts_public_ip_literal_without_dns() -> None:
    async def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("an IP literal must not be resolved")

    await check_url("https://93.184.216.34/actor", PROD, no_dns)


async def test_check_url_passes_default_port_to_resolver() -> None:
    calls: list[tuple[str, int]] = []

    async def spy(host: str, port: int) -> list[str]:
        calls.append((host, port))
        return ["93.184.216.34"]

    await check_url("https://public.example/a", PROD, spy)
    await check_url("https://public.example:8443/a", PROD, spy)
    assert calls == [("public.example", 443), ("public.example", 8443)]


async def test_check_url_unresolvable_host_is_bad_response() -> None:
    with pytest.raises(BadResponse, match="cannot resolve") as info:
        await check_url("https://nowhere.example/", PROD, fake_resolver)
    assert getattr(info.value, "status", "missing") is None


# --- fetch_json: addresses ---------------------------------------------------------------


async def test_public_host_ok(make_client: MakeClient) -> None:
    accepts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        accepts.append(request.headers["accept"])
        return json_response(ACTOR)

    client, _ = make_client(handler)
    url, document = await fetch_json(
        client, "https://public.example/users/brest", PROD, resolver=fake_resolver
    )
    assert url == "https://public.example/users/brest"
    assert document == ACTOR
    assert accepts == [AS_ACCEPT]


@pytest.mark.parametrize(
    "host",
    [
        "loopback.example",
        "private.example",
        "metadata.example",
        "v6loopback.example",
        "ula.example",
        "mixed.example",
    ],
)
async def test_host_resolving_to_private_address_refused(
    make_client: MakeClient, host: str
) -> None:
    client, recorder = make_client(actor_handler)
    with pytest.raises(ForbiddenAddress, match="non-public"):
        await fetch_json(client, f"https://{host}/users/x", PROD, resolver=fake_resolver)
    assert recorder.seen == []


@pytest.mark.parametrize(
    "host", ["loopback.example", "private.example", "metadata.example", "ula.example"]
)
async def test_private_address_allowed_in_development(make_client: MakeClient, host: str) -> None:
    client, _ = make_client(actor_handler)
    _, document = await fetch_json(client, f"http://{host}/users/x", DEV, resolver=fake_resolver)
    assert document == ACTOR


async def test_http_refused_unless_allowed(make_client: MakeClient) -> None:
    client, recorder = make_client(actor_handler)
    with pytest.raises(ForbiddenAddress, match="http"):
        await fetch_json(client, "http://public.example/users/x", PROD, resolver=fake_resolver)
    assert recorder.seen == []

    http_ok = FetchPolicy(allow_private=False, allow_http=True)
    _, document = await fetch_json(
        client, "http://public.example/users/x", http_ok, resolver=fake_resolver
    )
    assert document == ACTOR


class FakeNetworkStream:
    """Stands in for httpcore's stream to report which address the socket reached."""

    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer

    def get_extra_info(self, info: str) -> object:
        return self.peer if info == "server_addr" else None


async def test_connection_to_private_peer_refused(make_client: MakeClient) -> None:
    """DNS rebinding: the name checked as public, but the socket reached loopback."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=ACTOR,
            extensions={"network_stream": FakeNetworkStream(("127.0.0.1", 443))},
        )

    client, _ = make_client(handler)
    with pytest.raises(ForbiddenAddress, match="connected to"):
        await fetch_json(client, "https://public.example/u", PROD, resolver=fake_resolver)


# --- fetch_json: redirects ---------------------------------------------------------------


async def test_redirect_followed_and_final_url_returned(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "public.example":
            return httpx.Response(301, headers={"location": "https://other.example/u/1"})
        return json_response(ACTOR)

    client, recorder = make_client(handler)
    url, document = await fetch_json(
        client, "https://public.example/@brest", PROD, resolver=fake_resolver
    )
    assert url == "https://other.example/u/1"
    assert document == ACTOR
    assert recorder.seen == ["https://public.example/@brest", "https://other.example/u/1"]


async def test_relative_redirect(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(308, headers={"location": "/new"})
        return json_response(ACTOR)

    client, _ = make_client(handler)
    url, _ = await fetch_json(client, "https://public.example/old", PROD, resolver=fake_resolver)
    assert url == "https://public.example/new"


@pytest.mark.parametrize(
    "location",
    [
        "https://private.example/admin",
        "https://169.254.169.254/latest/meta-data/",
        "http://public.example/downgrade",
        "file:///etc/passwd",
    ],
)
async def test_redirect_to_forbidden_target_refused(make_client: MakeClient, location: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": location})

    client, recorder = make_client(handler)
    with pytest.raises(ForbiddenAddress):
        await fetch_json(client, "https://public.example/u", PROD, resolver=fake_resolver)
    assert recorder.seen == ["https://public.example/u"]


async def test_redirect_loop(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        target = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(302, headers={"location": target})

    client, recorder = make_client(handler)
    with pytest.raises(TooManyRedirects):
        await fetch_json(client, "https://public.example/a", PROD, resolver=fake_resolver)
    assert len(recorder.seen) == PROD.max_redirects + 1


async def test_redirects_up_to_the_limit_are_followed(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        step = int(request.url.path.strip("/"))
        if step < 3:
            return httpx.Response(302, headers={"location": f"/{step + 1}"})
        return json_response(ACTOR)

    client, _ = make_client(handler)
    url, _ = await fetch_json(client, "https://public.example/0", PROD, resolver=fake_resolver)
    assert url == "https://public.example/3"


async def test_client_follow_redirects_setting_is_ignored() -> None:
    """Even a client configured to follow redirects must not skip our per-hop checks."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": "https://private.example/"})

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), follow_redirects=True
    ) as client:
        with pytest.raises(ForbiddenAddress):
            await fetch_json(client, "https://public.example/", PROD, resolver=fake_resolver)
    assert seen == ["https://public.example/"]


# --- fetch_json: bodies and statuses -----------------------------------------------------


async def test_oversized_streamed_body(make_client: MakeClient) -> None:
    produced: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for i in range(1000):
            produced.append(i)
            yield b" " * 10_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=endless(), headers={"content-type": "application/activity+json"}
        )

    client, _ = make_client(handler)
    small = FetchPolicy(allow_private=False, allow_http=False, max_bytes=50_000)
    with pytest.raises(ResponseTooLarge):
        await fetch_json(client, "https://public.example/big", small, resolver=fake_resolver)
    assert len(produced) < 10  # stopped reading right after crossing the limit


async def test_announced_content_length_too_large(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b"{}",
            headers={"content-type": "application/activity+json", "content-length": "5000000"},
        )

    client, _ = make_client(handler)
    with pytest.raises(ResponseTooLarge, match="announces"):
        await fetch_json(client, "https://public.example/big", PROD, resolver=fake_resolver)


async def test_404_is_bad_response_with_status(make_client: MakeClient) -> None:
    client, _ = make_client(lambda request: httpx.Response(404, text="not here"))
    with pytest.raises(BadResponse) as info:
        await fetch_json(client, "https://public.example/gone", PROD, resolver=fake_resolver)
    assert info.value.status == 404  # type: ignore[attr-defined]


async def test_410_status_survives_redirect(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            return httpx.Response(301, headers={"location": "/b"})
        return httpx.Response(410)

    client, _ = make_client(handler)
    with pytest.raises(BadResponse) as info:
        await fetch_json(client, "https://public.example/a", PROD, resolver=fake_resolver)
    assert info.value.status == 410  # type: ignore[attr-defined]


async def test_html_body_is_bad_response(make_client: MakeClient) -> None:
    client, _ = make_client(
        lambda request: httpx.Response(200, html="<html><body>Profile</body></html>")
    )
    with pytest.raises(BadResponse, match="expected JSON"):
        await fetch_json(client, "https://public.example/@brest", PROD, resolver=fake_resolver)


@pytest.mark.parametrize(
    ("body", "match"),
    [(b"<html>", "not valid JSON"), (b"[1, 2]", "JSON object"), (b'"x"', "JSON object")],
)
async def test_non_object_json_is_bad_response(
    make_client: MakeClient, body: bytes, match: str
) -> None:
    client, _ = make_client(
        lambda request: httpx.Response(
            200, content=body, headers={"content-type": "application/activity+json"}
        )
    )
    with pytest.raises(BadResponse, match=match):
        await fetch_json(client, "https://public.example/x", PROD, resolver=fake_resolver)


async def test_missing_content_type_is_parsed(make_client: MakeClient) -> None:
    client, _ = make_client(lambda request: httpx.Response(200, content=b'{"a": 1}'))
    _, document = await fetch_json(client, "https://public.example/x", PROD, resolver=fake_resolver)
    assert document == {"a": 1}


async def test_timeout_is_bad_response(make_client: MakeClient) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return json_response(ACTOR)

    client, _ = make_client(slow)
    quick = FetchPolicy(allow_private=False, allow_http=False, timeout=0.05)
    with pytest.raises(BadResponse, match="timed out"):
        await fetch_json(client, "https://public.example/slow", quick, resolver=fake_resolver)


async def test_connection_error_is_bad_response(make_client: MakeClient) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, _ = make_client(refuse)
    with pytest.raises(BadResponse, match="could not fetch") as info:
        await fetch_json(client, "https://public.example/x", PROD, resolver=fake_resolver)
    assert info.value.status is None  # type: ignore[attr-defined]


async def test_all_failures_are_fetch_errors(make_client: MakeClient) -> None:
    client, _ = make_client(actor_handler)
    with pytest.raises(FetchError):
        await fetch_json(client, "https://loopback.example/", PROD, resolver=fake_resolver)


async def test_auth_applied_to_every_hop(make_client: MakeClient) -> None:
    class Marker(httpx.Auth):
        def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
            request.headers["signature"] = f"signed {request.url.path}"
            yield request

    signatures: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        signatures.append(request.headers.get("signature", ""))
        if request.url.path == "/a":
            return httpx.Response(302, headers={"location": "/b"})
        return json_response(ACTOR)

    client, _ = make_client(handler)
    await fetch_json(
        client, "https://public.example/a", PROD, resolver=fake_resolver, auth=Marker()
    )
    assert signatures == ["signed /a", "signed /b"]


# --- fetch_bytes -------------------------------------------------------------------------


async def test_fetch_bytes_returns_raw_content(make_client: MakeClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=png, headers={"content-type": "image/png"})

    client, _ = make_client(handler)
    fetched = await fetch_bytes(
        client, "https://public.example/avatar.png", PROD, resolver=fake_resolver
    )
    assert fetched.content == png
    assert fetched.content_type == "image/png"
    assert fetched.url == "https://public.example/avatar.png"


async def test_fetch_bytes_applies_the_same_address_rules(make_client: MakeClient) -> None:
    client, recorder = make_client(lambda request: httpx.Response(200, content=b"x"))
    with pytest.raises(ForbiddenAddress):
        await fetch_bytes(client, "https://metadata.example/", PROD, resolver=fake_resolver)
    assert recorder.seen == []


# --- blocked domains ---------------------------------------------------------------------


async def _refuses_other(host: str) -> bool:
    return host == "other.example"


BLOCKING = dataclasses.replace(PROD, refuses_host=_refuses_other)


@pytest.mark.parametrize(
    "url", ["https://other.example/u", "https://Other.Example./u", "https://sub.other.example/u"]
)
async def test_a_blocked_domain_is_never_fetched(make_client: MakeClient, url: str) -> None:
    async def refuses_other_and_subdomains(host: str) -> bool:
        return host == "other.example" or host.endswith(".other.example")

    policy = dataclasses.replace(PROD, refuses_host=refuses_other_and_subdomains)
    client, recorder = make_client(lambda request: json_response(ACTOR))
    with pytest.raises(BlockedDomain):
        await fetch_json(client, url, policy, resolver=fake_resolver)
    assert recorder.seen == []


async def test_a_redirect_to_a_blocked_domain_is_not_followed(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "public.example":
            return httpx.Response(302, headers={"location": "https://other.example/u/1"})
        return json_response(ACTOR)

    client, recorder = make_client(handler)
    with pytest.raises(BlockedDomain):
        await fetch_json(client, "https://public.example/u", BLOCKING, resolver=fake_resolver)
    assert recorder.seen == ["https://public.example/u"]


async def test_a_blocked_domain_is_refused_even_in_development(make_client: MakeClient) -> None:
    client, recorder = make_client(lambda request: json_response(ACTOR))
    dev_blocking = dataclasses.replace(DEV, refuses_host=_refuses_other)
    with pytest.raises(BlockedDomain):
        await fetch_bytes(client, "http://other.example/image.png", dev_blocking)
    assert recorder.seen == []


def test_a_refusal_is_a_final_kind_of_fetch_error() -> None:
    assert issubclass(BlockedDomain, ForbiddenAddress) and issubclass(ForbiddenAddress, FetchError)
