"""Invitation pages: administrators make and withdraw links (`/admin/invitations`), the
invited person creates an account (`/invite/{token}`). The rules live in
`server.accounts.invitations`."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.accounts import auth
from server.accounts import invitations as service
from server.http.body import closing
from server.http.forms import text_field
from server.http.pages import editor_context
from server.http.requests import gettext_for
from server.http.responses import error_response, render
from server.i18n import N_
from server.settings import Settings
from server.store import invitations as store

INVITE_CSRF_COOKIE = "maillage_invite_csrf"
NOTICES = {"invitation-deleted": N_("Invitation withdrawn.")}


async def _invitations_page(
    request: Request,
    *,
    status: int = 200,
    link: str | None = None,
    error: str | None = None,
    expires_at: datetime | None = None,
) -> Response:
    context = await editor_context(request)
    async with request.app.state.pool.acquire() as conn:
        invitations = await store.list_invitations(conn)
    notice = NOTICES.get(request.query_params.get("done", "")) if status == 200 else None
    return render(
        request,
        "editor_invitations.html",
        status_code=status,
        invitations=invitations,
        link=link,
        expires_at=expires_at,
        roles=service.ROLES,
        notice=gettext_for(request, notice) if notice else None,
        error=gettext_for(request, error) if error else None,
        **context,
    )


@auth.require_admin
async def invitations_home(request: Request) -> Response:
    return await _invitations_page(request)


@closing
@auth.require_admin
async def invitations_create(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    account = await auth.current_account(request)
    assert account is not None
    role = text_field(await request.form(), "role")
    if role not in service.ROLES:
        return await _invitations_page(request, status=400, error=service.BAD_ROLE)
    async with request.app.state.pool.acquire() as conn:
        token, expires_at = await service.create_invitation(conn, role, account["id"])
    return await _invitations_page(
        request, link=service.invitation_link(settings, token), expires_at=expires_at
    )


@closing
@auth.require_admin
async def invitations_delete(request: Request) -> Response:
    token_hash = text_field(await request.form(), "invitation")
    async with request.app.state.pool.acquire() as conn:
        await store.delete_invitation(conn, token_hash)
    return RedirectResponse("/admin/invitations?done=invitation-deleted", status_code=303)


def _invite_page(
    request: Request,
    role: str,
    *,
    status: int = 200,
    errors: list[str] | tuple[str, ...] = (),
    email: str = "",
) -> Response:
    settings: Settings = request.app.state.settings
    token, fresh = auth.cookie_csrf_token(request, INVITE_CSRF_COOKIE)
    response = render(
        request,
        "invite.html",
        status_code=status,
        role=role,
        csrf=token,
        errors=[gettext_for(request, e) for e in errors],
        email=email,
        min_password=service.MIN_PASSWORD,
    )
    if fresh:
        auth.set_csrf_cookie(response, settings, token, INVITE_CSRF_COOKIE, "/invite")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _role_or_error(request: Request) -> str | Response:
    try:
        async with request.app.state.pool.acquire() as conn:
            return await service.usable_role(conn, request.path_params["token"])
    except service.InvitationUnusable as exc:
        return error_response(request, exc.status, exc.message)


async def invite_form(request: Request) -> Response:
    role = await _role_or_error(request)
    if isinstance(role, Response):
        return role
    return _invite_page(request, role)


@closing
async def invite_accept(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    role = await _role_or_error(request)
    if isinstance(role, Response):
        return role
    form = await auth.form_csrf_ok(request, request.cookies.get(INVITE_CSRF_COOKIE))
    if form is None:
        return auth.csrf_failure(request)
    email = text_field(form, "email")
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    errors = service.account_problems(email, password, form.get("password_again"))
    if errors:
        return _invite_page(request, role, status=400, errors=errors, email=email)
    try:
        accepted = await service.accept(
            request.app.state.pool, request.path_params["token"], email, password,
            request.cookies.get(auth.SESSION_COOKIE),
        )
    except service.InvitationUnusable as exc:
        return error_response(request, exc.status, exc.message)
    if accepted.session is None:
        return _invite_page(request, role, status=400, errors=accepted.errors, email=email)
    response = RedirectResponse("/edit", status_code=303)
    auth.set_session_cookie(response, settings, accepted.session)
    response.delete_cookie(INVITE_CSRF_COOKIE, path="/invite")
    return response


routes = [
    Route("/admin/invitations", invitations_home, methods=["GET"]),
    Route("/admin/invitations", invitations_create, methods=["POST"]),
    Route("/admin/invitations/delete", invitations_delete, methods=["POST"]),
    Route("/invite/{token:str}", invite_form, methods=["GET"]),
    Route("/invite/{token:str}", invite_accept, methods=["POST"]),
]
