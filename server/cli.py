"""The `maillage` command: serve, worker, migrate, create-admin, territory."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from federation.errors import FetchError
from federation.webfinger import BadResource
from server.accounts.passwords import hash_password
from server.actors.local import SlugTaken, ensure_instance_actor
from server.actors.territory import set_and_announce
from server.context import Context, new_http_client
from server.settings import Settings, SettingsError
from server.store import actors as store
from server.store import db
from server.store.accounts import upsert_account
from server.store.migrate import applied as applied_migrations
from server.store.migrate import apply_migrations

log = logging.getLogger("maillage")


async def _with_connection(
    settings: Settings, action: Callable[[asyncpg.Connection], Awaitable[Any]]
) -> Any:
    conn = await db.connect(db.resolve_dsn(settings), db.wall_clock_zone(settings.timezone))
    try:
        await apply_migrations(conn)
        await ensure_instance_actor(conn, settings.base_url, settings.domain)
        return await action(conn)
    finally:
        await conn.close()


def _exit_on_sigterm() -> None:
    """uvicorn shuts down on SIGTERM, then raises the signal again with the handler that
    was there before it: with this one, the process exits normally, so the embedded
    PostgreSQL is stopped by its exit hook instead of being left running."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app

    _exit_on_sigterm()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level="info",
    )
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from server.worker import main

    main(settings, once=args.once)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def action(conn: asyncpg.Connection) -> None:
        versions = await applied_migrations(conn)
        print(f"database up to date ({len(versions)} migrations applied)")

    asyncio.run(_with_connection(settings, action))
    return 0


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated): from stdin, a prompt, or generated when nobody can type it."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Mot de passe / password: ")
        if password != getpass.getpass("Encore / again: "):
            raise SystemExit("the two passwords differ")
    else:
        return secrets.token_urlsafe(15), True
    if len(password) < 10:
        raise SystemExit("a password needs at least 10 characters")
    return password, False


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    email = args.email.strip()
    if "@" not in email or len(email) > 254:
        print(f"error: {email!r} is not an e-mail address", file=sys.stderr)
        return 2
    password, generated = _read_password(args)
    hashed = hash_password(password)

    async def action(conn: asyncpg.Connection) -> tuple[int, bool]:
        return await upsert_account(conn, email, hashed, "admin")

    account_id, created = asyncio.run(_with_connection(settings, action))
    print(f"admin {email} {'created' if created else 'updated'} (account {account_id})")
    if generated:
        print(f"generated password: {password}")
    return 0


def cmd_territory_set(settings: Settings, args: argparse.Namespace) -> int:
    if (args.lat is None) != (args.lon is None):
        print("error: give --lat and --lon together", file=sys.stderr)
        return 2
    fields = store.TerritoryFields(
        name=args.name,
        summary=args.summary,
        place_name=args.place,
        latitude=args.lat,
        longitude=args.lon,
        manually_approves=args.manual_approval,
        relays=args.relay,
    )

    async def action(conn: asyncpg.Connection) -> asyncpg.Record:
        return await set_and_announce(conn, settings, args.slug, fields)

    try:
        row = asyncio.run(_with_connection(settings, action))
    except SlugTaken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"territory @{row['username']}@{settings.domain}: {row['name']} ({row['iri']})")
    return 0


async def _with_context(settings: Settings, action: Callable[[Context], Awaitable[Any]]) -> Any:
    from server.runtime import prepare_database

    dsn = db.resolve_dsn(settings)
    await prepare_database(settings, dsn)
    pool = await db.create_pool(dsn, min_size=1, max_size=2,
                                server_settings=db.wall_clock_zone(settings.timezone))
    ctx = Context(settings, pool, new_http_client(dev=settings.dev))
    try:
        return await action(ctx)
    finally:
        await ctx.http.aclose()
        await pool.close()


def cmd_follow(settings: Settings, args: argparse.Namespace) -> int:
    from server.publish.follows import FollowError, follow

    try:
        target = asyncio.run(_with_context(settings, lambda ctx: follow(ctx, args.handle)))
    except FollowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"follow request sent to {target}; the worker delivers it")
    return 0


def cmd_unfollow(settings: Settings, args: argparse.Namespace) -> int:
    from server.publish.follows import FollowError, unfollow
    from server.receive.remote import resolve_handle

    async def action(ctx: Context) -> str:
        target = await resolve_handle(ctx, args.handle)
        await unfollow(ctx, target)
        return target

    try:
        target = asyncio.run(_with_context(settings, action))
    except (FollowError, FetchError, BadResource) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"unfollowed {target}")
    return 0


def cmd_territory_show(settings: Settings, args: argparse.Namespace) -> int:
    row = asyncio.run(_with_connection(settings, store.territory))
    if row is None:
        print("no territory yet: maillage territory set --slug SLUG --name NAME", file=sys.stderr)
        return 1
    print(f"@{row['username']}@{settings.domain}\t{row['name']}\t{row['iri']}")
    return 0


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
    from server.accounts.tokens import MAX_TOKEN_NAME, create_token
    from server.store.accounts import account_by_email

    name = args.name.strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        print(f"error: a token name has 1 to {MAX_TOKEN_NAME} characters", file=sys.stderr)
        return 2

    async def action(conn: asyncpg.Connection) -> str | None:
        account = await account_by_email(conn, args.email.strip())
        if account is None:
            return None
        return await create_token(conn, account["id"], name)

    token = asyncio.run(_with_connection(settings, action))
    if token is None:
        print(f"error: no account with the email {args.email!r}", file=sys.stderr)
        return 1
    print(token)
    print("keep it now: it is not stored and will not be shown again", file=sys.stderr)
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from server.importers.files import ImportFileError, read_import_file
    from server.importers.publishing import import_rows

    try:
        rows = read_import_file(args.file, args.kind)
    except ImportFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    imported, failed, errors = asyncio.run(
        _with_context(settings, lambda ctx: import_rows(ctx, rows))
    )
    for line in errors:
        print(line, file=sys.stderr)
    print(f"imported {imported}, failed {failed}")
    return 1 if failed else 0


def _slug(value: str) -> str:
    import re

    if not re.fullmatch(r"[a-z0-9_]{1,30}", value):
        raise argparse.ArgumentTypeError(
            "a slug is 1 to 30 lower-case letters, digits or underscores (e.g. brest)"
        )
    return value


def _latitude(value: str) -> float:
    number = float(value)
    if not -90 <= number <= 90:
        raise argparse.ArgumentTypeError("latitude must be between -90 and 90")
    return number


def _longitude(value: str) -> float:
    number = float(value)
    if not -180 <= number <= 180:
        raise argparse.ArgumentTypeError("longitude must be between -180 and 180")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maillage", description="A federated territory instance (ActivityPub)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web process")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="reverse proxies trusted for X-Forwarded-* headers",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the background worker (deliveries, inbox)")
    worker.add_argument("--once", action="store_true", help="process what is due, then exit")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    follow = sub.add_parser("follow", help="follow another territory (or any actor)")
    follow.add_argument("handle", help="@name@domain or an actor URL")
    follow.set_defaults(func=cmd_follow)
    unfollow = sub.add_parser("unfollow", help="stop following an actor")
    unfollow.add_argument("handle", help="@name@domain or an actor URL")
    unfollow.set_defaults(func=cmd_unfollow)

    admin = sub.add_parser("create-admin", help="create or reset an administrator account")
    admin.add_argument("email")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    admin.set_defaults(func=cmd_create_admin)

    territory = sub.add_parser("territory", help="the territory this instance publishes")
    tsub = territory.add_subparsers(dest="territory_command", required=True)
    tset = tsub.add_parser("set", help="create the territory, or change its fields")
    tset.add_argument("--slug", required=True, type=_slug, help="account name, as in @slug@domain")
    tset.add_argument("--name")
    tset.add_argument("--summary")
    tset.add_argument("--place")
    tset.add_argument("--lat", type=_latitude)
    tset.add_argument("--lon", type=_longitude)
    approval = tset.add_mutually_exclusive_group()
    approval.add_argument(
        "--manual-approval",
        dest="manual_approval",
        action="store_true",
        default=None,
        help="follow requests wait for an administrator",
    )
    approval.add_argument(
        "--auto-approval",
        dest="manual_approval",
        action="store_false",
        help="follow requests are accepted at once (default)",
    )
    relay = tset.add_mutually_exclusive_group()
    relay.add_argument(
        "--relay",
        dest="relay",
        action="store_true",
        default=None,
        help="announce to our followers what the territories we follow publish (a circle)",
    )
    relay.add_argument(
        "--no-relay", dest="relay", action="store_false", help="do not (a territory's default)"
    )
    tset.set_defaults(func=cmd_territory_set)
    tsub.add_parser("show", help="print the territory").set_defaults(func=cmd_territory_show)

    token = sub.add_parser("token", help="tokens for the JSON API")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_create = token_sub.add_parser("create", help="create a token; it is printed once")
    token_create.add_argument("email", help="the account the token acts for")
    token_create.add_argument("--name", required=True, help="what the token is for")
    token_create.set_defaults(func=cmd_token_create)

    importer = sub.add_parser(
        "import", help="publish initiatives and events from a JSON or CSV file (docs/import.md)"
    )
    importer.add_argument("file", help="a .json or .csv file")
    importer.add_argument(
        "--kind", choices=("event", "initiative"), help="kind of the items that do not say"
    )
    importer.set_defaults(func=cmd_import)

    from server.demo.run import add_parser as add_demo_parser

    add_demo_parser(sub, lambda argv: main(argv))  # the demo runs every command through main
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    if not getattr(args, "needs_settings", True):  # `demo` sets up its instances' settings
        return int(args.func(None, args))
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
