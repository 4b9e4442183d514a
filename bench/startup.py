"""Part 5, memory and start: time from `maillage serve` to the first 200 on a fresh data
folder (embedded PostgreSQL initialised, migrations, instance actor and its keys; no
DATABASE_URL) and on restart; resident memory of the web process idle, and under part 1's
load (taken from part 1 when it ran in the same invocation, otherwise from a shorter load).

Baseline: the embedded PostgreSQL alone (pgserver's initdb + start, and start), measured in
the same run the same way, in a fresh process.

`python -m bench.startup --pg DIR` is that baseline's child: it prints the monotonic time at
which the PostgreSQL under DIR answers.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.common import (
    PYTHON,
    ROOT,
    PartResult,
    Row,
    clean_env,
    free_port,
    say,
    start_maillage,
    stop,
    wait_ok,
)

HOST = "127.0.0.6"
TARGET_FRESH_S = 5.0
TARGET_RESTART_S = 2.0
TARGET_RSS_MB = 150


def _pg_alone(pgdata: Path) -> float:
    started = time.monotonic()
    out = subprocess.run(
        [PYTHON, "-m", "bench.startup", "--pg", str(pgdata)], env=clean_env(), cwd=ROOT,
        capture_output=True, text=True, timeout=120, check=True,
    )
    return float(out.stdout.strip().splitlines()[-1]) - started


def _wait_stopped(pgdata: Path, timeout: float = 10.0) -> bool:
    """pgserver stops PostgreSQL as the last user exits; wait until it has."""
    deadline = time.monotonic() + timeout
    while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not (pgdata / "postmaster.pid").exists()


def _stop_left_postgres(pgdata: Path) -> None:
    """Stop the PostgreSQL a web process left running under our scratch folder (its
    postmaster's pid is the first line of postmaster.pid): fast shutdown."""
    pidfile = pgdata / "postmaster.pid"
    if pidfile.exists():
        os.kill(int(pidfile.read_text().split()[0]), signal.SIGINT)
        _wait_stopped(pgdata)


def _interrupt(web: subprocess.Popen[bytes], sig: int) -> None:
    web.send_signal(sig)
    try:
        web.wait(timeout=30)
    except subprocess.TimeoutExpired:
        stop(web)


def _serve(data: Path, port: int, log: str) -> tuple[subprocess.Popen[bytes], float]:
    env = clean_env(MAILLAGE_DEV="1", MAILLAGE_DOMAIN=f"{HOST}:{port}", MAILLAGE_DATA=str(data))
    started = time.monotonic()
    web = start_maillage(env, log, "serve", "--host", HOST, "--port", str(port))
    return web, wait_ok(HOST, port, web, started)


async def run(intake: dict[str, float] | None, baseline: dict[str, float]) -> PartResult:
    say("part 5, memory and start: `maillage serve` on a fresh data folder, then restarted "
        "(embedded PostgreSQL, no DATABASE_URL)")
    if intake is None:
        from bench import intake as intake_part

        say("  (part 1 did not run: a shorter intake load to measure memory under load)")
        intake = (await intake_part.run(baseline, requests=6000, warmup=1000)).data
    scratch = Path(tempfile.mkdtemp(prefix="maillage-bench-start-"))
    try:
        pg_fresh = _pg_alone(scratch / "pg-alone")
        _wait_stopped(scratch / "pg-alone")
        pg_restart = _pg_alone(scratch / "pg-alone")
        _wait_stopped(scratch / "pg-alone")

        data = scratch / "data"
        pgdata = data / "postgres"
        port = free_port(HOST)
        web, fresh = _serve(data, port, "start-fresh.log")
        try:
            await asyncio.sleep(1.0)
            idle_embedded = psutil.Process(web.pid).memory_info().rss
        finally:
            _interrupt(web, signal.SIGINT)  # Ctrl-C: pgserver stops PostgreSQL at exit
        cold = _wait_stopped(pgdata)
        _stop_left_postgres(pgdata)
        web, restart = _serve(data, port, "start-restart.log")
        _interrupt(web, signal.SIGTERM)  # as systemd or `docker stop` would
        sigterm_stops_pg = _wait_stopped(pgdata, timeout=5.0)
        _stop_left_postgres(pgdata)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    load_mb = intake["load_rss_peak_mb"]
    idle_mb = intake["idle_rss_mb"]
    result = {
        "fresh_start_s": fresh, "restart_s": restart, "pg_alone_fresh_s": pg_fresh,
        "pg_alone_restart_s": pg_restart, "idle_rss_mb": idle_mb, "load_rss_peak_mb": load_mb,
        "idle_rss_embedded_mb": idle_embedded / 2**20, "restart_was_cold": cold,
        "sigterm_stops_embedded_pg": sigterm_stops_pg,
    }
    say(f"  first 200: fresh folder {fresh:.2f}s (PostgreSQL alone: initdb + start "
        f"{pg_fresh:.2f}s), restart {restart:.2f}s (PostgreSQL alone {pg_restart:.2f}s)")
    say(f"  web process RSS: idle {idle_mb:.0f} MB (DATABASE_URL), "
        f"{result['idle_rss_embedded_mb']:.0f} MB (embedded PostgreSQL); "
        f"under part 1's load {load_mb:.0f} MB (peak)")
    if not sigterm_stops_pg:
        say("  NOTE: after SIGTERM the web process left its embedded PostgreSQL running (and "
            "its pid in pgserver's handle list, so no later process stops it)")
    return PartResult("memory_start", data=result, rows=[
        Row("5 RSS web process, idle", f"{idle_mb:.0f} MB", "(report)"),
        Row("5 RSS web process, under part 1 load", f"{load_mb:.0f} MB",
            f"<= {TARGET_RSS_MB} MB", load_mb <= TARGET_RSS_MB, f"{load_mb / idle_mb:.2f}x idle"),
        Row("5 start, fresh folder -> first 200", f"{fresh:.2f} s", f"<= {TARGET_FRESH_S:g} s",
            fresh <= TARGET_FRESH_S, f"{fresh / pg_fresh:.1f}x PG alone ({pg_fresh:.2f}s)"),
        Row("5 restart -> first 200", f"{restart:.2f} s", f"<= {TARGET_RESTART_S:g} s",
            restart <= TARGET_RESTART_S,
            f"{restart / pg_restart:.1f}x PG alone ({pg_restart:.2f}s)"),
        Row("5 SIGTERM stops embedded PostgreSQL", "yes" if sigterm_stops_pg else "no",
            "yes", sigterm_stops_pg),
    ])


if __name__ == "__main__":
    if sys.argv[1] == "--pg":
        import logging

        import pgserver

        logging.getLogger("pgserver").setLevel(logging.WARNING)
        pgserver.get_server(Path(sys.argv[2]), cleanup_mode="stop")
        print(time.monotonic(), flush=True)
