"""Outbound fetching of remote documents, hardened against server-side request forgery.

Every URL this server dereferences comes from somebody else: an actor's `inbox`, a
`keyId` in a signature, an `attributedTo`, an avatar. Fetching them blindly would let
any remote make us request `http://169.254.169.254/` (cloud metadata), our own
PostgreSQL port, or a router on the operator's LAN, and possibly read the answer back
through the object we store. So every hop is checked before it is requested:

* only `https` (plus `http` in development), and no `user:password@` in URLs;
* the host must not be, or resolve to, a non-public address (see `is_forbidden_ip`);
* redirects are followed by hand so each target goes through the same checks;
* bodies are streamed and cut off at `FetchPolicy.max_bytes`, and the whole fetch,
  DNS and redirects included, is bounded by `FetchPolicy.timeout`;
* a host on a blocked domain is refused on every hop (`FetchPolicy.refuses_host`).

Resolving the name here and letting the HTTP client resolve it again would leave a
DNS-rebinding window: the production client's transport (`federation.transport`) resolves
once more itself and connects only to addresses it has checked, so what is checked is what
is reached. `_check_peer` stays as a last check of the address actually connected to.

This module deliberately does not import `server`: the policy arrives as a value, so the
SSRF rules can be tested without a database or settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from federation.domains import normalise_host
from federation.errors import (
    BadResponse,
    BlockedDomain,
    ForbiddenAddress,
    ResponseTooLarge,
    TooManyRedirects,
)

AS_ACCEPT = (
    "application/activity+json, "
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges refused on top of what `is_global` already excludes. They are listed explicitly so
# the intent survives changes in how a Python release classifies them.
_EXTRA_FORBIDDEN: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("0.0.0.0/8"),  # "this network"; 0.x often reaches localhost
    ipaddress.ip_network("100.64.0.0/10"),  # shared address space (carrier-grade NAT)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("fc00::/7"),  # unique local addresses
    ipaddress.ip_network("fec0::/10"),  # deprecated site-local, still routed on some LANs
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64: translation target unknown
)
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")

# A host whose last label is numeric cannot be a DNS name (no TLD is numeric), yet
# getaddrinfo happily reads "127.1", "2130706433" or "0x7f.1" as 127.0.0.1. Anything of
# that shape that is not a canonical IP literal is refused rather than interpreted.
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class FetchPolicy:
    """What outbound fetches may do; built once from settings by the caller.

    `allow_private` and `allow_http` exist for development, where the instances being
    federated with run on localhost or a docker network over plain HTTP. They must stay
    False in production, where they would reopen the SSRF hole.
    """

    allow_private: bool
    allow_http: bool
    timeout: float = 10.0
    max_bytes: int = 1_000_000
    max_redirects: int = 3
    refuses_host: HostRefusal | None = field(default=None, compare=False)
    """Says whether a (normalised) host is on a blocked domain; checked on every hop, so
    actor, key, object and backfill fetches all refuse a blocked domain, redirects too."""


class HostRefusal(Protocol):
    """An async predicate on a normalised host name (the block list, bound to its store)."""

    async def __call__(self, host: str) -> bool: ...


class Resolver(Protocol):
    """Turns a host name into IP address strings; injectable so tests need no DNS."""

    async def __call__(self, host: str, port: int) -> list[str]: ...


@dataclass(frozen=True)
class FetchedBody:
    """Raw result of `fetch_bytes`: the URL the content really came from matters as much as
    the bytes, since callers must check that an object's `id` shares its origin."""

    url: str
    content_type: str
    content: bytes


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the OS resolver without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address merely wraps, if any.

    `::ffff:10.0.0.1`, `2002:a00:1::` (6to4) and `64:ff9b::a00:1` (NAT64) all end up
    talking to 10.0.0.1, so they must be judged as that address, not as IPv6.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def is_forbidden_ip(ip: IPAddress) -> bool:
    """True when `ip` is not a plain public unicast address we may contact.

    Fails closed: anything not positively global (private, loopback, link-local,
    multicast, reserved, unspecified, shared 100.64/10, documentation, unique-local,
    Teredo, IPv4-compatible, ...) is refused, and IPv6 forms that embed an IPv4 address
    are judged by the embedded address.
    """
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return is_forbidden_ip(embedded)
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return True
    if any(ip in net for net in _EXTRA_FORBIDDEN if net.version == ip.version):
        return True
    return not ip.is_global


def parse_ip(text: str) -> IPAddress | None:
    """Parse an IP literal, ignoring an IPv6 zone (`fe80::1%eth0`); None if not an IP."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


async def check_url(url: str, policy: FetchPolicy, resolver: Resolver = system_resolver) -> None:
    """Refuse a URL we must not request, before any connection is made.

    Raises `ForbiddenAddress` for a disallowed scheme, credentials in the URL, a missing
    or ambiguous host, or a host that is or resolves to a forbidden address (every
    resolved address must be public: the HTTP client may pick any of them), and its
    subclass `BlockedDomain` for a host on a blocked domain. Raises `BadResponse` when the
    host does not resolve, since that is usually transient.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ForbiddenAddress(f"refusing malformed URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ForbiddenAddress(f"refusing {url!r}: only http(s) URLs can be fetched")
    if scheme == "http" and not policy.allow_http:
        raise ForbiddenAddress(f"refusing {url!r}: plain http is only allowed in development")
    if "@" in parts.netloc:
        raise ForbiddenAddress(f"refusing {url!r}: credentials in URLs are not allowed")
    host = parts.hostname
    if not host:
        raise ForbiddenAddress(f"refusing {url!r}: no host")
    if policy.refuses_host is not None and await policy.refuses_host(normalise_host(host)):
        raise BlockedDomain(f"refusing {url!r}: {host} is on a blocked domain")
    if policy.allow_private:
        return
    if port is None:
        port = 443 if scheme == "https" else 80
    await public_addresses(host, port, resolver)


async def public_addresses(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Every address `host` is or resolves to, all checked public; else `ForbiddenAddress`.

    Shared by `check_url` and the connecting transport (`federation.transport`), which
    connects to one of exactly these addresses, so what is checked is what is reached.
    """
    literal = parse_ip(host.strip("[]"))
    if literal is not None:
        addresses = [literal]
    else:
        if _NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
            raise ForbiddenAddress(f"refusing {host!r}: not a canonical IP address")
        try:
            resolved = await resolver(host, port)
        except OSError as exc:
            raise BadResponse(f"cannot resolve {host!r}: {exc}") from exc
        if not resolved:
            raise BadResponse(f"cannot resolve {host!r}: no addresses")
        addresses = []
        for text in resolved:
            ip = parse_ip(text)
            if ip is None:
                raise ForbiddenAddress(f"refusing {host!r}: it resolved to {text!r}")
            addresses.append(ip)
    for ip in addresses:
        if is_forbidden_ip(ip):
            raise ForbiddenAddress(f"refusing {host!r}: it is or resolves to non-public {ip}")
    return addresses


def _check_peer(response: httpx.Response, url: str, policy: FetchPolicy) -> None:
    """Refuse the response if the connection actually went to a forbidden address.

    `check_url` and httpx resolve the name separately, so a DNS server answering with a
    public address first and 127.0.0.1 second could slip through; this catches it before
    the body is read. Transports without a real socket (tests) expose no peer and pass.
    An egress proxy on a private network would be refused here too: in that setup the
    proxy is the place to filter.
    """
    if policy.allow_private:
        return
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    peer = stream.get_extra_info("server_addr")
    if not isinstance(peer, tuple) or not peer:
        return
    ip = parse_ip(str(peer[0]))
    if ip is None or is_forbidden_ip(ip):
        raise ForbiddenAddress(f"refusing {url!r}: connected to non-public address {peer[0]}")


@contextlib.contextmanager
def _transport_errors(url: str, policy: FetchPolicy) -> Iterator[None]:
    """Turn httpx's own failures into `BadResponse`, so callers only handle `FetchError`."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise BadResponse(f"timed out after {policy.timeout:g}s fetching {url}") from exc
    except httpx.HTTPError as exc:
        raise BadResponse(f"could not fetch {url}: {exc!r}") from exc


async def _read_limited(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """Read the body, stopping as soon as it exceeds `max_bytes`.

    Content-Length is checked first to fail fast, but it is not trusted: the count is made
    on the decoded bytes, which also bounds what a compressed body may expand to.
    """
    declared = response.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError as exc:
            raise BadResponse(f"{url}: invalid Content-Length {declared!r}") from exc
        if length > max_bytes:
            raise ResponseTooLarge(f"{url}: announces {length} bytes, limit is {max_bytes}")
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise ResponseTooLarge(f"{url}: body exceeds the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _request_once(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    accept: str,
    auth: httpx.Auth | None,
) -> FetchedBody | str:
    """One GET without following redirects: the body, or the next URL to go to."""
    try:
        request = client.build_request(
            "GET", url, headers={"Accept": accept}, timeout=httpx.Timeout(policy.timeout)
        )
    except httpx.InvalidURL as exc:
        raise ForbiddenAddress(f"refusing malformed URL {url!r}: {exc}") from exc
    with _transport_errors(url, policy):
        response = await client.send(
            request,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            stream=True,
            follow_redirects=False,
        )
        try:
            _check_peer(response, url, policy)
            if response.is_redirect:
                location = response.headers["location"]
                try:
                    return str(response.url.join(location))
                except httpx.InvalidURL as exc:
                    raise BadResponse(
                        f"{url}: invalid redirect target {location!r}", status=response.status_code
                    ) from exc
            if not response.is_success:
                status = response.status_code
                raise BadResponse(f"{url}: HTTP {status}", status=status)
            content = await _read_limited(response, url, policy.max_bytes)
            return FetchedBody(
                url=str(response.url),
                content_type=response.headers.get("content-type", ""),
                content=content,
            )
        finally:
            await response.aclose()


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    accept: str,
    resolver: Resolver | None,
    auth: httpx.Auth | None,
) -> FetchedBody:
    """Shared GET loop: check, request, follow at most `max_redirects` redirects."""
    resolve = resolver if resolver is not None else system_resolver
    current = url
    try:
        # One deadline for the whole chain: per-operation httpx timeouts alone would let a
        # server drip bytes (or chain slow redirects) and hold the fetch open indefinitely.
        async with asyncio.timeout(policy.timeout):
            for _hop in range(policy.max_redirects + 1):
                await check_url(current, policy, resolve)
                outcome = await _request_once(client, current, policy, accept, auth)
                if isinstance(outcome, FetchedBody):
                    return outcome
                current = outcome
    except TimeoutError as exc:
        raise BadResponse(f"timed out after {policy.timeout:g}s fetching {url}") from exc
    raise TooManyRedirects(f"{url}: more than {policy.max_redirects} redirects")


def _is_json_media_type(content_type: str) -> bool:
    """application/json or any application/*+json (activity+json, ld+json, jrd+json)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    *,
    accept: str = "*/*",
    resolver: Resolver | None = None,
    auth: httpx.Auth | None = None,
) -> FetchedBody:
    """Fetch any document (image, WebFinger JRD, ...) under the same SSRF and size rules.

    For media bigger than `policy.max_bytes`, pass `dataclasses.replace(policy, ...)`.
    """
    return await _fetch(client, url, policy, accept, resolver, auth)


async def fetch_json(
    client: httpx.AsyncClient,
    url: str,
    policy: FetchPolicy,
    *,
    accept: str = AS_ACCEPT,
    resolver: Resolver | None = None,
    auth: httpx.Auth | None = None,
) -> tuple[str, dict[str, Any]]:
    """Fetch a JSON object (an actor, activity, collection) and return (final URL, object).

    The final URL is returned because redirects may have moved us to another host: the
    caller must check the object's `id` against it before trusting the object. `auth` is
    typically an HTTP-signature signer for servers that require signed fetches.
    """
    fetched = await _fetch(client, url, policy, accept, resolver, auth)
    if fetched.content_type and not _is_json_media_type(fetched.content_type):
        raise BadResponse(f"{fetched.url}: expected JSON, got {fetched.content_type!r}")
    try:
        document = json.loads(fetched.content)
    except (ValueError, RecursionError) as exc:
        raise BadResponse(f"{fetched.url}: body is not valid JSON") from exc
    if not isinstance(document, dict):
        raise BadResponse(f"{fetched.url}: expected a JSON object, got {type(document).__name__}")
    return fetched.url, document
