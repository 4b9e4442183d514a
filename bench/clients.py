"""Part 3b, HTTP clients for fan-out: the same 500 signed POSTs, one to each of the 500
receiving instances of part 3 (`bench.receivers`, which verify every signature), sent by
each candidate client in this process, with the worker's concurrency (64 in flight):

* `asyncio streams`: a bare HTTP/1.1 client on asyncio streams, the floor;
* `httpx (worker)`: `server.context.new_http_client`, as the worker sends today (SSRF-checked
  `CheckedTransport`, the signature made in httpx's auth flow);
* `httpx tuned`: the same checked transport, keep-alive pool kept small (500 different
  hosts never reuse a connection, and httpcore scans every pooled connection per request);
* `aiohttp`: `aiohttp.ClientSession` whose resolver is the same address check
  (`federation.fetch.public_addresses`), so it too connects only to checked addresses
  (the worker's `server.deliver.poster.AiohttpPoster` since this measurement).

Each is timed with signing done beforehand (the client's own cost) and with signing inside
the send (what a delivery costs); the baseline is 500 RSA signatures on one core. Figures:
median of `repeat` rounds, wall seconds and this process's CPU seconds.
"""

from __future__ import annotations

import asyncio
import functools
import json
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.common import DATA, PYTHON, PartResult, Row, say, spawn, stop
from bench.fanout import _lines, _next
from federation.httpsig import HttpSignatureAuth
from federation.transport import CheckedTransport
from server.context import new_http_client
from server.deliver.poster import CheckedResolver

ACTOR = "http://territoire.bench/actors/brest"
KEY_ID = f"{ACTOR}#main-key"
CONCURRENCY = 64

Signed = tuple[str, dict[str, str], bytes]


def _activity(n: int) -> bytes:
    return json.dumps({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Update",
        "id": f"{ACTOR}/activities/{n}", "actor": ACTOR,
        "object": {"id": ACTOR, "type": "Group", "name": "Brest",
                   "summary": "Le territoire contributif de Brest : jardins, ateliers."},
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }, ensure_ascii=False).encode()


def _sign(auth: HttpSignatureAuth, url: str, body: bytes) -> dict[str, str]:
    """As the worker signs a delivery (`HttpSignatureAuth.post_headers`)."""
    return auth.post_headers(url, body, "application/activity+json")


async def _bounded(jobs: list[Callable[[], Awaitable[int]]]) -> list[int]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(job: Callable[[], Awaitable[int]]) -> int:
        async with limit:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


async def _streams(items: list[Signed]) -> list[int]:
    async def post(url: str, headers: dict[str, str], body: bytes) -> int:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "host")
        writer.write(f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                     + body)
        status = int((await reader.readline()).split()[1])
        await reader.read()
        writer.close()
        return status

    return await _bounded([functools.partial(post, *i) for i in items])


async def _httpx(client: httpx.AsyncClient, items: list[Signed]) -> list[int]:
    async def post(url: str, headers: dict[str, str], body: bytes) -> int:
        return (await client.post(url, content=body, headers=headers)).status_code

    return await _bounded([functools.partial(post, *i) for i in items])


async def _aiohttp(session: aiohttp.ClientSession, items: list[Signed]) -> list[int]:
    async def post(url: str, headers: dict[str, str], body: bytes) -> int:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            status: int = response.status
            return status

    return await _bounded([functools.partial(post, *i) for i in items])


def _tuned_httpx() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=CONCURRENCY * 2, max_keepalive_connections=8,
                          keepalive_expiry=5.0)
    return httpx.AsyncClient(transport=CheckedTransport(allow_private=True, limits=limits),
                             limits=limits, timeout=httpx.Timeout(10.0),
                             follow_redirects=False)


def _aiohttp_session() -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY * 2, limit_per_host=4,
                                     resolver=CheckedResolver(allow_private=True),  # ours
                                     ttl_dns_cache=None, use_dns_cache=False)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10),
                                 auto_decompress=False)


async def _time(send: Callable[[list[Signed]], Awaitable[list[int]]], items: list[Signed],
                ) -> tuple[float, float, list[int]]:
    cpu, wall = time.process_time(), time.perf_counter()
    statuses = await send(items)
    return time.perf_counter() - wall, time.process_time() - cpu, statuses


async def run(baseline: dict[str, float], *, instances: int = 500,
              repeat: int = 3) -> PartResult:
    say(f"part 3b, HTTP clients: {instances} signed POSTs to {instances} receivers, "
        f"{CONCURRENCY} in flight, each client {repeat} rounds")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    spec_path = DATA / "clients-spec.json"
    DATA.mkdir(parents=True, exist_ok=True)
    spec_path.write_text(json.dumps({"instances": instances, "key_id": KEY_ID, "owner": ACTOR,
                                     "public_pem": public_pem, "count_type": "Update"}))
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    receivers = spawn([PYTHON, "-m", "bench.receivers", str(spec_path)], "clients-receivers.log")
    threading.Thread(target=_lines, args=(receivers, events), daemon=True).start()
    auth = HttpSignatureAuth(KEY_ID, key)
    figures: dict[str, dict[str, Any]] = {}
    n = 0
    try:
        inboxes: list[str] = _next(events, "listening", 60)["inboxes"]
        worker_client, tuned = new_http_client(dev=True), _tuned_httpx()
        session = _aiohttp_session()
        clients: dict[str, Callable[[list[Signed]], Awaitable[list[int]]]] = {
            "asyncio streams": _streams,
            "httpx (worker)": lambda items: _httpx(worker_client, items),
            "httpx tuned": lambda items: _httpx(tuned, items),
            "aiohttp": lambda items: _aiohttp(session, items),
        }
        for name, send in clients.items():
            for signing in ("presigned", "signing inline"):
                rounds = []
                for _ in range(repeat):
                    n += 1
                    body = _activity(n)
                    if signing == "presigned":
                        items = [(u, _sign(auth, u, body), body) for u in inboxes]
                        wall, cpu, statuses = await _time(send, items)
                    else:
                        async def signed_send(urls: list[Signed], body: bytes = body,
                                              send: Any = send) -> list[int]:
                            statuses: list[int] = await send(
                                [(u, _sign(auth, u, body), body) for u, _, _ in urls])
                            return statuses

                        wall, cpu, statuses = await _time(
                            signed_send, [(u, {}, b"") for u in inboxes])
                    assert statuses == [202] * len(inboxes), sorted(set(statuses))
                    rounds.append((wall, cpu))
                wall, cpu = sorted(rounds)[len(rounds) // 2]
                figures[f"{name}, {signing}"] = {"seconds": wall, "cpu_seconds": cpu,
                                                 "rounds": rounds}
                say(f"  {name:16} {signing:15} {wall:.3f}s wall, {cpu:.3f}s CPU "
                    f"({instances / wall:,.0f} POSTs/s)")
        await worker_client.aclose()
        await tuned.aclose()
        await session.close()
    finally:
        stop(receivers)
    sign_cost = instances / baseline["sign_per_s"]
    say(f"  baseline: {instances} RSA-2048 signatures cost {sign_cost:.3f}s on one core")
    rows = [Row(f"3b {name}", f"{f['seconds']:.3f} s ({instances / f['seconds']:,.0f}/s)",
                "(report)", None, f"{f['seconds'] / sign_cost:.1f}x {instances} signs")
            for name, f in figures.items()]
    return PartResult("clients", data={"instances": instances, "sign_cost_s": sign_cost,
                                       "clients": figures}, rows=rows)
