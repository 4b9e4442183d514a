"""Fan-out, step two of publishing: each activity becomes one delivery row per inbox.

The claim and the rows are one transaction, so a worker killed in between loses nothing and
doubles nothing. Who gets what (shared or own inbox, blocked domains) is decided by
`federation.delivery.fanout`; this module reads the recipients and writes the rows.
"""

from __future__ import annotations

from federation.delivery.fanout import Recipient, plan_deliveries
from server.context import Context
from server.store import deliveries


async def fan_out_batch(ctx: Context, limit: int = 20) -> int:
    """Expand activities into deliveries: one row per distinct inbox, shared inboxes merged
    for followers, blocked domains written as skipped."""
    blocked = await ctx.blocks.domains(ctx.pool, fresh=True)
    async with ctx.pool.acquire() as conn, conn.transaction():
        rows = await deliveries.claim_fanout(conn, limit)
        for row in rows:
            followers = []
            if row["to_followers"]:
                followers = await deliveries.follower_inboxes(conn, row["actor_iri"])
            addressed = []
            if row["recipients"]:
                addressed = await deliveries.recipient_inboxes(conn, list(row["recipients"]))
            targets = plan_deliveries(
                (Recipient(r["iri"], r["inbox"], r["shared_inbox"]) for r in followers),
                (Recipient(r["iri"], r["inbox"], r["shared_inbox"]) for r in addressed),
                public=row["public"],
                exclude_host=ctx.settings.domain,
                blocked=blocked,
            )
            await deliveries.insert_deliveries(
                conn, row["id"], [t.inbox for t in targets], [t.host for t in targets],
                [t.blocked for t in targets],
            )
            await deliveries.mark_fanned_out(conn, row["id"])
    return len(rows)
