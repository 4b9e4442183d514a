"""A fake Internet for in-process federation: httpx routed by host to ASGI apps, and a
Mastodon stand-in that speaks with real captured payloads and real HTTP signatures."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.fetch import FetchPolicy, fetch_json
from federation.httpsig import HttpSignatureAuth, PublicKeyInfo, verify_request
from federation.remote_actor import parse_actor


def _fresh_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Network(httpx.AsyncBaseTransport):
    """Routes each request to the app registered for its host[:port]; others fail to connect."""

    def __init__(self, rsa_keys: Callable[[], rsa.RSAPrivateKey] | None = None) -> None:
        self.hosts: dict[str, httpx.ASGITransport] = {}
        self.down: set[str] = set()
        self.requests: list[httpx.Request] = []
        self._rsa_keys = rsa_keys or _fresh_rsa_key

    def new_rsa_key(self) -> rsa.RSAPrivateKey:
        """A key for a fake peer: from the test run's pool when the harness gave one."""
        return self._rsa_keys()

    def add(self, host: str, app: Any) -> None:
        self.hosts[host] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.netloc.decode("ascii")
        self.requests.append(request)
        transport = self.hosts.get(host)
        if transport is None or host in self.down:
            raise httpx.ConnectError(f"no route to host {host}", request=request)
        return await transport.handle_async_request(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self)


@dataclass
class FakeMastodon:
    """One Mastodon account: its actor document is the captured mastodon.social one with
    this host's URLs and a fresh key; its inboxes verify our signatures and keep what came."""

    network: Network
    host: str = "masto.example"
    username: str = "asonix"
    received: list[dict[str, Any]] = field(default_factory=list)
    verified_schemes: list[str] = field(default_factory=list)
    refuse_status: int | None = None
    documents: dict[str, Any] = field(default_factory=dict)
    """Anything else this host serves, by path: AS2 documents (dicts, lists, even NaN), or
    bytes as they are. Tests put hostile outboxes and objects here."""

    def __post_init__(self) -> None:
        self.key = self.network.new_rsa_key()
        self.actor_id = f"https://{self.host}/users/{self.username}"
        self.network.add(self.host, self.app())

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    def actor_document(self) -> dict[str, Any]:
        from tests.conftest import load_fixture

        doc = copy.deepcopy(load_fixture("mastodon/actor-person.json"))
        base = f"https://{self.host}"
        doc.update(
            id=self.actor_id,
            preferredUsername=self.username,
            url=f"{base}/@{self.username}",
            inbox=f"{self.actor_id}/inbox",
            outbox=f"{self.actor_id}/outbox",
            followers=f"{self.actor_id}/followers",
            following=f"{self.actor_id}/following",
            featured=f"{self.actor_id}/collections/featured",
            endpoints={"sharedInbox": f"{base}/inbox"},
            publicKey={
                "id": self.key_id,
                "owner": self.actor_id,
                "publicKeyPem": self.key.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode(),
            },
        )
        return doc

    def app(self) -> Starlette:
        async def actor(request: Request) -> Response:
            return JSONResponse(self.actor_document(), media_type="application/activity+json")

        async def inbox(request: Request) -> Response:
            if self.refuse_status is not None:
                return JSONResponse({"error": "refused"}, status_code=self.refuse_status)
            body = await request.body()
            target = request.url.path
            verified = await verify_request(
                request.method, target, request.headers, body, self._resolve, scheme="https"
            )
            activity = json.loads(body)
            assert verified.owner == activity["actor"], "key owner must be the actor"
            self.received.append(activity)
            self.verified_schemes.append(verified.scheme)
            return Response(status_code=202)

        async def webfinger(request: Request) -> Response:
            if request.query_params.get("resource") != f"acct:{self.username}@{self.host}":
                return JSONResponse({"error": "not found"}, status_code=404)
            link = {"rel": "self", "type": "application/activity+json", "href": self.actor_id}
            subject = f"acct:{self.username}@{self.host}"
            return JSONResponse({"subject": subject, "links": [link]})

        async def document(request: Request) -> Response:
            doc = self.documents.get(request.url.path)
            if doc is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            body = doc if isinstance(doc, bytes) else json.dumps(doc, allow_nan=True).encode()
            return Response(body, media_type="application/activity+json")

        return Starlette(
            routes=[
                Route(f"/users/{self.username}", actor),
                Route("/inbox", inbox, methods=["POST"]),
                Route(f"/users/{self.username}/inbox", inbox, methods=["POST"]),
                Route("/.well-known/webfinger", webfinger),
                Route("/{path:path}", document),
            ]
        )

    async def _resolve(self, key_id: str, *, refresh: bool) -> PublicKeyInfo | None:
        async with self.network.client() as client:
            url, doc = await fetch_json(
                client, key_id.split("#")[0], FetchPolicy(allow_private=True, allow_http=True)
            )
        actor = parse_actor(doc, url)
        assert actor.public_key_pem is not None
        return PublicKeyInfo(key_id=key_id, owner=actor.iri, public_key=actor.public_key_pem)

    async def send(
        self,
        activity: dict[str, Any],
        inbox: str,
        *,
        rfc9421: bool = False,
        key: rsa.RSAPrivateKey | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST an activity the way Mastodon does: signed, with Digest."""
        auth = HttpSignatureAuth(self.key_id, key or self.key, rfc9421=rfc9421)
        async with self.network.client() as client:
            return await client.post(
                inbox,
                content=json.dumps(activity).encode(),
                headers={"Content-Type": "application/activity+json", **(headers or {})},
                auth=auth,
            )

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [a for a in self.received if a.get("type") == kind]
