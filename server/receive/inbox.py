"""The inbox only checks, de-duplicates, stores and answers 202; the worker processes.

Checks, cheapest first, so a forged or oversized request costs no key fetch: size, JSON,
shape, blocked domain, signature (digest, date, key) and key owner = activity actor.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import asyncpg
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.errors import (
    DigestMismatch,
    InvalidSignature,
    MissingSignature,
    SignatureError,
    StaleDate,
    UnknownKey,
)
from federation.httpsig import parse_signature_key_id, verify_request
from federation.vocab import id_of, same_origin, type_of
from server.publish.outbox import WORK_CHANNEL
from server.receive.remote import KeyCache, host_of
from server.settings import Settings
from server.store.hosts import HOST_ANSWERED

log = logging.getLogger(__name__)

# One round trip: store once by id, tell `hosts` the sender is alive, and wake the workers
# if the activity is new.
STORE = f"""
WITH stored AS (
    INSERT INTO inbox_log (activity_iri, actor_iri, type, raw) VALUES ($1, $2, $3, $4)
    ON CONFLICT (activity_iri) DO NOTHING
    RETURNING id
), {HOST_ANSWERED}
SELECT pg_notify('{WORK_CHANNEL}', '') FROM stored
"""
BLOCKED_DOMAINS = "SELECT domain FROM domain_blocks"


class BlockList:
    """Blocked domains, read at most every few seconds: the inbox checks them on every
    request, before any key is fetched. Admin changes in this process apply at once
    (`forget`), in other processes within `ttl` seconds."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._domains: frozenset[str] = frozenset()
        self._read_at = -1e9

    def forget(self) -> None:
        self._read_at = -1e9

    async def blocks(self, pool: asyncpg.Pool, host: str) -> bool:
        if time.monotonic() - self._read_at > self.ttl:
            async with pool.acquire() as conn:
                rows = await conn.fetch(BLOCKED_DOMAINS)
            self._domains = frozenset(r["domain"] for r in rows)
            self._read_at = time.monotonic()
        parts = host.split(".")
        return any(".".join(parts[i:]) in self._domains for i in range(len(parts)))


_REASONS: dict[type[SignatureError], str] = {
    MissingSignature: "not signed",
    InvalidSignature: "invalid signature",
    DigestMismatch: "digest mismatch",
    StaleDate: "date outside the allowed window",
    UnknownKey: "key cannot be fetched",
}


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Rejected(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Rejected(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise Rejected(400, "client disconnected") from exc
    return b"".join(chunks)


def parse_activity(body: bytes) -> dict[str, Any]:
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, "body is not JSON") from exc
    if not isinstance(activity, dict):
        raise Rejected(400, "an activity is a JSON object")
    activity_id = activity.get("id")
    actor = id_of(activity.get("actor"))
    if not isinstance(activity_id, str) or not activity_id.startswith(("https://", "http://")):
        raise Rejected(400, "the activity has no id URL")
    if type_of(activity) is None:
        raise Rejected(400, "the activity has no type")
    if actor is None or not actor.startswith(("https://", "http://")):
        raise Rejected(400, "the activity has no actor")
    if not same_origin(activity_id, actor):
        raise Rejected(400, "the activity id is not on its actor's host")
    return activity


def _is_self_delete(activity: dict[str, Any]) -> bool:
    return type_of(activity) == "Delete" and id_of(activity.get("object")) == id_of(
        activity.get("actor")
    )


async def inbox_view(request: Request) -> Response:
    try:
        return await _receive(request)
    except Rejected as exc:
        log.info("inbox refused %s: %s", request.headers.get("signature", "")[:80], exc)
        return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _receive(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    keys: KeyCache = request.app.state.keys
    pool = request.app.state.pool
    body = await read_body(request, settings.max_body_bytes)
    activity = parse_activity(body)
    actor = id_of(activity["actor"])
    assert actor is not None
    actor_host = host_of(actor).rsplit(":", 1)[0]
    if await request.app.state.blocks.blocks(pool, actor_host):
        raise Rejected(403, f"{actor_host} is blocked by this instance")
    key_id = parse_signature_key_id(request.headers)
    if key_id is None:
        raise Rejected(401, "the request is not signed (HTTP Signatures required)")
    if _is_self_delete(activity) and await keys.stored(key_id) is None:
        # An account we never knew deleted itself; its key is gone, nothing to remove.
        return JSONResponse({"status": "accepted"}, status_code=202)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        verified = await verify_request(
            request.method, target, request.headers, body, keys, scheme=settings.scheme
        )
    except SignatureError as exc:
        reason = _REASONS.get(type(exc), "invalid signature")
        raise Rejected(401, f"signature refused ({reason}): {exc}") from exc
    if verified.owner != actor:
        raise Rejected(401, "the signing key does not belong to the activity's actor")
    async with pool.acquire() as conn:
        await conn.execute(
            STORE, activity["id"], actor, type_of(activity), activity, host_of(actor),
            verified.scheme == "rfc9421",
        )
    return JSONResponse({"status": "accepted"}, status_code=202)


routes = [
    Route("/inbox", inbox_view, methods=["POST"]),
    Route("/actor/inbox", inbox_view, methods=["POST"]),
    Route("/actors/{slug}/inbox", inbox_view, methods=["POST"]),
]
