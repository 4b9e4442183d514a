"""What every benchmark shares: the bench's embedded PostgreSQL, fresh databases, real
`maillage` processes on loopback, remote actors and keys, and the result rows."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psutil
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from server.actors.local import ensure_instance_actor, set_territory
from server.store import actors as store
from server.store import db
from server.store.migrate import apply_migrations

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA = BENCH_DIR / ".data"
LOGS = DATA / "logs"
PROFILES = DATA / "profiles"
RESULTS = BENCH_DIR / "results"
PYTHON = sys.executable

_admin_dsn: str | None = None


def say(message: str = "") -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------ PostgreSQL


def admin_dsn() -> str:
    """The maintenance database of the bench's own embedded PostgreSQL (bench/.data),
    started on first use and stopped when this process exits (pgserver)."""
    global _admin_dsn
    if _admin_dsn is None:
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        DATA.mkdir(parents=True, exist_ok=True)
        _admin_dsn = db.embedded_dsn(DATA, database="postgres")
    return _admin_dsn


def dsn_for(base_dsn: str, database: str) -> str:
    parts = urlsplit(base_dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


SCRATCH_DATABASES = ("bench_baseline", "bench_intake", "bench_processing", "bench_fanout")
"""Made afresh by their part on every run (a database kept between runs is not listed)."""


async def fresh_database(name: str) -> str:
    """An empty database `name`; return its DSN.

    Every scratch database of earlier parts is dropped first and a CHECKPOINT taken, so the
    previous part's writes (autovacuum, checkpoint) do not land in this part's
    measurement."""
    admin = await asyncpg.connect(admin_dsn())
    try:
        for old in {*SCRATCH_DATABASES, name}:
            await admin.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.execute("CHECKPOINT")
    finally:
        await admin.close()
    return dsn_for(admin_dsn(), name)


async def prepare(dsn: str, base_url: str, domain: str, slug: str | None = "brest") -> None:
    """Migrations, the instance actor, and the territory (auto-approving follows)."""
    conn = await db.connect(dsn)
    try:
        await apply_migrations(conn)
        await ensure_instance_actor(conn, base_url, domain)
        if slug:
            await set_territory(
                conn, base_url, domain, slug,
                store.TerritoryFields(
                    name="Brest", summary="Le territoire contributif de Brest.",
                    place_name="Brest", latitude=48.39, longitude=-4.49,
                    manually_approves=False,
                ),
            )
    finally:
        await conn.close()


# ------------------------------------------------------------------------ processes


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any Maillage setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAILLAGE_", "DATABASE_URL"))}
    first = os.environ.get("BENCH_EXTRA_PATH")  # set by --extra-path
    env["PYTHONPATH"] = os.pathsep.join([first, str(ROOT)] if first else [str(ROOT)])
    env.update(extra)
    return env


def start_maillage(env: dict[str, str], log_name: str, *args: str) -> subprocess.Popen[bytes]:
    """`maillage ARGS` as a real process (the console script is `server.cli:main`)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / log_name).open("ab") as handle:
        return subprocess.Popen(
            [PYTHON, "-m", "server.cli", *args], env=env, cwd=ROOT,
            stdout=handle, stderr=subprocess.STDOUT,
        )


def spawn(args: list[str], log_name: str) -> subprocess.Popen[str]:
    """A helper process (`python -m bench.X`, py-spy): stdout piped as text lines,
    stderr to a log file."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / log_name).open("w") as errlog:
        return subprocess.Popen(args, env=clean_env(), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=errlog, text=True)


def py_spy() -> str:
    """py-spy from the venv or PATH (`pip install py-spy`), for --profile."""
    import shutil

    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(PYTHON).parent))
    if found is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy pyinstrument")
    return found


def http_status(host: str, port: int, path: str, timeout: float = 1.0) -> int | None:
    """One plain GET over a fresh socket; None when nothing answers yet."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                         "Connection: close\r\n\r\n".encode())
            head = sock.recv(64)
    except OSError:
        return None
    try:
        return int(head[9:12])
    except ValueError:
        return None


def wait_ok(host: str, port: int, proc: subprocess.Popen[bytes], started: float,
            timeout: float = 90.0, path: str = "/healthz") -> float:
    """Seconds from `started` (monotonic) until `path` answers 200."""
    while time.monotonic() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before answering")
        if http_status(host, port, path) == 200:
            return time.monotonic() - started
        time.sleep(0.01)
    raise RuntimeError(f"http://{host}:{port}{path} did not answer within {timeout}s")


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------------ remote actors


def _new_key_pem(_: int) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def remote_keys(count: int) -> list[str]:
    """`count` RSA-2048 private keys (PEM), generated once and kept in bench/.data."""
    path = DATA / "keys" / "remote.json"
    pems: list[str] = json.loads(path.read_text()) if path.exists() else []
    if len(pems) < count:
        say(f"  generating {count - len(pems)} RSA-2048 keys (once; cached in {path})")
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            pems += list(pool.map(_new_key_pem, range(count - len(pems)), chunksize=8))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(pems))
    return pems[:count]


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass(frozen=True)
class Remote:
    """A remote Person as Mastodon publishes it."""

    origin: str  # https://host
    username: str
    shared_inbox: str | None = None
    public_pem: str | None = None

    @property
    def iri(self) -> str:
        return f"{self.origin}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.iri}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.iri}/inbox"

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": self.iri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": f"Camille {self.username.capitalize()}",
            "summary": "<p>Bénévole au jardin partagé et à l'atelier vélo du quartier.</p>",
            "url": f"{self.origin}/@{self.username}",
            "inbox": self.inbox,
            "outbox": f"{self.iri}/outbox",
            "followers": f"{self.iri}/followers",
            "following": f"{self.iri}/following",
            "manuallyApprovesFollowers": False,
        }
        if self.shared_inbox:
            doc["endpoints"] = {"sharedInbox": self.shared_inbox}
        if self.public_pem:
            doc["publicKey"] = {"id": self.key_id, "owner": self.iri,
                                "publicKeyPem": self.public_pem}
        return doc

    def row(self) -> tuple[Any, ...]:
        return (
            self.iri, False, "Person", self.username, urlsplit(self.origin).netloc,
            f"Camille {self.username.capitalize()}", "", f"{self.origin}/@{self.username}",
            self.inbox, self.shared_inbox, f"{self.iri}/outbox", f"{self.iri}/followers",
            f"{self.iri}/following", False,
            self.key_id if self.public_pem else None, self.public_pem,
            json.dumps(self.document()),
        )


ACTOR_COLUMNS = (
    "iri", "local", "type", "username", "domain", "name", "summary", "url", "inbox",
    "shared_inbox", "outbox", "followers", "following", "manually_approves", "public_key_id",
    "public_key_pem", "document",
)


INSERT_ACTOR = f"""
INSERT INTO actors ({", ".join(ACTOR_COLUMNS)}, fetched_at)
VALUES ({", ".join(f"${i}" for i in range(1, len(ACTOR_COLUMNS)))}, ${len(ACTOR_COLUMNS)}::jsonb,
        now())
"""


async def insert_remote_actors(conn: asyncpg.Connection, remotes: Iterable[Remote]) -> int:
    """As if each had been fetched and stored (`server.receive.remote.store_actor`). `conn` is a
    plain connection (jsonb passed as text)."""
    rows = [r.row() for r in remotes]
    await conn.executemany(INSERT_ACTOR, rows)
    await conn.execute("ANALYZE")
    return len(rows)


# ------------------------------------------------------------------------ results


@dataclass
class Row:
    """One line of the final table."""

    measure: str
    figure: str
    target: str = "-"
    met: bool | None = None
    ratio: str = "-"


@dataclass
class PartResult:
    name: str
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


# ------------------------------------------------------------------------ CPU accounting


def postgres_processes() -> list[psutil.Process]:
    """The bench's PostgreSQL: its postmaster and every backend and helper."""
    pidfile = DATA / "postgres" / "postmaster.pid"
    try:
        postmaster = psutil.Process(int(pidfile.read_text().split()[0]))
        return [postmaster, *postmaster.children()]
    except (OSError, ValueError, psutil.Error):
        return []


def with_children(pid: int) -> list[psutil.Process]:
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


class CpuMeter:
    """CPU seconds used by named groups of processes between `start()` and `stop()`, and
    by everything else on the machine (the machine is shared: others show up here)."""

    def __init__(self, **groups: Callable[[], list[psutil.Process]]) -> None:
        self.groups = groups
        self.before: dict[str, dict[int, float]] = {}
        self.machine_before = 0.0
        self.started = 0.0
        self.result: dict[str, float] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, processes in self.groups.items():
            out[name] = {}
            for process in processes():
                try:
                    times = process.cpu_times()
                    out[name][process.pid] = times.user + times.system
                except psutil.Error:
                    pass
        return out

    @staticmethod
    def _busy() -> float:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)

    def start(self) -> None:
        self.before = self._sample()
        self.machine_before = self._busy()
        self.started = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Cores used on average by each group (1.0 = one core busy all along)."""
        after = self._sample()
        wall = max(1e-6, time.monotonic() - self.started)
        ours = 0.0
        for name, pids in after.items():
            used = sum(t - self.before.get(name, {}).get(pid, 0.0) for pid, t in pids.items())
            self.result[name] = used / wall
            ours += used
        self.result["others"] = max(0.0, (self._busy() - self.machine_before - ours) / wall)
        return self.result

    def describe(self) -> str:
        return ", ".join(f"{name} {cores:.2f}" for name, cores in self.result.items())
