"""The baseline every figure is compared to, measured in the same run on the same machine:
RSA-2048 (PKCS#1 v1.5, SHA-256, as HTTP signatures use it) sign/s and verify/s with
`cryptography` on one core, and bare asyncpg INSERT rates on the bench's PostgreSQL.

`python -m bench.baseline --rsa` is the one-core RSA measurement, run as its own process
pinned to one CPU so the figure is "per core" whatever else the machine does.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.common import PYTHON, ROOT, PartResult, Row, clean_env, fresh_database, say
from bench.payloads import create_event

# What a draft-cavage signature signs: about this long.
SIGNED_STRING = (
    b"(request-target): post /inbox\nhost: brest.example\n"
    b"date: Tue, 25 Nov 2025 14:00:00 GMT\n"
    b"digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    b"content-type: application/activity+json"
)


def _rate(action: object, seconds: float) -> float:
    assert callable(action)
    for _ in range(20):
        action()
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(20):
            action()
        count += 20
    return count / elapsed


def rsa_rates(seconds: float = 1.5) -> dict[str, float]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    signature = key.sign(SIGNED_STRING, padding.PKCS1v15(), hashes.SHA256())

    def sign() -> None:
        key.sign(SIGNED_STRING, padding.PKCS1v15(), hashes.SHA256())

    def verify() -> None:
        public.verify(signature, SIGNED_STRING, padding.PKCS1v15(), hashes.SHA256())

    return {"sign_per_s": _rate(sign, seconds), "verify_per_s": _rate(verify, seconds / 2)}


def rsa_on_one_core() -> dict[str, float]:
    out = subprocess.run(
        [PYTHON, "-m", "bench.baseline", "--rsa"], env=clean_env(), cwd=ROOT,
        capture_output=True, text=True, check=True, timeout=120,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


INSERT_TABLE = """
CREATE TABLE bare (id bigserial PRIMARY KEY, iri text NOT NULL UNIQUE, raw jsonb NOT NULL)
"""
INSERT = "INSERT INTO bare (iri, raw) VALUES ($1, $2::jsonb)"


async def insert_rates(seconds: float = 1.5, connections: int = 10) -> dict[str, float]:
    """Round trips (`SELECT 1`, one connection, in a loop); single-row INSERTs of a 2 KB
    jsonb document, each its own transaction (commit = WAL
    flush): one connection in a loop, then `connections` concurrent ones (the web
    process's pool size), which lets PostgreSQL group the commits."""
    dsn = await fresh_database("bench_baseline")
    raw = json.dumps(create_event("https://r.example/users/u", 0))
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    try:
        await conns[0].execute(INSERT_TABLE)

        async def loop(conn: asyncpg.Connection, until: float) -> int:
            done = 0
            while time.perf_counter() < until:
                await conn.execute(INSERT, f"https://r.example/{uuid.uuid4()}", raw)
                done += 1
            return done

        started = time.perf_counter()
        trips = 0
        while time.perf_counter() < started + seconds / 2:
            await conns[0].fetchval("SELECT 1")
            trips += 1
        round_trips = trips / (time.perf_counter() - started)
        started = time.perf_counter()
        one = await loop(conns[0], started + seconds) / (time.perf_counter() - started)
        started = time.perf_counter()
        counts = await asyncio.gather(*(loop(c, started + seconds) for c in conns))
        many = sum(counts) / (time.perf_counter() - started)
    finally:
        for conn in conns:
            await conn.close()
    return {"select1_per_s": round_trips, "insert_1conn_per_s": one,
            f"insert_{connections}conn_per_s": many}


async def measure() -> PartResult:
    say("baseline: RSA-2048 on one core, bare asyncpg INSERT")
    figures = rsa_on_one_core()
    figures.update(await insert_rates())
    result = PartResult("baseline", data=figures)
    result.rows = [
        Row("baseline: RSA-2048 sign (1 core)", f"{figures['sign_per_s']:,.0f}/s"),
        Row("baseline: RSA-2048 verify (1 core)", f"{figures['verify_per_s']:,.0f}/s"),
        Row("baseline: SELECT 1 round trips, 1 conn", f"{figures['select1_per_s']:,.0f}/s"),
        Row("baseline: INSERT, 1 conn", f"{figures['insert_1conn_per_s']:,.0f}/s"),
        Row("baseline: INSERT, 10 conns", f"{figures['insert_10conn_per_s']:,.0f}/s"),
    ]
    for row in result.rows:
        say(f"  {row.measure.removeprefix('baseline: '):<32} {row.figure:>10}")
    return result


if __name__ == "__main__":
    if sys.argv[1:] == ["--rsa"]:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print(json.dumps(rsa_rates()))
