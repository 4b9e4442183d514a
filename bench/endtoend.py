"""Part 6, end to end: signed `Create{Event}`s POSTed to ONE real `maillage serve` until
each is visible in the feed (an `objects` row), with ONE real `maillage worker` beside it.

The setup is part 1's (200 remote actors on 50 servers, their keys stored, the same load
generator and pre-signed requests), and the territory follows the 200 actors, so every
event is kept. The figure: activities per second from the first timed POST to the moment
the last of them is a feed row, polled every 50 ms; CPU of each process per activity.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import asyncpg

from bench.common import (
    DATA,
    LOGS,
    CpuMeter,
    PartResult,
    Row,
    clean_env,
    free_port,
    postgres_processes,
    say,
    start_maillage,
    stop,
    wait_ok,
    with_children,
)
from bench.intake import ACTORS, senders_database, start_loadgen

HOST = "127.0.0.6"
TARGET_PER_S = 3000
FEED_ROWS = "SELECT count(*) FROM objects WHERE NOT local"


async def run(baseline: dict[str, float], *, requests: int = 10000, warmup: int = 500,
              concurrency: int = 32, max_seconds: float = 60.0) -> PartResult:
    say(f"part 6, end to end: {requests:,} signed Create{{Event}} from {ACTORS} followed "
        "actors, one `maillage serve` and one `maillage worker`, until all are feed rows")
    port = free_port(HOST)
    domain = f"{HOST}:{port}"
    dsn, remotes, pems = await senders_database("bench_endtoend", domain)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO follows (follower_iri, followee_iri, state)"
            " SELECT $1, unnest($2::text[]), 'accepted'",
            f"http://{domain}/actors/brest", [r.iri for r in remotes],
        )
    finally:
        await conn.close()

    env = clean_env(MAILLAGE_DEV="1", MAILLAGE_DOMAIN=domain, DATABASE_URL=dsn,
                    MAILLAGE_DATA=str(DATA / "serve-endtoend"))
    started = time.monotonic()
    web = start_maillage(env, "endtoend-serve.log", "serve", "--host", HOST, "--port",
                         str(port))
    worker = start_maillage(env, "endtoend-worker.log", "worker")
    events: list[dict[str, Any]] = []
    try:
        wait_ok(HOST, port, web, started)
        gen, _ = start_loadgen("endtoend", domain, list(zip(remotes, pems, strict=True)),
                            events, warmup=warmup, requests=requests,
                            concurrency=concurrency, max_seconds=max_seconds)
        meter = CpuMeter(web=lambda: with_children(web.pid),
                         worker=lambda: with_children(worker.pid),
                         postgres=postgres_processes, loadgen=lambda: with_children(gen.pid))
        conn = await asyncpg.connect(dsn)
        try:
            while not any(e["event"] == "timed-start" for e in events):
                if gen.poll() is not None:
                    raise RuntimeError(f"load generator failed; see {LOGS}")
                await asyncio.sleep(0.02)
            timed_start = next(e["t"] for e in events if e["event"] == "timed-start")
            meter.start()
            deadline = time.monotonic() + max_seconds + 60
            expected = warmup + requests
            visible = 0
            while time.monotonic() < deadline:
                done = next((e for e in events if e["event"] == "done"), None)
                if done is not None:
                    expected = warmup + done["requests"]
                visible = int(await conn.fetchval(FEED_ROWS))
                if done is not None and visible >= expected:
                    break
                await asyncio.sleep(0.05)
            finished = time.monotonic()
            meter.stop()
        finally:
            await conn.close()
        gen.wait(timeout=30)
    finally:
        stop(worker)
        stop(web)

    done = next(e for e in events if e["event"] == "done")
    timed = done["requests"]
    seconds = finished - timed_start
    rate = timed / seconds
    ok = visible >= warmup + timed and done["statuses"].get("202", 0) == timed
    cpu = meter.result
    per = {name: 1000 * cores * seconds / timed for name, cores in cpu.items()}
    say(f"  {rate:,.0f} activities/s end to end ({timed:,} in {seconds:.1f}s from the first "
        f"timed POST to the last feed row; intake alone answered at {done['rate']:,.0f}/s); "
        f"{visible:,} feed rows, {warmup + timed:,} expected")
    say(f"  CPU in cores (of {os.cpu_count()}): {meter.describe()}; CPU seconds per 1,000 "
        "activities: " + ", ".join(f"{name} {ms:.2f}" for name, ms in per.items()))
    ratio = rate / baseline["insert_1conn_per_s"]
    data = {"requests": timed, "warmup": warmup, "seconds": seconds, "rate": rate,
            "intake_rate": done["rate"], "feed_rows": visible, "cpu_cores": cpu,
            "cpu_ms_per_activity": per, "ratio_to_insert_1conn": ratio}
    return PartResult("endtoend", data=data, rows=[
        Row("6 end to end, POST -> feed (1 web, 1 worker)", f"{rate:,.0f}/s",
            f">= {TARGET_PER_S:,}/s", rate >= TARGET_PER_S and ok,
            f"{ratio:.2f}x INSERT(1c)"),
    ])
