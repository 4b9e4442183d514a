"""Separate `maillage serve` + `maillage worker` processes on loopback addresses."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from federation.httpsig import PublicKeyInfo, verify_request
from tests.e2e.procs import free_port, instance_env, maillage, start, stop, wait_ready

AS2 = {"Accept": "application/activity+json"}


@contextmanager
def running_instance(
    tmp_path: Path, host: str, slug: str, database: str
) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port(host)
    env = instance_env(host, port, tmp_path / slug, DATABASE_URL=database,
                       MAILLAGE_RETRY_BASE_SECONDS="0.2", MAILLAGE_WORKER_POLL_SECONDS="0.2",
                       MAILLAGE_DELIVERY_LEASE_SECONDS="3")
    assert maillage(env, "territory", "set", "--slug", slug, "--name", slug.title()).returncode == 0
    log = tmp_path / f"{slug}.log"
    web = start(env, log, "serve", "--host", host, "--port", str(port))
    worker = start(env, log, "worker")
    try:
        wait_ready(f"http://{host}:{port}/healthz", web)
        yield f"http://{host}:{port}", env
    finally:
        stop(worker)
        stop(web)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def wait_for(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def collection(url: str) -> list[str]:
    root = httpx.get(url, headers=AS2).json()
    if not root.get("first"):
        return []
    return list(httpx.get(root["first"], headers=AS2).json()["orderedItems"])


def test_two_real_instances_follow_each_other(tmp_path: Path, make_db_sync: Any) -> None:
    with (
        running_instance(tmp_path, "127.0.0.2", "brest", make_db_sync()) as (brest, brest_env),
        running_instance(tmp_path, "127.0.0.3", "marseille", make_db_sync()) as (marseille, _),
    ):
        handle = f"@marseille@{marseille.removeprefix('http://')}"
        followed = maillage(brest_env, "follow", handle)
        assert followed.returncode == 0, followed.stderr
        wait_for(lambda: collection(f"{brest}/actors/brest/following")
                 == [f"{marseille}/actors/marseille"])
        assert collection(f"{marseille}/actors/marseille/followers") == [f"{brest}/actors/brest"]

        undone = maillage(brest_env, "unfollow", handle)
        assert undone.returncode == 0, undone.stderr
        wait_for(lambda: collection(f"{marseille}/actors/marseille/followers") == [])


class Receiver:
    """Many remote inboxes on one loopback host, slow to answer, verifying signatures and
    recording every activity id they are given: a receiver shows each id once."""

    def __init__(self, host: str, public_key: PublicKeyInfo) -> None:
        self.host = host
        self.port = free_port(host)
        self.key = public_key
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.server = uvicorn.Server(uvicorn.Config(
            Starlette(routes=[Route("/inbox/{n}", self.inbox, methods=["POST"])]),
            host=host, port=self.port, log_level="warning",
        ))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def inbox(self, request: Request) -> Response:
        body = await request.body()

        async def resolve(key_id: str, *, refresh: bool) -> PublicKeyInfo:
            return self.key

        await verify_request("POST", request.url.path, request.headers, body, resolve,
                             scheme="http")
        await asyncio.sleep(0.05)
        with self.lock:
            self.received.append((request.url.path, json.loads(body)["id"]))
        return Response(status_code=202)

    def __enter__(self) -> Receiver:
        self.thread.start()
        wait_for(lambda: self.server.started, 10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def test_worker_killed_mid_fan_out_loses_and_shows_nothing_twice(
    tmp_path: Path, make_db_sync: Any, run_sql: Any
) -> None:
    followers = 60
    database = make_db_sync()
    with running_instance(tmp_path, "127.0.0.2", "brest", database) as (brest, env):
        doc = httpx.get(f"{brest}/actors/brest", headers=AS2).json()
        key = PublicKeyInfo(doc["publicKey"]["id"], doc["id"], doc["publicKey"]["publicKeyPem"])
        with Receiver("127.0.0.4", key) as receiver:
            base = f"http://{receiver.host}:{receiver.port}"
            run_sql(database, """
                INSERT INTO actors (iri, local, type, username, domain, inbox, document)
                SELECT $1 || '/users/' || n, false, 'Person', 'u' || n, $2,
                       $1 || '/inbox/' || n, '{}'::jsonb
                FROM generate_series(1, $3) AS n
            """, base, f"{receiver.host}:{receiver.port}", followers)
            run_sql(database, """
                INSERT INTO follows (follower_iri, followee_iri, state)
                SELECT $1 || '/users/' || n, $3, 'accepted' FROM generate_series(1, $2) AS n
            """, base, followers, doc["id"])
            # Kill the running worker, publish, and start a fresh one we will kill mid-way.
            worker_pids = [p for p in _worker_pids(env)]
            for pid in worker_pids:
                os.kill(pid, signal.SIGKILL)
            renamed = maillage(env, "territory", "set", "--slug", "brest", "--name", "Brest 2")
            assert renamed.returncode == 0
            victim = start(env, tmp_path / "victim.log", "worker")
            wait_for(lambda: len(receiver.received) >= 5, 30)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            partial = len({path for path, _ in receiver.received})
            assert 0 < partial < followers, "the kill must land mid fan-out"
            survivor = start(env, tmp_path / "survivor.log", "worker")
            try:
                wait_for(lambda: len({p for p, _ in receiver.received}) == followers, 120)
            finally:
                stop(survivor)
            shown = {(path, activity) for path, activity in receiver.received}
            assert len(shown) == followers  # every inbox got the Update, shown once
            assert len({a for _, a in shown}) == 1
            rows = run_sql(database, "SELECT state, count(*) AS n FROM deliveries GROUP BY state")
            assert {r["state"]: r["n"] for r in rows} == {"done": followers}


def _worker_pids(env: dict[str, str]) -> list[int]:
    """Worker processes started for this instance (matched by its data folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"worker" in cmdline and f"MAILLAGE_DATA={env['MAILLAGE_DATA']}".encode() in environ:
            found.append(int(entry.name))
    return found
