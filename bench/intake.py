"""Part 1, inbox intake: signed `Create{Event}` POSTs from 200 remote actors whose keys are
already stored, verified and durably stored (202) per second by ONE real `maillage serve`
process; the load generator (`bench.loadgen`) is another process on loopback.

Also samples the web process's resident memory (part 5) idle and under this load.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from typing import Any

import asyncpg
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
    free_port,
    fresh_database,
    insert_remote_actors,
    postgres_processes,
    prepare,
    public_pem,
    py_spy,
    remote_keys,
    say,
    spawn,
    start_maillage,
    stop,
    wait_ok,
    with_children,
)

HOST = "127.0.0.5"
ACTORS = 200
INSTANCES = 50  # the 200 actors live on 50 remote servers
TARGET_PER_S = 2000
TARGET_RSS_MB = 150


def _remotes(pems: list[str]) -> list[Remote]:
    return [
        Remote(f"https://r{i % INSTANCES}.intake.example", f"u{i}",
               shared_inbox=f"https://r{i % INSTANCES}.intake.example/inbox",
               public_pem=public_pem(pem))
        for i, pem in enumerate(pems)
    ]


async def senders_database(name: str, domain: str) -> tuple[str, list[Remote], list[str]]:
    """A fresh migrated database for an instance at `domain` that already knows the
    `ACTORS` remote senders (their keys stored, so no request waits for a key fetch):
    its DSN, the senders and their private keys."""
    dsn = await fresh_database(name)
    await prepare(dsn, f"http://{domain}", domain)
    pems = remote_keys(ACTORS)
    remotes = _remotes(pems)
    conn = await asyncpg.connect(dsn)
    try:
        await insert_remote_actors(conn, remotes)
    finally:
        await conn.close()
    return dsn, remotes, pems


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                self.samples.append((time.monotonic(), self.process.memory_info().rss))
            except psutil.Error:
                return
            self.halt.wait(self.every)

    def peak_between(self, start: float, end: float) -> int:
        return max((rss for t, rss in self.samples if start <= t <= end), default=0)


async def _stored(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM inbox_log"))
    finally:
        await conn.close()


def _read_lines(proc: subprocess.Popen[str], into: list[dict[str, Any]]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("{"):
            into.append(json.loads(line))


def start_loadgen(
    name: str, netloc: str, senders: list[tuple[Any, str]], events: list[dict[str, Any]], *,
    warmup: int, requests: int, concurrency: int, max_seconds: float,
) -> tuple[subprocess.Popen[str], threading.Thread]:
    """`bench.loadgen` POSTing signed activities of `senders` ((remote, private PEM)) to
    `netloc`'s inbox, and the thread appending its JSON lines to `events` as they come."""
    spec = {
        "netloc": netloc, "path": "/inbox", "warmup": warmup, "requests": requests,
        "concurrency": concurrency, "max_seconds": max_seconds,
        "actors": [{"iri": r.iri, "key_id": r.key_id, "private_pem": pem}
                   for r, pem in senders],
    }
    spec_path = DATA / f"{name}-spec.json"
    spec_path.write_text(json.dumps(spec))
    gen = spawn([PYTHON, "-m", "bench.loadgen", str(spec_path)], f"{name}-loadgen.log")
    reader = threading.Thread(target=_read_lines, args=(gen, events), daemon=True)
    reader.start()
    return gen, reader


async def run(
    baseline: dict[str, float], *, requests: int = 15000, warmup: int = 1500,
    concurrency: int = 32, max_seconds: float = 40.0, profile: bool = False,
) -> PartResult:
    say(f"part 1, inbox intake: {requests:,} signed Create{{Event}} from {ACTORS} actors "
        f"({warmup:,} warm-up; at most {max_seconds:g}s), {concurrency} connections, one "
        "`maillage serve`")
    port = free_port(HOST)
    domain = f"{HOST}:{port}"
    dsn, remotes, pems = await senders_database("bench_intake", domain)

    env = clean_env(MAILLAGE_DEV="1", MAILLAGE_DOMAIN=domain, DATABASE_URL=dsn,
                    MAILLAGE_DATA=str(DATA / "serve-intake"))
    started = time.monotonic()
    web = start_maillage(env, "intake-serve.log", "serve", "--host", HOST, "--port", str(port))
    events: list[dict[str, Any]] = []
    profiler: subprocess.Popen[str] | None = None
    try:
        wait_ok(HOST, port, web, started)
        await asyncio.sleep(1.0)
        idle_rss = psutil.Process(web.pid).memory_info().rss
        sampler = RssSampler(web.pid)
        sampler.start()

        gen, reader = start_loadgen("intake", domain, list(zip(remotes, pems, strict=True)), events,
                                    warmup=warmup, requests=requests,
                                    concurrency=concurrency, max_seconds=max_seconds)
        meter = CpuMeter(web=lambda: with_children(web.pid), postgres=postgres_processes,
                         loadgen=lambda: with_children(gen.pid))
        while gen.poll() is None:
            if not meter.started and any(e["event"] == "timed-start" for e in events):
                meter.start()
            if meter.started and not meter.result and any(e["event"] == "done" for e in events):
                meter.stop()
            if profile and profiler is None and any(e["event"] == "timed-start" for e in events):
                PROFILES.mkdir(parents=True, exist_ok=True)
                profiler = spawn(
                    [py_spy(), "record", "-p", str(web.pid), "-d", "8", "-r", "200",
                     "-f", "speedscope", "-o", str(PROFILES / "intake-serve.speedscope")],
                    "py-spy.log")
            await asyncio.sleep(0.05)
        reader.join(timeout=5)
        if not meter.result:
            meter.stop()
        sampler.halt.set()
        if gen.returncode != 0:
            raise RuntimeError(f"load generator failed; see {LOGS / 'intake-loadgen.log'}")
        timed_start = next(e["t"] for e in events if e["event"] == "timed-start")
        done = next(e for e in events if e["event"] == "done")
        load_rss = sampler.peak_between(timed_start, done["t"])
        end_rss = psutil.Process(web.pid).memory_info().rss
    finally:
        if profiler is not None:
            profiler.wait(timeout=60)
        stop(web)
    stored = await _stored(dsn)

    rate = done["rate"]
    sent = done["requests"]
    accepted = done["statuses"].get("202", 0)
    data = {
        **done, "stored_rows": stored, "expected_rows": warmup + sent,
        "concurrency": concurrency, "actors": ACTORS, "instances": INSTANCES,
        "idle_rss_mb": idle_rss / 2**20, "load_rss_peak_mb": load_rss / 2**20,
        "end_rss_mb": end_rss / 2**20,
        "cpu_cores": meter.result,
        "ratio_to_verify": rate / baseline["verify_per_s"],
        "ratio_to_insert_10conn": rate / baseline["insert_10conn_per_s"],
    }
    say(f"  {rate:,.0f} activities/s ({accepted:,}/{sent:,} answered 202 in "
        f"{done['seconds']:.1f}s; {stored:,} rows stored, {warmup + sent:,} expected); "
        f"latency p50 {done['p50_ms']:.1f} ms, p99 {done['p99_ms']:.1f} ms; "
        f"body {done['body_bytes']:,} B")
    if done["errors"]:
        say(f"  errors: {done['errors'][:3]}")
    say(f"  baseline: RSA verify {baseline['verify_per_s']:,.0f}/s/core, bare INSERT "
        f"{baseline['insert_10conn_per_s']:,.0f}/s (10 conns) -> ratio "
        f"{data['ratio_to_verify']:.3f} x verify, {data['ratio_to_insert_10conn']:.2f} x INSERT")
    cpu = meter.result
    data["web_cpu_ms_per_request"] = 1000 * cpu["web"] / rate
    data["postgres_cpu_ms_per_request"] = 1000 * cpu["postgres"] / rate
    say(f"  CPU in use during the timed phase, in cores (of {os.cpu_count()}): "
        f"{meter.describe()}; per request: web {data['web_cpu_ms_per_request']:.2f} ms, "
        f"PostgreSQL {data['postgres_cpu_ms_per_request']:.2f} ms")
    say(f"  web process RSS: idle {data['idle_rss_mb']:.0f} MB, under load (peak) "
        f"{data['load_rss_peak_mb']:.0f} MB")
    ok = accepted == sent and stored == warmup + sent
    return PartResult("intake", data=data, rows=[
        Row("1 inbox intake (1 web process)", f"{rate:,.0f}/s", f">= {TARGET_PER_S:,}/s",
            rate >= TARGET_PER_S and ok,
            f"{data['ratio_to_insert_10conn']:.2f}x INSERT(10c); "
            f"{data['ratio_to_verify']:.3f}x verify"),
        Row("1 intake latency p50 / p99", f"{done['p50_ms']:.0f} / {done['p99_ms']:.0f} ms",
            f"(report; {concurrency} conns)"),
        Row("1 all 202 and stored", f"{accepted:,} / {stored - warmup:,} of {sent:,}",
            "all", ok),
    ])
