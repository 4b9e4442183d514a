"""Part 3, fan-out: one new activity to 10,000 followers spread over 500 instances, time
until every instance has acknowledged it, with ONE real `maillage worker` process.

The followers (with their instance's shared inbox) and their accepted follows are inserted
directly; the receivers (`bench.receivers`, another process) verify every signature. The
activity is the territory's `Update{Group}` published by `server.actors.territory.set_and_announce`
(what `maillage territory set` does), so the worker is woken by NOTIFY as in production.
Shared inboxes must collapse the 10,000 followers into 500 POSTs.

The worker is first warmed up (one Follow to one instance: a long-running worker has its
imports, key and client ready), then the activity is published `repeat` times, one after
the other; the figure is the median round (the machine is shared and noisy).
"""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import threading
import time
from typing import Any

import asyncpg
import httpx
import psutil

from bench.common import (
    DATA,
    LOGS,
    PROFILES,
    PYTHON,
    CpuMeter,
    PartResult,
    Remote,
    Row,
    clean_env,
    fresh_database,
    insert_remote_actors,
    postgres_processes,
    prepare,
    py_spy,
    say,
    spawn,
    start_maillage,
    stop,
    with_children,
)
from federation import activities
from server.actors.territory import set_and_announce
from server.publish.outbox import new_activity_id, publish
from server.settings import Settings
from server.store import actors as store
from server.store import db

DOMAIN = "territoire.bench"
TARGET_SECONDS = 2.0
TARGET_POSTS_PER_S = 1500  # issue 11
TARGET_SIGN_RATIO = 3.0


def _lines(proc: subprocess.Popen[str], into: queue.Queue[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):
            into.put(json.loads(line))


def _next(events: queue.Queue[dict[str, Any]], kind: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        event = events.get(timeout=max(0.01, deadline - time.monotonic()))
        if event["event"] == kind:
            return event


def _wait_log(path: str, text: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}; see {path}")
        with open(path, errors="replace") as handle:
            if text in handle.read():
                return
        time.sleep(0.05)
    raise RuntimeError(f"worker did not log {text!r} within {timeout}s")


async def run(baseline: dict[str, float], *, followers: int = 10000, instances: int = 500,
              repeat: int = 3, profile: bool = False) -> PartResult:
    say(f"part 3, fan-out: one activity to {followers:,} followers on {instances} instances "
        f"(receivers verify every signature), one `maillage worker`; {repeat} rounds")
    dsn = await fresh_database("bench_fanout")
    base_url = f"http://{DOMAIN}"
    await prepare(dsn, base_url, DOMAIN)
    conn = await db.connect(dsn)
    try:
        territory = await store.territory(conn)
        assert territory is not None
    finally:
        await conn.close()

    spec_path = DATA / "receivers-spec.json"
    spec_path.write_text(json.dumps({
        "instances": instances, "key_id": territory["public_key_id"],
        "owner": territory["iri"], "public_pem": territory["public_key_pem"],
        "count_type": "Update",
    }))
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    receivers = spawn([PYTHON, "-m", "bench.receivers", str(spec_path)],
                      "fanout-receivers.log")
    threading.Thread(target=_lines, args=(receivers, events), daemon=True).start()
    worker: subprocess.Popen[bytes] | None = None
    profiler: subprocess.Popen[str] | None = None
    try:
        inboxes: list[str] = _next(events, "listening", 60)["inboxes"]
        per_instance = followers // instances
        remotes = [
            Remote(inbox.rsplit("/inbox/", 1)[0], f"u{k}x{j}", shared_inbox=inbox)
            for k, inbox in enumerate(inboxes) for j in range(per_instance)
        ]
        conn = await asyncpg.connect(dsn)
        try:
            await insert_remote_actors(conn, remotes)
            await conn.executemany(
                "INSERT INTO follows (follower_iri, followee_iri, state, activity_iri) "
                "VALUES ($1, $2, 'accepted', $3)",
                [(r.iri, territory["iri"], f"{r.iri}#follows/1") for r in remotes],
            )
            await conn.execute("ANALYZE")
        finally:
            await conn.close()

        env = clean_env(MAILLAGE_DEV="1", MAILLAGE_DOMAIN=DOMAIN, DATABASE_URL=dsn,
                        MAILLAGE_DATA=str(DATA / "worker"))
        log_path = LOGS / "fanout-worker.log"
        log_path.write_text("")
        worker = start_maillage(env, log_path.name, "worker")
        _wait_log(str(log_path), "worker started", worker, 60)
        settings = Settings.from_env({"MAILLAGE_DEV": "1", "MAILLAGE_DOMAIN": DOMAIN,
                                      "DATABASE_URL": dsn})
        # A long-running worker has signed and posted before: warm it up with one Follow
        # to one instance (first-use imports, the territory's key, the HTTP client).
        conn = await db.connect(dsn)
        try:
            await publish(conn, activities.follow(new_activity_id(base_url), territory["iri"],
                                                  remotes[0].iri), recipients=[remotes[0].iri])
        finally:
            await conn.close()
        await asyncio.to_thread(_next, events, "seen", 60)
        await asyncio.sleep(0.5)  # idle again, listening
        if profile:
            PROFILES.mkdir(parents=True, exist_ok=True)
            profiler = spawn(
                [py_spy(), "record", "-p", str(worker.pid), "-d", str(4 * repeat + 2), "-r", "500",
                 "-f", "speedscope", "-o", str(PROFILES / "fanout-worker.speedscope")],
                "py-spy.log")
            await asyncio.sleep(1.0)

        rounds = []
        conn = await db.connect(dsn)
        try:
            for n in range(repeat):
                rounds.append(await _round(conn, settings, events, n, worker.pid,
                                           receivers.pid))
                await asyncio.sleep(0.5)
        finally:
            await conn.close()
        async with httpx.AsyncClient(timeout=10) as client:
            stats = (await client.get(inboxes[0].rsplit("/inbox/", 1)[0] + "/stats")).json()
    finally:
        if profiler is not None:
            profiler.wait(timeout=60)
        if worker is not None:
            stop(worker)
        stop(receivers)

    sign_cost = instances / baseline["sign_per_s"]
    for r in rounds:
        r["ratio_to_signs"] = r["seconds"] / sign_cost
        r["worker_cpu_ms_per_delivery"] = (1000 * r["cpu_cores"]["worker"] * r["seconds"]
                                           / max(1, r["deliveries"]))
        say(f"  round {r['round'] + 1}: all {instances} instances acknowledged "
            f"{r['seconds']:.2f}s after publishing ({r['deliveries']} deliveries, states "
            f"{r['states']}); fanned out +{r['timeline']['fanned_out']:.2f}s, first delivery "
            f"done +{r['timeline']['first_done']:.2f}s, last +{r['timeline']['last_done']:.2f}s;"
            f" CPU in cores: {', '.join(f'{k} {v:.2f}' for k, v in r['cpu_cores'].items())}; "
            f"worker {r['worker_cpu_ms_per_delivery']:.2f} ms CPU per delivery")
    median = sorted(rounds, key=lambda r: r["seconds"])[len(rounds) // 2]
    elapsed, posts = median["seconds"], median["deliveries"]
    ratio = elapsed / sign_cost
    posts_per_s = posts / elapsed
    expected_posts = instances * repeat
    collapsed = (all(r["deliveries"] == instances for r in rounds)
                 and stats["counted_posts"] == expected_posts)
    verified = stats["accepted"] == stats["posts"] and not stats["refused"]
    say(f"  median of {repeat}: {elapsed:.2f}s for {len(remotes):,} followers on {instances} "
        f"instances; receivers got {stats['counted_posts']} POSTs for {repeat} activities "
        f"(+1 warm-up), {stats['accepted']} verified, {stats['refused']} refused, "
        f"{stats['duplicates']} duplicates")
    say(f"  baseline: {instances} RSA-2048 signatures cost {sign_cost:.2f}s on one core "
        f"({baseline['sign_per_s']:,.0f}/s, {1000 / baseline['sign_per_s']:.2f} ms each) -> "
        f"fan-out took {ratio:.1f}x that")
    data = {"followers": len(remotes), "instances": instances, "rounds": rounds,
            "seconds": elapsed, "deliveries": posts, "posts_per_s": posts_per_s,
            "followers_per_s": len(remotes) / elapsed, "receiver_stats": stats,
            "sign_cost_s": sign_cost, "ratio_to_signs": ratio}
    spread = f"{min(r['seconds'] for r in rounds):.2f}-{max(r['seconds'] for r in rounds):.2f}"
    return PartResult("fanout", data=data, rows=[
        Row(f"3 fan-out {len(remotes):,} followers / {instances} inst.",
            f"{elapsed:.2f} s (med. of {repeat}: {spread})", f"<= {TARGET_SECONDS:g} s",
            elapsed <= TARGET_SECONDS and verified, f"{ratio:.1f}x {instances} signs"),
        Row("3 fan-out POSTs per second", f"{posts_per_s:,.0f}/s",
            f">= {TARGET_POSTS_PER_S}/s", posts_per_s >= TARGET_POSTS_PER_S),
        Row(f"3 fan-out vs {instances} RSA signs", f"{ratio:.1f}x", f"<= {TARGET_SIGN_RATIO:g}x",
            ratio <= TARGET_SIGN_RATIO, f"{sign_cost:.2f}s = {instances} signs"),
        Row("3 shared inboxes: deliveries", f"{posts} POSTs per activity",
            f"== {instances}", collapsed),
    ])


async def _round(conn: asyncpg.Connection, settings: Settings,
                 events: queue.Queue[dict[str, Any]], n: int, worker_pid: int,
                 receivers_pid: int) -> dict[str, Any]:
    """Publish one `Update{Group}` and time it until every instance acknowledged it."""
    # the worker with its signing process (server/deliver/signing.py)
    meter = CpuMeter(worker=lambda: with_children(worker_pid),
                     receivers=lambda: [psutil.Process(receivers_pid)],
                     postgres=postgres_processes)
    meter.start()
    published = time.monotonic()
    await set_and_announce(conn, settings, "brest", store.TerritoryFields(
        summary=f"Le territoire contributif de Brest : jardins, ateliers, entraide ({n + 1})."))
    done_at = await asyncio.to_thread(_next, events, "all", 120)
    elapsed = done_at["t"] - published
    meter.stop()
    activity_id = await conn.fetchval("SELECT id FROM activities WHERE iri = $1",
                                      done_at["id"])
    # the worker records a batch after its POSTs: wait for the last records
    for _ in range(200):
        states = dict(await conn.fetch(
            "SELECT state, count(*) FROM deliveries WHERE activity_id = $1 GROUP BY state",
            activity_id))
        if not states.get("pending"):
            break
        await asyncio.sleep(0.05)
    timeline = await conn.fetchrow("""
        SELECT count(*) AS deliveries,
               extract(epoch FROM min(d.created_at) - a.created_at) AS fanned_out,
               extract(epoch FROM min(d.finished_at) - a.created_at) AS first_done,
               extract(epoch FROM max(d.finished_at) - a.created_at) AS last_done
        FROM deliveries d JOIN activities a ON a.id = d.activity_id
        WHERE a.id = $1 GROUP BY a.created_at""", activity_id)
    return {"round": n, "seconds": elapsed, "deliveries": int(timeline["deliveries"]),
            "states": states, "cpu_cores": meter.result,
            "timeline": {k: float(timeline[k]) for k in ("fanned_out", "first_done",
                                                         "last_done")}}
