"""Part 2, inbox processing: stored activities turned into feed rows by one worker, per second.

The load is `Create{Event}`s (about 2 KB, a Place with a postal address) from N distinct
remote actors the territory follows, whose documents are already stored: each one is
parsed, sanitised and kept as an `objects` row. The N rows are inserted into `inbox_log`,
then `server.receive.processing.InboxProcessor` (the worker's inbox loop step) runs in this
process (one worker, with the worker's pool size and INFO logging to a file, as
`maillage worker` runs) until drained.
"""

from __future__ import annotations

import json
import logging
import time

import asyncpg
import psutil

from bench.common import (
    DATA,
    LOGS,
    PROFILES,
    CpuMeter,
    PartResult,
    Remote,
    Row,
    fresh_database,
    insert_remote_actors,
    postgres_processes,
    prepare,
    say,
)
from bench.payloads import create_event
from server.context import Context, new_http_client
from server.receive.processing import InboxProcessor
from server.settings import Settings
from server.store import db

DOMAIN = "territoire.bench"
TARGET_PER_S = 3000
INSERT_INBOX = """
INSERT INTO inbox_log (activity_iri, actor_iri, type, raw) VALUES ($1, $2, $3, $4::jsonb)
"""


def _worker_logging() -> logging.Handler:
    """As `maillage worker` logs: INFO, one line per processed activity (to a file)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(LOGS / "processing-worker.log", mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


async def run(baseline: dict[str, float], *, count: int = 10000,
              profile: bool = False) -> PartResult:
    say(f"part 2, inbox processing: {count:,} stored Create{{Event}} from {count:,} "
        "followed actors, one worker (process_inbox_batch, in process)")
    dsn = await fresh_database("bench_processing")
    base_url = f"http://{DOMAIN}"
    await prepare(dsn, base_url, DOMAIN)
    territory = f"{base_url}/actors/brest"
    remotes = [Remote(f"https://f{i % 400}.processing.example", f"u{i}",
                      shared_inbox=f"https://f{i % 400}.processing.example/inbox")
               for i in range(count)]
    conn = await asyncpg.connect(dsn)
    try:
        await insert_remote_actors(conn, remotes)
        # The territory follows every sender, so their events are kept (feed rows).
        await conn.execute(
            "INSERT INTO follows (follower_iri, followee_iri, state)"
            " SELECT $1, unnest($2::text[]), 'accepted'", territory, [r.iri for r in remotes],
        )
        creates = [create_event(r.iri, i) for i, r in enumerate(remotes)]
        await conn.executemany(
            INSERT_INBOX, [(c["id"], c["actor"], "Create", json.dumps(c)) for c in creates]
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()

    settings = Settings.from_env({"MAILLAGE_DEV": "1", "MAILLAGE_DOMAIN": DOMAIN,
                                  "MAILLAGE_DATA": str(DATA / "worker"), "DATABASE_URL": dsn})
    pool = await db.create_pool(dsn, min_size=2, max_size=10)
    ctx = Context(settings, pool, new_http_client(dev=settings.dev))
    handler = _worker_logging()
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    try:
        processed = 0
        meter = CpuMeter(worker=lambda: [psutil.Process()], postgres=postgres_processes)
        meter.start()
        started = time.perf_counter()
        inbox = InboxProcessor(ctx)  # as the worker's inbox loop runs
        while done := await inbox.step():
            processed += done
        await inbox.close()
        elapsed = time.perf_counter() - started
        meter.stop()
    finally:
        if profiler is not None:
            profiler.stop()
            PROFILES.mkdir(parents=True, exist_ok=True)
            (PROFILES / "processing.txt").write_text(profiler.output_text(show_all=False))
            (PROFILES / "processing.html").write_text(profiler.output_html())
        logging.getLogger().removeHandler(handler)
        handler.close()
        await ctx.http.aclose()
        async with pool.acquire() as conn:
            stored = await conn.fetchval("SELECT count(*) FROM objects WHERE NOT local")
            left = await conn.fetchval(
                "SELECT count(*) FROM inbox_log WHERE processed_at IS NULL")
        await pool.close()

    rate = processed / elapsed
    ratio = rate / baseline["insert_1conn_per_s"]
    ok = stored == count and left == 0
    say(f"  {rate:,.0f} activities/s ({processed:,} in {elapsed:.1f}s): {stored:,} "
        f"events stored as feed rows, {left} left unprocessed")
    per_worker = 1000 * meter.result["worker"] / rate
    per_pg = 1000 * meter.result["postgres"] / rate
    say(f"  CPU in use, in cores: {meter.describe()}; per activity: worker {per_worker:.2f} ms, "
        f"PostgreSQL {per_pg:.2f} ms")
    say(f"  baseline: bare INSERT {baseline['insert_1conn_per_s']:,.0f}/s (1 conn, a commit "
        f"each) -> ratio {ratio:.2f}")
    data = {"count": count, "processed": processed, "seconds": elapsed, "rate": rate,
            "objects_stored": stored, "unprocessed": left,
            "ratio_to_insert_1conn": ratio, "cpu_cores": meter.result,
            "worker_cpu_ms_per_activity": per_worker, "postgres_cpu_ms_per_activity": per_pg}
    return PartResult("processing", data=data, rows=[
        Row("2 inbox processing (1 worker)", f"{rate:,.0f}/s", f">= {TARGET_PER_S:,}/s",
            rate >= TARGET_PER_S and ok, f"{ratio:.2f}x INSERT(1c)"),
    ])
