"""The 500 receiving instances of the fan-out benchmark, in one process of their own:

    python -m bench.receivers SPEC.json

One uvicorn server listens on one socket per instance (127.0.{100+k//200}.{1+k%200}, an
ephemeral port each), so every instance is its own host to the sender (its per-host limits,
its own connections). Each POST to `/inbox/{k}` has its draft-cavage signature verified
with `federation.httpsig.verify_request` against the territory's public key (given in the
spec), its key owner checked against the activity's actor, and is answered 202. A line
`{"event": "seen", "id": ..., "type": ...}` is printed for each new activity id. Unique
ids of the spec's `count_type` are counted per shared inbox (an actor's own inbox,
`/users/{name}/inbox`, where a Follow goes, is verified and answered but not counted);
when every instance has acknowledged one, `{"event": "all", "id": ..., "t": <monotonic>}`
is printed. `GET /stats` on any socket answers counts.

Prints `{"event": "listening", "inboxes": [...]}` once bound.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.errors import SignatureError
from federation.httpsig import PublicKeyInfo, load_public_key, verify_request


def build(spec: dict[str, Any]) -> tuple[Starlette, list[socket.socket], list[str]]:
    count = int(spec["instances"])
    counted_type = spec["count_type"]
    every_id: set[str] = set()
    key = PublicKeyInfo(spec["key_id"], spec["owner"], load_public_key(spec["public_pem"]))
    seen: list[set[str]] = [set() for _ in range(count)]
    stats: dict[str, Any] = {"posts": 0, "accepted": 0, "refused": 0, "counted_posts": 0,
                             "duplicates": 0, "errors": []}
    acknowledged: dict[str, int] = {}  # activity id -> instances that acknowledged it

    async def resolve(key_id: str, *, refresh: bool) -> PublicKeyInfo | None:
        return key if key_id == key.key_id else None

    async def inbox(request: Request) -> Response:
        k = int(request.path_params.get("k", -1))  # -1: an actor's own inbox, not counted
        body = await request.body()
        stats["posts"] += 1
        try:
            verified = await verify_request(request.method, request.url.path, request.headers,
                                            body, resolve, scheme="http")
            activity = json.loads(body)
            if verified.owner != activity.get("actor"):
                raise ValueError("key owner is not the actor")
        except (SignatureError, ValueError) as exc:
            stats["refused"] += 1
            if len(stats["errors"]) < 5:
                stats["errors"].append(f"{type(exc).__name__}: {exc}")
            return JSONResponse({"error": str(exc)}, status_code=401)
        stats["accepted"] += 1
        ident = activity["id"]
        if ident not in every_id:
            every_id.add(ident)
            print(json.dumps({"event": "seen", "id": ident, "type": activity.get("type")}),
                  flush=True)
        if activity.get("type") != counted_type or k < 0:
            return Response(status_code=202)
        stats["counted_posts"] += 1
        if ident in seen[k]:
            stats["duplicates"] += 1
        else:
            seen[k].add(ident)
            acknowledged[ident] = acknowledged.get(ident, 0) + 1
            if acknowledged[ident] == count:
                print(json.dumps({"event": "all", "id": ident, "t": time.monotonic()}),
                      flush=True)
        return Response(status_code=202)

    async def status(request: Request) -> Response:
        return JSONResponse({**stats, "acknowledged": acknowledged,
                             "unique_per_inbox": sorted({len(s) for s in seen})})

    app = Starlette(routes=[Route("/inbox/{k:int}", inbox, methods=["POST"]),
                            Route("/users/{name}/inbox", inbox, methods=["POST"]),
                            Route("/stats", status)])
    sockets, inboxes = [], []
    for k in range(count):
        host = f"127.0.{100 + k // 200}.{1 + k % 200}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        sock.listen(128)
        sock.setblocking(False)
        sockets.append(sock)
        inboxes.append(f"http://{host}:{sock.getsockname()[1]}/inbox/{k}")
    return app, sockets, inboxes


def main(spec_path: str) -> None:
    with open(spec_path) as handle:
        spec = json.load(handle)
    app, sockets, inboxes = build(spec)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_keep_alive=30)
    server = uvicorn.Server(config)
    print(json.dumps({"event": "listening", "inboxes": inboxes}), flush=True)
    asyncio.run(server.serve(sockets=sockets))


if __name__ == "__main__":
    main(sys.argv[1])
