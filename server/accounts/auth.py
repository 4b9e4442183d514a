"""Signing in to the web pages: password check, sessions in the database, CSRF tokens.

A session is a random token in the `maillage_session` cookie; the database keeps only its
SHA-256, so a leaked `sessions` table opens no session. Each session has its own CSRF token,
which every POST form carries in a hidden `csrf` field. The login form, which has no session
yet, carries a token that must match a short-lived cookie (double submit).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import quote

import asyncpg
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.accounts.passwords import hash_password, verify_password
from server.http.responses import error_response
from server.i18n import N_
from server.settings import Settings
from server.store import accounts, sessions

SESSION_COOKIE = "maillage_session"
LOGIN_CSRF_COOKIE = "maillage_login_csrf"
SESSION_LIFETIME = timedelta(days=14)
CSRF_FIELD = "csrf"
MAX_EMAIL = 320
MAX_PASSWORD = 1024

CSRF_MESSAGE = N_(
    "This form has expired or did not come from this site. Reload the page and try again."
)
ADMIN_ONLY_MESSAGE = N_("This page is for the territory's administrators.")

_UNSET = object()

Endpoint = Callable[[Request], Awaitable[Response]]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when the email is unknown, so both failures take about as long."""
    return hash_password(secrets.token_urlsafe(16))


async def authenticate(
    conn: asyncpg.Connection, email: str, password: str
) -> asyncpg.Record | None:
    """The account whose email and password these are, or None (whichever was wrong)."""
    email = email.strip()
    if not email or not password or len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        await asyncio.to_thread(verify_password, _dummy_hash(), password[:MAX_PASSWORD] or "x")
        return None
    row = await accounts.account_by_email(conn, email)
    stored = row["password_hash"] if row is not None else _dummy_hash()
    ok = await asyncio.to_thread(verify_password, stored, password)
    return row if ok and row is not None else None


async def open_session(conn: asyncpg.Connection, account_id: int) -> str:
    """Record a new session; return the token for the cookie (never stored as is)."""
    token = secrets.token_urlsafe(32)
    await sessions.delete_expired(conn)
    await sessions.insert_session(
        conn, hash_token(token), account_id, secrets.token_urlsafe(32), SESSION_LIFETIME
    )
    return token


async def discard_session(conn: asyncpg.Connection, token: str) -> None:
    """End the session of a cookie's token (unknown tokens are ignored)."""
    await sessions.delete_session(conn, hash_token(token))


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.scheme == "https",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.scheme == "https"
    )


def cookie_csrf_token(request: Request, cookie: str = LOGIN_CSRF_COOKIE) -> tuple[str, bool]:
    """The token of a form shown before any session exists (login, invitation), kept in a
    cookie of its own, and whether that cookie must be (re)set."""
    token = request.cookies.get(cookie, "")
    if len(token) >= 32:
        return token, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(
    response: Response,
    settings: Settings,
    token: str,
    cookie: str = LOGIN_CSRF_COOKIE,
    path: str = "/login",
) -> None:
    response.set_cookie(
        cookie, token, path=path, httponly=True, samesite="lax",
        secure=settings.scheme == "https",
    )


async def current_session(request: Request) -> asyncpg.Record | None:
    """The signed-in account with its session's CSRF token, looked up once per request."""
    cached = getattr(request.state, "maillage_session", _UNSET)
    if cached is not _UNSET:
        return cached
    row = None
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) <= 256:
        async with request.app.state.pool.acquire() as conn:
            row = await sessions.session_account(conn, hash_token(token))
    request.state.maillage_session = row
    return row


async def current_account(request: Request) -> asyncpg.Record | None:
    """The account signed in on this request (columns id, email, role, csrf_token), or None."""
    return await current_session(request)


async def close_session(request: Request) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app.state.pool.acquire() as conn:
            await discard_session(conn, token)
    request.state.maillage_session = None


async def form_csrf_ok(request: Request, expected: str | None) -> FormData | None:
    """The posted form when its `csrf` field matches `expected`, else None."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not tokens_match(given, expected):
        return None
    return form


def csrf_failure(request: Request) -> Response:
    return error_response(request, 403, CSRF_MESSAGE)


def safe_next(value: Any, default: str = "/admin") -> str:
    """A local path to go to after signing in; anything else (other sites) gives `default`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or len(value) > 2000:
        return default
    return value


def login_redirect(request: Request) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def require_role(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Guard an endpoint: signed out goes to the login page (303), another role gets 403,
    and a POST must carry the session's CSRF token (else 403, and nothing is done)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            account = await current_account(request)
            if account is None:
                return login_redirect(request)
            if account["role"] not in roles:
                return error_response(request, 403, ADMIN_ONLY_MESSAGE)
            if request.method == "POST":
                if await form_csrf_ok(request, account["csrf_token"]) is None:
                    return csrf_failure(request)
            response = await endpoint(request)
            response.headers["Cache-Control"] = "no-store"
            return response

        return guarded

    return decorate


require_admin = require_role("admin")
"""Decorator for administrator-only endpoints."""

require_editor = require_role("editor", "admin")
"""Decorator for the editors' pages: editors and administrators both publish."""


class LoginThrottle:
    """Failed logins per email address, in this process: after `limit` failures within
    `window` seconds, that address cannot log in until the oldest failure ages out. Slows
    password guessing; a success clears the address's record."""

    def __init__(self, limit: int = 10, window: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, email: str) -> list[float]:
        cutoff = time.monotonic() - self.window
        recent = [t for t in self._failures.get(email.lower(), []) if t > cutoff]
        self._failures[email.lower()] = recent
        return recent

    def blocked(self, email: str) -> bool:
        return len(self._recent(email)) >= self.limit

    def failed(self, email: str) -> None:
        self._recent(email).append(time.monotonic())

    def succeeded(self, email: str) -> None:
        self._failures.pop(email.lower(), None)
