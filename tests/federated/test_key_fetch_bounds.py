"""One host cannot use up the key fetches (issue 8, item 4).

Real sockets, because the bound that matters is the HTTP client's connection pool: a host
that accepts connections and never answers holds 120 key fetches, and a new, well-behaved
actor's first POST must still be verified at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.httpsig import HttpSignatureAuth
from server.context import new_http_client
from tests.conftest import Instance
from tests.federated.test_follow import BREST

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def follow_from(actor: str, n: int) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/follows/{n}",
        "type": "Follow",
        "actor": actor,
        "object": BREST,
    }


async def signed_post(instance: Instance, activity: dict[str, Any]) -> httpx.Response:
    auth = HttpSignatureAuth(f"{activity['actor']}#main-key", KEY)
    return await instance.client.post(
        "/inbox", content=json.dumps(activity).encode(), auth=auth,
        headers={"Content-Type": "application/activity+json"},
    )


class SilentHost:
    """A server that accepts connections and never answers, until `hang_up`."""

    def __init__(self) -> None:
        self.held: list[asyncio.StreamWriter] = []
        self.url = ""

    async def start(self) -> None:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.held.append(writer)

        self.server = await asyncio.start_server(hold, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def hang_up(self) -> None:
        self.server.close()
        for writer in self.held:
            writer.close()


@pytest.fixture
async def silent_host() -> AsyncIterator[SilentHost]:
    host = SilentHost()
    await host.start()
    try:
        yield host
    finally:
        host.hang_up()


@pytest.fixture
async def honest_host() -> AsyncIterator[str]:
    """http://127.0.0.1:port serving one actor (`/users/ana`) with the test key."""
    base: dict[str, str] = {}

    async def actor(request: Request) -> Response:
        iri = f"{base['url']}/users/ana"
        pem = KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return JSONResponse({
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": iri, "type": "Person", "preferredUsername": "ana",
            "inbox": f"{iri}/inbox", "outbox": f"{iri}/outbox",
            "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": pem},
        }, media_type="application/activity+json")

    app = Starlette(routes=[Route("/users/ana", actor)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base["url"] = f"http://127.0.0.1:{port}"
    try:
        yield base["url"]
    finally:
        server.should_exit = True
        await task


async def test_hanging_key_fetches_of_one_host_do_not_delay_another_actor(
    brest: Instance, silent_host: SilentHost, honest_host: str
) -> None:
    brest.ctx.http = new_http_client(dev=True)  # real sockets, the real pool
    try:
        hanging = [
            asyncio.create_task(signed_post(brest, follow_from(f"{silent_host.url}/users/u{n}", n)))
            for n in range(120)
        ]
        for _ in range(60):  # until they hold the pool (before the fix), or for 3 s
            await asyncio.sleep(0.05)
            if len(silent_host.held) >= 100:
                break
        started = time.monotonic()
        response = await signed_post(brest, follow_from(f"{honest_host}/users/ana", 1))
        took = time.monotonic() - started
        assert response.status_code == 202
        assert took < 2.0, f"the honest actor waited {took:.1f} s"
        silent_host.hang_up()
        refused = await asyncio.gather(*hanging)
        assert {r.status_code for r in refused} == {401}
    finally:
        await brest.ctx.http.aclose()
