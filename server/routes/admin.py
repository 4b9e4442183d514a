"""The administrator's pages: sign in and out, follows of the territory, domain blocks.

Every change is a POST form guarded by the session's CSRF token; success redirects (303) to
/admin with a notice chosen from a fixed list, errors re-show the page with status 400.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.domains import normalise_domain
from server.accounts import auth
from server.http.requests import ctx_of, gettext_for
from server.http.responses import render
from server.i18n import N_
from server.publish import follows
from server.settings import Settings
from server.store import actors as store
from server.store import domain_blocks
from server.store import follows as follows_table

NOTICES = {
    "followed": N_("Follow request sent. It counts once the other territory accepts it."),
    "unfollowed": N_("The territory no longer follows that account."),
    "accepted": N_("Follow request accepted."),
    "rejected": N_("Follow request refused."),
    "removed": N_("Follower removed."),
    "blocked": N_("Domain blocked."),
    "unblocked": N_("Domain unblocked."),
}
LOGIN_FAILED = N_("Wrong email or password.")
TOO_MANY_TRIES = N_("Too many failed attempts for this address. Try again in 15 minutes.")
BAD_DOMAIN = N_("Enter a domain name such as spam.example, without https:// or a path.")
OWN_DOMAIN = N_("This is the instance's own domain; it cannot be blocked.")
NOT_BLOCKED = N_("That domain is not blocked.")
BAD_DECISION = N_("Unknown decision; use the Accept or Reject buttons.")
MISSING_FIELD = N_("A field of the form is missing.")
REASON_TOO_LONG = N_("The reason is too long (500 characters at most).")

MAX_REASON = 500


def normalize_domain(value: str) -> str | None:
    """A lower-case host name (IDN to punycode), or None when `value` is not one: the normal
    form every block comparison uses."""
    return normalise_domain(value)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _done(notice: str) -> Response:
    return RedirectResponse(f"/admin?done={notice}", status_code=303)


def _web_link(*candidates: str | None) -> str | None:
    """The first http(s) URL: remote actors choose their `url`, which must not be `javascript:`."""
    for value in candidates:
        if value and value.lower().startswith(("https://", "http://")):
            return value
    return None


def _who(row: asyncpg.Record, iri_column: str) -> dict[str, Any]:
    handle = f"@{row['username']}@{row['domain']}" if row["username"] and row["domain"] else None
    return {
        "iri": row[iri_column],
        "name": row["name"] or None,
        "handle": handle,
        "url": _web_link(row["url"], row[iri_column]),
        "state": row["state"],
        "created_at": row["created_at"],
    }


# ---------------------------------------------------------------------------- login, logout


def _login_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    email: str = "",
    next_path: str = "",
) -> Response:
    settings: Settings = request.app.state.settings
    token, fresh = auth.cookie_csrf_token(request)
    response = render(
        request,
        "login.html",
        status_code=status,
        signed_in=None,  # the page's own token is the form's: no sign-out form above it
        csrf=token,
        error=gettext_for(request, error) if error else None,
        email=email,
        next=next_path,
    )
    if fresh:
        auth.set_csrf_cookie(response, settings, token)
    response.headers["Cache-Control"] = "no-store"
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request, next_path=auth.safe_next(request.query_params.get("next"), ""))


async def login(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await auth.form_csrf_ok(request, request.cookies.get(auth.LOGIN_CSRF_COOKIE))
    if form is None:
        return auth.csrf_failure(request)
    email = _field(form, "email")
    password = form.get("password")
    next_path = auth.safe_next(form.get("next"), "")
    throttle: auth.LoginThrottle = request.app.state.login_throttle
    if throttle.blocked(email):
        return _login_page(
            request, status=429, error=TOO_MANY_TRIES, email=email, next_path=next_path
        )
    async with request.app.state.pool.acquire() as conn:
        account = await auth.authenticate(
            conn, email, password if isinstance(password, str) else ""
        )
        if account is None:
            throttle.failed(email)
            return _login_page(
                request, status=400, error=LOGIN_FAILED, email=email, next_path=next_path
            )
        throttle.succeeded(email)
        previous = request.cookies.get(auth.SESSION_COOKIE)
        if previous:  # no session fixation: whatever came before is discarded
            await auth.discard_session(conn, previous)
        token = await auth.open_session(conn, account["id"])
    default = "/admin" if account["role"] == "admin" else "/"
    response = RedirectResponse(next_path or default, status_code=303)
    auth.set_session_cookie(response, settings, token)
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    account = await auth.current_account(request)
    if account is not None:
        if await auth.form_csrf_ok(request, account["csrf_token"]) is None:
            return auth.csrf_failure(request)
        await auth.close_session(request)
    response = RedirectResponse("/login", status_code=303)
    auth.clear_session_cookie(response, settings)
    return response


# ------------------------------------------------------------------------------ admin page


async def _admin_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    detail: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The page; `error` is a msgid shown translated, `detail` an untranslated explanation."""
    account = await auth.current_account(request)
    assert account is not None
    async with request.app.state.pool.acquire() as conn:
        territory = await store.territory(conn)
        lists = await follows.follow_lists(conn, territory["iri"]) if territory else None
        blocks = await domain_blocks.list_blocks(conn)
    notice = NOTICES.get(request.query_params.get("done", "")) if status == 200 else None
    return render(
        request,
        "admin.html",
        status_code=status,
        account=account,
        csrf=account["csrf_token"],
        territory=territory,
        requests=[_who(r, "follower_iri") for r in lists.requests] if lists else [],
        followers=[_who(r, "follower_iri") for r in lists.followers] if lists else [],
        following=[_who(r, "followee_iri") for r in lists.following] if lists else [],
        blocks=blocks,
        notice=gettext_for(request, notice) if notice else None,
        error=gettext_for(request, error) if error else None,
        detail=detail,
        values=values or {},
    )


@auth.require_admin
async def admin_home(request: Request) -> Response:
    return await _admin_page(request)


@auth.require_admin
async def answer_request(request: Request) -> Response:
    form = await request.form()
    follower = _field(form, "follower")
    decision = _field(form, "decision")
    if not follower:
        return await _admin_page(request, status=400, error=MISSING_FIELD)
    if decision not in ("accept", "reject"):
        return await _admin_page(request, status=400, error=BAD_DECISION)
    ctx = ctx_of(request)
    async with ctx.pool.acquire() as conn:
        territory = await store.territory(conn)
        state = (
            await follows_table.follow_state(conn, follower, territory["iri"])
            if territory
            else None
        )
    try:
        await follows.answer_request(ctx, follower, accept=decision == "accept")
    except follows.FollowError as exc:
        return await _admin_page(request, status=400, detail=str(exc))
    if decision == "accept":
        return _done("accepted")
    return _done("removed" if state == "accepted" else "rejected")


@auth.require_admin
async def follow(request: Request) -> Response:
    form = await request.form()
    handle = _field(form, "handle")
    if not handle:
        return await _admin_page(request, status=400, error=MISSING_FIELD)
    try:
        await follows.follow(ctx_of(request), handle)
    except follows.FollowError as exc:
        return await _admin_page(request, status=400, detail=str(exc), values={"handle": handle})
    return _done("followed")


@auth.require_admin
async def unfollow(request: Request) -> Response:
    form = await request.form()
    actor = _field(form, "actor")
    if not actor:
        return await _admin_page(request, status=400, error=MISSING_FIELD)
    try:
        await follows.unfollow(ctx_of(request), actor)
    except follows.FollowError as exc:
        return await _admin_page(request, status=400, detail=str(exc))
    return _done("unfollowed")


@auth.require_admin
async def add_block(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await request.form()
    raw, reason = _field(form, "domain"), _field(form, "reason")
    values = {"domain": raw, "reason": reason}
    domain = normalize_domain(raw)
    if domain is None:
        return await _admin_page(request, status=400, error=BAD_DOMAIN, values=values)
    if domain == settings.domain.rsplit(":", 1)[0]:
        return await _admin_page(request, status=400, error=OWN_DOMAIN, values=values)
    if len(reason) > MAX_REASON:
        return await _admin_page(request, status=400, error=REASON_TOO_LONG, values=values)
    async with request.app.state.pool.acquire() as conn:
        await domain_blocks.block(conn, domain, reason)
    request.app.state.blocks.forget()
    return _done("blocked")


@auth.require_admin
async def delete_block(request: Request) -> Response:
    form = await request.form()
    domain = normalize_domain(_field(form, "domain"))
    if domain is None:
        return await _admin_page(request, status=400, error=BAD_DOMAIN)
    async with request.app.state.pool.acquire() as conn:
        unblocked = await domain_blocks.unblock(conn, domain)
    request.app.state.blocks.forget()
    if not unblocked:
        return await _admin_page(request, status=400, error=NOT_BLOCKED)
    return _done("unblocked")


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/admin", admin_home, methods=["GET"]),
    Route("/admin/requests", answer_request, methods=["POST"]),
    Route("/admin/follow", follow, methods=["POST"]),
    Route("/admin/unfollow", unfollow, methods=["POST"]),
    Route("/admin/blocks", add_block, methods=["POST"]),
    Route("/admin/blocks/delete", delete_block, methods=["POST"]),
]
