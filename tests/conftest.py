"""Test harness: one real PostgreSQL per run, a fresh database per test, instances in-process.

The server is the embedded one (pgserver) unless `DATABASE_URL` is set. A template database
is migrated once; each test clones it (`CREATE DATABASE … TEMPLATE …`), which takes
milliseconds, and drops its clone afterwards.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from server.actors import keys
from server.app import create_app
from server.context import Context
from server.settings import Settings
from server.store import db
from server.store.migrate import apply_migrations
from server.worker import drain
from tests.keypool import POOL, KeyDealer
from tests.network import Network

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE_DB = "maillage_template"


def load_fixture(relative: str) -> dict[str, Any]:
    return json.loads((FIXTURES / relative).read_text("utf-8"))


def dsn_for(base_dsn: str, database: str) -> str:
    """The same server, another database: swap the path of the DSN."""
    parts = urlsplit(base_dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DSN of the maintenance database on the test server."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    yield db.embedded_dsn(tmp_path_factory.mktemp("pg"), database="postgres")


@pytest.fixture(scope="session")
async def template_db(server_dsn: str) -> str:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(dsn_for(server_dsn, TEMPLATE_DB))
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


@pytest.fixture
async def make_database(
    server_dsn: str, template_db: str
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    created: list[str] = []

    async def make() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
        finally:
            await admin.close()
        created.append(name)
        return dsn_for(server_dsn, name)

    yield make
    admin = await asyncpg.connect(server_dsn)
    try:
        for name in created:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def database(make_database: Callable[[], Awaitable[str]]) -> str:
    return await make_database()


@dataclass
class Instance:
    """One running instance, in this process: its app, database and an HTTP client to it."""

    settings: Settings
    app: Starlette
    dsn: str
    client: httpx.AsyncClient

    async def connect(self) -> asyncpg.Connection:
        return await db.connect(self.dsn)

    @property
    def ctx(self) -> Context:
        return self.app.state.ctx  # type: ignore[no-any-return]

    async def run_worker(self) -> int:
        """Step the worker until nothing is due, like a worker process would."""
        return await drain(self.ctx)

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await self.connect()
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()


def dev_settings(domain: str, data_dir: Path, **overrides: Any) -> Settings:
    env = {"MAILLAGE_DEV": "1", "MAILLAGE_DOMAIN": domain, "MAILLAGE_DATA": str(data_dir)}
    env.update(overrides)
    return Settings.from_env(env)


@pytest.fixture(autouse=True)
def key_dealer(monkeypatch: pytest.MonkeyPatch) -> KeyDealer:
    """Every test draws actor keys from the run's pool (see tests/keypool.py): distinct within
    the test, generated once per run instead of once per instance."""
    dealer = POOL.dealer()
    monkeypatch.setattr(keys, "key_source", dealer.new_keys)
    return dealer


@pytest.fixture
def network(key_dealer: KeyDealer) -> Network:
    return Network(rsa_keys=key_dealer.rsa_key)


@pytest.fixture
async def make_instance(
    make_database: Callable[[], Awaitable[str]], tmp_path: Path, network: Network
) -> AsyncIterator[Callable[..., Awaitable[Instance]]]:
    """Start instances by domain; each gets its own database, lifespan and client, and
    reaches the others (and fakes) through the `network` transport."""
    async with AsyncExitStack() as stack:

        async def make(domain: str, **env: str) -> Instance:
            settings = dev_settings(domain, tmp_path / domain, **env)
            dsn = await make_database()
            app = create_app(settings, dsn=dsn, transport=network)
            network.add(settings.domain, app)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                base_url=settings.base_url,
            )
            await stack.enter_async_context(client)
            return Instance(settings, app, dsn, client)

        yield make


async def with_territory(
    instance: Instance, slug: str, name: str | None = None, summary: str | None = None,
    **fields: Any,
) -> Instance:
    """As after `maillage territory set` (fields left out stay as they are)."""
    from server.actors.local import set_territory
    from server.store import actors as store

    conn = await instance.connect()
    try:
        await set_territory(
            conn,
            instance.settings.base_url,
            instance.settings.domain,
            slug,
            store.TerritoryFields(name=name, summary=summary, **fields),
        )
    finally:
        await conn.close()
    return instance


@pytest.fixture
async def brest(make_instance: Callable[..., Awaitable[Instance]]) -> Instance:
    return await with_territory(
        await make_instance("brest.example"),
        "brest",
        "Brest",
        "Le territoire contributif de Brest.\n\nBibliothèques & jardins.",
        place_name="Brest",
        latitude=48.39,
        longitude=-4.49,
    )


@pytest.fixture
async def marseille(make_instance: Callable[..., Awaitable[Instance]]) -> Instance:
    return await with_territory(
        await make_instance("marseille.example"), "marseille", "Marseille", place_name="Marseille"
    )


def run_in_thread(coroutine: Any) -> Any:
    """Run a coroutine from synchronous test code, even where a loop is already running
    in this thread (Playwright's sync API keeps one)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def make_db_sync(make_database: Callable[[], Awaitable[str]]) -> Callable[[], str]:
    """For synchronous tests driving real processes: a fresh database's DSN."""

    def make() -> str:
        return str(run_in_thread(make_database()))

    return make


@pytest.fixture
def run_sql() -> Callable[..., list[asyncpg.Record]]:
    """For synchronous tests: run one statement on a database, return its rows."""

    async def run_async(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await db.connect(dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    def run(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
        return list(run_in_thread(run_async(dsn, query, *args)))

    return run
