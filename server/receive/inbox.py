"""The inbox only checks, de-duplicates, stores and answers 202; the worker processes.

Checks, cheapest first, so a forged or oversized request costs no key fetch: size, JSON,
shape, blocked domain, signature (digest, date, key) and key owner = activity actor.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from federation.errors import (
    DigestMismatch,
    InvalidSignature,
    MissingSignature,
    SignatureError,
    StaleDate,
    UnknownKey,
)
from federation.httpsig import parse_signature_key_id, verify_request
from federation.inbox import Activity, InvalidActivity
from federation.inbox import parse_activity as envelope
from federation.inbox.strict import UnstorableJSON, loads_strict
from federation.vocab import host_of
from server.errors import Rejected
from server.moderation.blocks import BlockList
from server.receive.remote import KeyCache
from server.settings import Settings
from server.store import inbox_log

log = logging.getLogger(__name__)

_REASONS: dict[type[SignatureError], str] = {
    MissingSignature: "not signed",
    InvalidSignature: "invalid signature",
    DigestMismatch: "digest mismatch",
    StaleDate: "date outside the allowed window",
    UnknownKey: "key cannot be fetched",
}


def parse_activity(body: bytes) -> Activity:
    """The body as a typed activity, parsed strictly: JSON PostgreSQL could not store (NUL,
    lone surrogates, NaN/Infinity) is refused here with a 400, not a 500 at the insert."""
    try:
        raw = loads_strict(body)
    except UnstorableJSON as exc:
        raise Rejected(400, f"the body holds a value that cannot be kept: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise Rejected(400, "body is not JSON") from exc
    try:
        return envelope(raw)
    except InvalidActivity as exc:
        raise Rejected(400, str(exc)) from exc


def _is_self_delete(activity: Activity) -> bool:
    return activity.type == "Delete" and activity.object_id == activity.actor


@dataclass(frozen=True)
class Receiver:
    """What receiving needs from the running process: settings, the pool and its caches."""

    settings: Settings
    pool: asyncpg.Pool
    keys: KeyCache
    blocks: BlockList


async def receive(
    receiver: Receiver, method: str, target: str, headers: Mapping[str, str], body: bytes
) -> None:
    """Check a POSTed activity and store it once; raises `Rejected` with the answer's status.

    `target` is the path with its query, as signed; the body has been read within its cap."""
    settings, keys, pool = receiver.settings, receiver.keys, receiver.pool
    activity = parse_activity(body)
    actor = activity.actor
    actor_host = host_of(actor).rsplit(":", 1)[0]
    if await receiver.blocks.blocks(pool, actor_host):
        raise Rejected(403, f"{actor_host} is blocked by this instance")
    key_id = parse_signature_key_id(headers)
    if key_id is None:
        raise Rejected(401, "the request is not signed (HTTP Signatures required)")
    if _is_self_delete(activity) and await keys.stored(key_id) is None:
        # An account we never knew deleted itself; its key is gone, nothing to remove.
        return
    try:
        verified = await verify_request(
            method, target, headers, body, keys, scheme=settings.scheme
        )
    except SignatureError as exc:
        reason = _REASONS.get(type(exc), "invalid signature")
        raise Rejected(401, f"signature refused ({reason}): {exc}") from exc
    if verified.owner != actor:
        raise Rejected(401, "the signing key does not belong to the activity's actor")
    async with pool.acquire() as conn:
        await inbox_log.store_received(
            conn, activity_iri=activity.id, actor_iri=actor, type_=activity.type,
            raw=activity.raw, sender_host=host_of(actor), rfc9421=verified.scheme == "rfc9421",
        )
