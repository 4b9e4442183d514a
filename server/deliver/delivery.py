"""Durable delivery in two steps: fan out activities into one row per inbox, then deliver.

Claims are short transactions (`FOR UPDATE SKIP LOCKED` with a lease), the HTTP call happens
outside any transaction, and the result is recorded after. A worker killed at any point
leaves rows that are either not yet fanned out, or pending with an expiring lease: another
worker (or the same one restarted) picks them up. A delivery that was POSTed but not recorded
is sent again; receivers de-duplicate by activity id, so nothing shows twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import httpx

from federation.fanout import Recipient, delivery_inboxes, host_of
from federation.retry import next_delay, parse_retry_after
from server.context import Context
from server.store.hosts import REFUSES_RFC9421, host_failed, host_took_delivery

log = logging.getLogger(__name__)

CLAIM_FANOUT = """
SELECT id, actor_iri, recipients, to_followers FROM activities
WHERE NOT fanned_out ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
FOLLOWER_INBOXES = """
SELECT a.iri, a.inbox, a.shared_inbox FROM follows f JOIN actors a ON a.iri = f.follower_iri
WHERE f.followee_iri = $1 AND f.state = 'accepted' AND NOT a.local
"""
RECIPIENT_INBOXES = "SELECT iri, inbox, shared_inbox FROM actors WHERE iri = ANY($1::text[])"
# Nothing is sent to a blocked domain (or its subdomains), nor to a host marked unavailable.
INSERT_DELIVERIES = """
INSERT INTO deliveries (activity_id, inbox, host, state)
SELECT $1, t.inbox, t.host,
       CASE WHEN h.unavailable OR EXISTS (
                SELECT 1 FROM domain_blocks b
                WHERE split_part(t.host, ':', 1) = b.domain
                   OR split_part(t.host, ':', 1) LIKE '%.' || b.domain)
            THEN 'skipped' ELSE 'pending' END
FROM unnest($2::text[], $3::text[]) AS t(inbox, host)
LEFT JOIN hosts h ON h.host = t.host
ON CONFLICT (activity_id, inbox) DO NOTHING
"""
MARK_FANNED_OUT = "UPDATE activities SET fanned_out = true WHERE id = $1"

CLAIM_DELIVERIES = """
UPDATE deliveries d SET locked_until = now() + make_interval(secs => $2),
                        attempts = d.attempts + 1
FROM activities a
WHERE a.id = d.activity_id AND d.id IN (
    SELECT id FROM deliveries
    WHERE state = 'pending' AND next_attempt_at <= now()
      AND (locked_until IS NULL OR locked_until < now())
    ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
)
RETURNING d.id, d.inbox, d.host, d.attempts, d.created_at, a.actor_iri, a.raw
"""
RECORD_DONE = """
UPDATE deliveries SET state = 'done', last_status = $2, finished_at = now(), locked_until = NULL,
                      last_error = NULL
WHERE id = ANY($1::bigint[])
"""
RECORD_RETRY = """
UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $2), locked_until = NULL,
                      last_status = $3, last_error = $4
WHERE id = $1
"""
RECORD_FAILED = """
UPDATE deliveries SET state = $2, last_status = $3, last_error = $4, finished_at = now(),
                      locked_until = NULL
WHERE id = $1
"""
HOSTS_RFC9421 = "SELECT host FROM hosts WHERE host = ANY($1::text[]) AND accepts_rfc9421"
SKIP_HOST = """
UPDATE deliveries SET state = 'skipped', finished_at = now(), locked_until = NULL
WHERE host = $1 AND state = 'pending'
"""

PER_HOST_CONCURRENCY = 4
UNAVAILABLE_AFTER_SECONDS = 48 * 3600.0


async def fan_out_batch(ctx: Context, limit: int = 20) -> int:
    """Expand activities into deliveries: one row per distinct inbox, shared inboxes merged."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(CLAIM_FANOUT, limit)
        for row in rows:
            found = []
            if row["to_followers"]:
                found += await conn.fetch(FOLLOWER_INBOXES, row["actor_iri"])
            if row["recipients"]:
                found += await conn.fetch(RECIPIENT_INBOXES, list(row["recipients"]))
            inboxes = delivery_inboxes(
                (Recipient(r["iri"], r["inbox"], r["shared_inbox"]) for r in found),
                exclude_host=ctx.settings.domain,
            )
            await conn.execute(
                INSERT_DELIVERIES, row["id"], inboxes, [host_of(i) for i in inboxes]
            )
            await conn.execute(MARK_FANNED_OUT, row["id"])
    return len(rows)


@dataclass
class Outcome:
    delivery_id: int
    status: int | None
    error: str | None
    retry_after: str | None = None


class Deliverer:
    """Posts claimed deliveries with bounded concurrency, overall and per host."""

    def __init__(self, ctx: Context, concurrency: int = 64) -> None:
        self.ctx = ctx
        self.concurrency = concurrency
        self.global_limit = asyncio.Semaphore(concurrency)
        self.host_limits: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(PER_HOST_CONCURRENCY)
        )

    async def run_batch(self, limit: int | None = None) -> int:
        """Claim at most what can be in flight at once, so a batch ends well within its
        lease even when a host is slow."""
        limit = limit or self.concurrency
        lease = self.ctx.settings.delivery_lease_seconds
        async with self.ctx.pool.acquire() as conn:
            claimed = await conn.fetch(CLAIM_DELIVERIES, limit, lease)
            if not claimed:
                return 0
            hosts = sorted({r["host"] for r in claimed})
            rfc9421 = {r["host"] for r in await conn.fetch(HOSTS_RFC9421, hosts)}
            signers = {
                (actor, host in rfc9421): await self.ctx.signers.for_actor(
                    conn, actor, rfc9421=host in rfc9421
                )
                for actor, host in {(r["actor_iri"], r["host"]) for r in claimed}
            }
        bodies: dict[str, bytes] = {}
        tasks = []
        for row in claimed:
            activity = row["raw"]
            body = bodies.setdefault(
                activity["id"], json.dumps(activity, ensure_ascii=False).encode("utf-8")
            )
            signer = signers[(row["actor_iri"], row["host"] in rfc9421)]
            tasks.append(self._post(row, body, signer))
        outcomes = await asyncio.gather(*tasks)
        await self._record(claimed, outcomes, rfc9421)
        return len(claimed)

    async def _post(self, row: asyncpg.Record, body: bytes, signer: httpx.Auth) -> Outcome:
        async with self.global_limit, self.host_limits[row["host"]]:
            try:
                response = await self.ctx.http.post(
                    row["inbox"],
                    content=body,
                    headers={"Content-Type": "application/activity+json"},
                    auth=signer,
                )
            except httpx.HTTPError as exc:
                return Outcome(row["id"], None, f"{type(exc).__name__}: {exc}"[:500])
            if response.is_success:
                return Outcome(row["id"], response.status_code, None)
            return Outcome(
                row["id"], response.status_code, response.text[:300],
                response.headers.get("retry-after"),
            )

    async def _record(
        self, claimed: list[asyncpg.Record], outcomes: list[Outcome], rfc9421: set[str]
    ) -> None:
        rows = {r["id"]: r for r in claimed}
        done = [o for o in outcomes if o.error is None]
        now = datetime.now(UTC)
        async with self.ctx.pool.acquire() as conn, conn.transaction():
            for status in {o.status for o in done}:
                await conn.execute(
                    RECORD_DONE, [o.delivery_id for o in done if o.status == status], status
                )
            for host in sorted({rows[o.delivery_id]["host"] for o in done}):
                await host_took_delivery(conn, host)
            for outcome in outcomes:
                if outcome.error is None:
                    continue
                row = rows[outcome.delivery_id]
                if outcome.status in (401, 403) and row["host"] in rfc9421:
                    # It signed to us with RFC 9421 but refuses ours: fall back to cavage.
                    await conn.execute(REFUSES_RFC9421, row["host"])
                    await conn.execute(RECORD_RETRY, row["id"], 0.0, outcome.status,
                                       outcome.error)
                    continue
                elapsed = (now - row["created_at"]).total_seconds()
                delay = next_delay(
                    self.ctx.retry_policy, row["attempts"], elapsed, outcome.status,
                    parse_retry_after(outcome.retry_after, now),
                )
                if delay is not None:
                    await conn.execute(RECORD_RETRY, row["id"], delay, outcome.status,
                                       outcome.error)
                else:
                    await conn.execute(RECORD_FAILED, row["id"], "failed", outcome.status,
                                       outcome.error)
                    log.info("delivery to %s given up: %s %s", row["inbox"], outcome.status,
                             outcome.error)
                transient = outcome.status is None or outcome.status >= 500
                if transient and await host_failed(conn, row["host"], UNAVAILABLE_AFTER_SECONDS):
                    await conn.execute(SKIP_HOST, row["host"])
                    log.warning("host %s unavailable: its deliveries are skipped", row["host"])
