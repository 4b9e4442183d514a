"""The JSON API for scripts (`/api/v1`, documented in docs/api.openapi.yaml), and the
administrator's page that creates its tokens.

A request carries `Authorization: Bearer <token>`; the database keeps only the token's
SHA-256 (`api_tokens`), like sessions. The input model is the editor's (see server/objects.py),
and every change is published exactly like an editor's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from federation.inbox.strict import UnstorableJSON, loads_strict
from federation.vocab import utc_timestamp
from server.accounts import auth
from server.accounts import tokens as api_tokens
from server.accounts.tokens import MAX_TOKEN_NAME, create_token
from server.errors import Rejected
from server.http.body import read_body
from server.http.requests import ctx_of
from server.http.responses import render, request_locale
from server.i18n import N_, translations
from server.publish import objects
from server.settings import Settings
from server.store import accounts
from server.store import tokens as token_rows

MAX_LIST = 500

TOKEN_NOTICES = {"revoked": N_("Token revoked: scripts using it are refused from now on.")}
TOKEN_NAME_NEEDED = N_("Give the token a name (100 characters at most), such as “agenda import”.")
UNKNOWN_ACCOUNT = N_("Choose the account the token acts for.")

ApiEndpoint = Callable[[Request, asyncpg.Record], Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def _error(status: int, message: str) -> ApiError:
    return ApiError(status, {"error": message})


# ----------------------------------------------------------------------------------- tokens


async def token_account(request: Request) -> asyncpg.Record | None:
    """The account of the request's bearer token (marking the token used), or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        return None
    async with request.app.state.pool.acquire() as conn:
        return await api_tokens.token_account(conn, token)


def api(endpoint: ApiEndpoint) -> Callable[[Request], Awaitable[Response]]:
    """Bearer authentication, JSON errors, no caching."""

    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        try:
            account = await token_account(request)
            if account is None:
                response: Response = JSONResponse(
                    {"error": "a valid API token is required (Authorization: Bearer …)"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="maillage"'},
                )
            elif account["role"] not in ("editor", "admin"):
                raise _error(403, "this account may not publish")
            else:
                response = await endpoint(request, account)
        except ApiError as exc:
            response = JSONResponse(exc.body, status_code=exc.status)
        response.headers["Cache-Control"] = "no-store"
        return response

    return guarded


async def read_json(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise _error(415, "send the body as application/json")
    try:
        body = await read_body(request, settings.max_body_bytes)
    except Rejected as exc:
        raise _error(exc.status, str(exc)) from exc
    try:
        data = loads_strict(body)
    except UnstorableJSON as exc:
        raise ApiError(400, {"errors": [f"body: a value cannot be kept ({exc})"]}) from exc
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, {"errors": [f"body: not valid JSON ({exc})"]}) from exc
    if not isinstance(data, dict):
        raise ApiError(400, {"errors": ["body: must be a JSON object"]})
    return data


def _iso(value: Any) -> str | None:
    return utc_timestamp(value) if value is not None else None


def object_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "iri": row["iri"],
        "url": row["url"],
        "title": row["title"],
        "published": _iso(row["published"]),
        "updated": _iso(row["updated"]),
        "input": row["input"],
    }


def _created(row: asyncpg.Record) -> Response:
    response = JSONResponse(object_json(row), status_code=201)
    if row["url"]:
        response.headers["Location"] = row["url"]
    return response


# -------------------------------------------------------------------------------- endpoints


@api
async def list_objects(request: Request, account: asyncpg.Record) -> Response:
    raw = request.query_params.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIST:
        raise ApiError(400, {"errors": [f"limit: a whole number from 1 to {MAX_LIST}"]})
    async with request.app.state.pool.acquire() as conn:
        rows = await objects.list_local(conn, limit=int(raw))
    return JSONResponse([object_json(row) for row in rows])


@api
async def get_object(request: Request, account: asyncpg.Record) -> Response:
    async with request.app.state.pool.acquire() as conn:
        row = await objects.get_local(conn, request.path_params["id"])
    if row is None:
        raise _error(404, "no local initiative or event with this id")
    return JSONResponse(object_json(row))


def _author(account: asyncpg.Record) -> objects.Author:
    """For the item's history: the token's account."""
    return objects.Author(account["id"], account["email"])


async def _create(request: Request, kind: str, account: asyncpg.Record) -> Response:
    data = await read_json(request)
    try:
        row = await objects.create_local(ctx_of(request), kind, data, _author(account))
    except objects.InputError as exc:
        raise ApiError(400, {"errors": exc.messages}) from exc
    return _created(row)


@api
async def create_initiative(request: Request, account: asyncpg.Record) -> Response:
    return await _create(request, "initiative", account)


@api
async def create_event(request: Request, account: asyncpg.Record) -> Response:
    return await _create(request, "event", account)


@api
async def update_object(request: Request, account: asyncpg.Record) -> Response:
    data = await read_json(request)
    try:
        row = await objects.update_local(
            ctx_of(request), request.path_params["id"], data, _author(account)
        )
    except objects.InputError as exc:
        raise ApiError(400, {"errors": exc.messages}) from exc
    except LookupError as exc:
        raise _error(404, "no local initiative or event with this id") from exc
    return JSONResponse(object_json(row))


@api
async def delete_object(request: Request, account: asyncpg.Record) -> Response:
    try:
        await objects.delete_local(ctx_of(request), request.path_params["id"], _author(account))
    except LookupError as exc:
        raise _error(404, "no local initiative or event with this id") from exc
    return Response(status_code=204)


# ---------------------------------------------------------------- the administrator's page


async def _tokens_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    token: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    account = await auth.current_account(request)
    assert account is not None
    locale = request_locale(request)
    gettext = translations(locale).gettext
    async with request.app.state.pool.acquire() as conn:
        tokens = await token_rows.list_tokens(conn)
        account_rows = await accounts.list_accounts(conn)
    notice = TOKEN_NOTICES.get(request.query_params.get("done", "")) if status == 200 else None
    return render(
        request,
        "api_tokens.html",
        status_code=status,
        account=account,
        csrf=account["csrf_token"],
        is_admin=True,
        tokens=tokens,
        accounts=account_rows,
        token=token,
        values=values or {"account": account["id"]},
        notice=gettext(notice) if notice else None,
        error=gettext(error) if error else None,
    )


@auth.require_admin
async def tokens_home(request: Request) -> Response:
    return await _tokens_page(request)


@auth.require_admin
async def tokens_create(request: Request) -> Response:
    form = await request.form()
    name = form.get("name")
    name = name.strip() if isinstance(name, str) else ""
    account_field = form.get("account")
    account_id = (
        int(account_field)
        if isinstance(account_field, str) and account_field.isdigit() and len(account_field) < 18
        else None
    )
    values = {"name": name, "account": account_id}
    if not name or len(name) > MAX_TOKEN_NAME:
        return await _tokens_page(request, status=400, error=TOKEN_NAME_NEEDED, values=values)
    async with request.app.state.pool.acquire() as conn:
        owner = await accounts.account_by_id(conn, account_id) if account_id else None
        if owner is None:
            return await _tokens_page(request, status=400, error=UNKNOWN_ACCOUNT, values=values)
        token = await create_token(conn, owner["id"], name)
    return await _tokens_page(request, token=token)


@auth.require_admin
async def tokens_revoke(request: Request) -> Response:
    form = await request.form()
    token_hash = form.get("token")
    if isinstance(token_hash, str):
        async with request.app.state.pool.acquire() as conn:
            await token_rows.delete_token(conn, token_hash)
    return RedirectResponse("/admin/tokens?done=revoked", status_code=303)


routes = [
    Route("/api/v1/objects", list_objects, methods=["GET"]),
    Route("/api/v1/objects/{id:int}", get_object, methods=["GET"]),
    Route("/api/v1/objects/{id:int}", update_object, methods=["PUT"]),
    Route("/api/v1/objects/{id:int}", delete_object, methods=["DELETE"]),
    Route("/api/v1/initiatives", create_initiative, methods=["POST"]),
    Route("/api/v1/events", create_event, methods=["POST"]),
    Route("/admin/tokens", tokens_home, methods=["GET"]),
    Route("/admin/tokens", tokens_create, methods=["POST"]),
    Route("/admin/tokens/revoke", tokens_revoke, methods=["POST"]),
]
