"""A newcomer's path: configure a territory, serve it, restart, find everything again."""

from __future__ import annotations

from pathlib import Path

import httpx

from server.accounts.passwords import verify_password
from tests.e2e.procs import free_port, instance_env, maillage, start, stop, wait_ready

AS2 = {"Accept": "application/activity+json"}


def test_serve_on_a_fresh_folder_then_restart_keeps_everything(tmp_path: Path) -> None:
    host = "127.0.0.2"
    port = free_port(host)
    data = tmp_path / "data"
    env = instance_env(host, port, data)
    base = f"http://{host}:{port}"

    created = maillage(
        env,
        "territory",
        "set",
        "--slug",
        "garrigues",
        "--name",
        "Les Garrigues",
        "--summary",
        "Initiatives des garrigues.",
        "--place",
        "Nîmes",
        "--lat",
        "43.84",
        "--lon",
        "4.36",
    )
    assert created.returncode == 0, created.stderr
    assert "@garrigues@127.0.0.2" in created.stdout
    assert (data / "postgres" / "PG_VERSION").exists()

    log = tmp_path / "serve.log"
    web = start(env, log, "serve", "--host", host, "--port", str(port))
    try:
        wait_ready(f"{base}/healthz", web)
        page = httpx.get(f"{base}/@garrigues")
        assert page.status_code == 200
        assert "Les Garrigues" in page.text and "Suivez ce territoire" in page.text
        key = httpx.get(f"{base}/actors/garrigues", headers=AS2).json()["publicKey"]
    finally:
        stop(web)

    web = start(env, log, "serve", "--host", host, "--port", str(port))
    try:
        wait_ready(f"{base}/healthz", web)
        doc = httpx.get(f"{base}/actors/garrigues", headers=AS2).json()
        assert doc["publicKey"] == key
        assert doc["location"]["name"] == "Nîmes"
        finger = httpx.get(
            f"{base}/.well-known/webfinger",
            params={"resource": f"acct:garrigues@{host}:{port}"},
        )
        assert finger.json()["links"][0]["href"] == f"{base}/actors/garrigues"
    finally:
        stop(web)
    # SIGTERM ends the web process cleanly, and with it the embedded PostgreSQL it started
    assert not (data / "postgres" / "postmaster.pid").exists()
    assert "Traceback" not in log.read_text()


def test_cli_creates_an_admin_and_refuses_a_slug_change(tmp_path: Path, database: str) -> None:
    import asyncio

    import asyncpg

    env = instance_env("127.0.0.3", 8000, tmp_path, DATABASE_URL=database)
    made = maillage(
        env,
        "create-admin",
        "ana@brest.example",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert made.returncode == 0, made.stderr
    assert "created" in made.stdout
    short = maillage(env, "create-admin", "bob@brest.example", "--password-stdin", stdin="short\n")
    assert short.returncode != 0

    async def stored_hash() -> str:
        conn = await asyncpg.connect(database)
        try:
            return str(
                await conn.fetchval(
                    "SELECT password_hash FROM accounts WHERE email = $1 AND role = 'admin'",
                    "ana@brest.example",
                )
            )
        finally:
            await conn.close()

    password_hash = asyncio.run(stored_hash())
    assert password_hash.startswith("$argon2")
    assert verify_password(password_hash, "correct horse battery")
    assert not verify_password(password_hash, "wrong")

    assert maillage(env, "territory", "show").returncode == 1
    assert maillage(env, "territory", "set", "--slug", "brest", "--name", "Brest").returncode == 0
    renamed = maillage(env, "territory", "set", "--slug", "brest2")
    assert renamed.returncode == 2
    assert "cannot be renamed" in renamed.stderr
    bad = maillage(env, "territory", "set", "--slug", "Brest!")
    assert bad.returncode == 2
    shown = maillage(env, "territory", "show")
    assert shown.returncode == 0 and "Brest" in shown.stdout
    migrated = maillage(env, "migrate")
    assert "up to date" in migrated.stdout
