"""Load generator for the inbox benchmark, run as its own process:

    python -m bench.loadgen SPEC.json

It signs every request *before* timing (on all cores, with our own `HttpSignatureAuth`,
draft-cavage as Mastodon signs), each a `Create{Event}` with a fresh activity id from one of
the remote actors in the spec, then sends them over `concurrency` keep-alive HTTP/1.1
connections as raw pre-serialised bytes, so the client costs next to nothing. First the
warm-up requests (untimed), then the timed ones (until all are answered or the spec's
`max_seconds` have passed). Prints one JSON line: rate, latency percentiles, statuses.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from federation.httpsig import HttpSignatureAuth

_signers: list[tuple[str, HttpSignatureAuth]] = []
_spec: dict[str, Any] = {}


def _init(spec: dict[str, Any]) -> None:
    _spec.update(spec)
    for actor in spec["actors"]:
        # Our own freshly generated keys: skip the costly key check on load.
        key = load_pem_private_key(actor["private_pem"].encode(), None,
                                   unsafe_skip_rsa_key_validation=True)
        assert isinstance(key, rsa.RSAPrivateKey)
        _signers.append((actor["iri"], HttpSignatureAuth(actor["key_id"], key)))


def _sign_range(bounds: tuple[int, int]) -> list[bytes]:
    from bench.payloads import create_event

    start, stop = bounds
    url = f"http://{_spec['netloc']}{_spec['path']}"
    now = datetime.now(UTC)
    out = []
    for n in range(start, stop):
        actor, signer = _signers[n % len(_signers)]
        body = json.dumps(create_event(actor, n), ensure_ascii=False).encode()
        request = httpx.Request(
            "POST", url, content=body,
            headers={"Content-Type": "application/activity+json",
                     "User-Agent": "http.rb/5.1.1 (Mastodon/4.3.0; +https://bench.example/)"},
        )
        signer.sign(request, now=now)
        head = [f"POST {_spec['path']} HTTP/1.1"]
        head += [f"{k}: {v}" for k, v in request.headers.items()]
        out.append(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return out


def presign(spec: dict[str, Any], total: int) -> list[bytes]:
    workers = os.cpu_count() or 1
    chunk = 500
    bounds = [(i, min(total, i + chunk)) for i in range(0, total, chunk)]
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(spec,)) as pool:
        return [r for part in pool.map(_sign_range, bounds) for r in part]


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def send_all(
    host: str, port: int, requests: list[bytes], concurrency: int, max_seconds: float = 1e9
) -> tuple[float, list[float], Counter[int], list[str]]:
    """Closed loop: each connection sends its next request when the previous answered,
    until all are sent or `max_seconds` have passed. Returns the latencies of the
    requests answered."""
    pending = iter(range(len(requests)))
    latencies: list[float | None] = [None] * len(requests)
    deadline = time.perf_counter() + max_seconds
    statuses: Counter[int] = Counter()
    errors: list[str] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in pending:
                sent = time.perf_counter()
                if sent > deadline:
                    break
                writer.write(requests[i])
                try:
                    status, body = await _response(reader)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    statuses[0] += 1
                    errors.append(f"{type(exc).__name__}: {exc}")
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latencies[i] = time.perf_counter() - sent
                statuses[status] += 1
                if status != 202 and len(errors) < 5:
                    errors.append(f"{status}: {body[:200]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    answered = [t for t in latencies if t is not None]
    return time.perf_counter() - started, answered, statuses, errors


def main(spec_path: str) -> None:
    with open(spec_path) as handle:
        spec = json.load(handle)
    warmup, timed = int(spec["warmup"]), int(spec["requests"])
    started = time.perf_counter()
    requests = presign(spec, warmup + timed)
    signing = time.perf_counter() - started
    print(f"loadgen: signed {len(requests)} requests in {signing:.1f}s", file=sys.stderr,
          flush=True)
    host, port = spec["netloc"].rsplit(":", 1)
    asyncio.run(send_all(host, int(port), requests[:warmup], spec["concurrency"]))
    print("loadgen: timed phase", file=sys.stderr, flush=True)
    print(json.dumps({"event": "timed-start", "t": time.monotonic()}), flush=True)
    elapsed, latencies, statuses, errors = asyncio.run(
        send_all(host, int(port), requests[warmup:], spec["concurrency"],
                 float(spec.get("max_seconds", 1e9)))
    )
    ok = sorted(latencies)
    print(json.dumps({
        "event": "done", "t": time.monotonic(), "requests": len(ok), "presigned": timed,
        "seconds": elapsed, "rate": len(ok) / elapsed,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": errors, "signing_seconds": signing,
        "body_bytes": len(requests[-1].split(b"\r\n\r\n", 1)[1]),
        "p50_ms": 1000 * ok[len(ok) // 2],
        "p90_ms": 1000 * ok[int(0.9 * (len(ok) - 1))],
        "p99_ms": 1000 * ok[int(0.99 * (len(ok) - 1))],
        "max_ms": 1000 * ok[-1],
    }), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
