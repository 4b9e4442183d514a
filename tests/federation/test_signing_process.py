"""Deliveries signed in the worker's signing process: the same headers as signing in place,
and a lost process costs nothing but a signature made in place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from federation.httpsig import HttpSignatureAuth
from server.deliver.signing import SigningPool, processes_for
from server.settings import Settings
from tests.federation.test_poster import KEY

NOW = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
BODY = b'{"type": "Update", "name": "Brest, territoire contributif"}'
INBOXES = [f"https://i{n}.example/inbox" for n in range(12)]


@pytest.mark.parametrize("rfc9421", [False, True])
async def test_the_signing_process_makes_the_signatures_made_in_place(rfc9421: bool) -> None:
    signer = HttpSignatureAuth("https://brest.example/actor#main-key", KEY, rfc9421=rfc9421)
    posts = [signer.prepare_post(url, BODY, "application/activity+json", now=NOW)
             for url in INBOXES]
    pool = SigningPool(processes=1, min_batch=4)
    try:
        made = await pool.headers(signer, posts)
        assert pool._executor is not None  # the process signed them
        child = next(iter(pool._executor._processes))
    finally:
        pool.close()
    assert child != os.getpid()
    assert made == [signer.post_headers(url, BODY, "application/activity+json", now=NOW)
                    for url in INBOXES]
    assert len({h["Signature"] for h in made}) == len(INBOXES)


async def test_a_killed_signing_process_is_replaced_and_nothing_is_lost() -> None:
    signer = HttpSignatureAuth("https://brest.example/actor#main-key", KEY)
    posts = [signer.prepare_post(url, BODY, "application/activity+json", now=NOW)
             for url in INBOXES]
    expected = [signer.post_headers(url, BODY, "application/activity+json", now=NOW)
                for url in INBOXES]
    pool = SigningPool(processes=1, min_batch=4)
    try:
        assert await pool.headers(signer, posts) == expected
        assert pool._executor is not None
        first = next(iter(pool._executor._processes))
        os.kill(first, signal.SIGKILL)
        assert await pool.headers(signer, posts) == expected  # signed in place
        assert await pool.headers(signer, posts) == expected  # by a new process
        assert pool._executor is not None
        assert first not in pool._executor._processes
    finally:
        pool.close()


CHILD = """
import asyncio
from server.deliver.signing import SigningPool, processes_for
from server.settings import Settings
async def main():
    await SigningPool(1).start()
    print("ready", flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


def test_the_signing_process_ends_when_its_worker_is_killed() -> None:
    """SIGKILL (or the OOM killer) gives the worker no chance to stop its child: the child
    notices its parent is gone and ends, leaving no orphan behind."""
    worker = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        children = psutil.Process(worker.pid).children(recursive=True)
        assert children
    finally:
        worker.kill()
        worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []


def test_how_many_signing_processes_a_worker_starts() -> None:
    assert Settings.from_env({"MAILLAGE_DEV": "1"}).signing_processes is None
    assert Settings.from_env({"MAILLAGE_DEV": "1", "MAILLAGE_SIGNING_PROCESSES": "0"}
                             ).signing_processes == 0
    for wrong in ("-1", "two"):
        with pytest.raises(ValueError, match="MAILLAGE_SIGNING_PROCESSES"):
            Settings.from_env({"MAILLAGE_DEV": "1", "MAILLAGE_SIGNING_PROCESSES": wrong})
    assert processes_for(None, 2) == 1
    assert processes_for(None, 1) == 0
    assert processes_for(None, None) == 0
    assert processes_for(0, 8) == 0
    assert processes_for(2, 1) == 2
