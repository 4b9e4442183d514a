"""The editors' pages: publish, change and delete the territory's initiatives and events,
the images they upload, and the invitation links that bring in new editors.

Editors and administrators both reach `/edit`; every change is a POST form carrying the
session's CSRF token (`auth.require_editor`). The object service
(`server.publish.objects`) validates and publishes; its `InputError` messages are shown beside
the form (400) with the input kept.
Uploaded images are checked by their first bytes, never by the name or type the browser sends,
and stored as `<uuid>.<ext>` under `data_dir/media`.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from babel.dates import format_datetime
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from federation.themes import THEMES
from server.accounts import auth
from server.accounts.passwords import hash_password
from server.context import Context
from server.http.i18n import translations
from server.http.responses import N_, error_response, render, request_locale
from server.publish import objects
from server.settings import Settings

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_FORM_BYTES = MAX_IMAGE_BYTES + 1024 * 1024
"""A whole editor form: the image and room for the text fields."""
MEDIA_NAME_RE = re.compile(r"^[0-9a-f-]{36}\.(png|jpg|webp|gif)$")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
DEFAULT_TIMEZONE = "Europe/Paris"
INVITATION_LIFETIME = timedelta(days=7)
INVITE_CSRF_COOKIE = "maillage_invite_csrf"
MIN_PASSWORD = 10
KINDS = {"initiatives": "initiative", "events": "event"}
STAGES = ("idea", "running", "finished")
STATUSES = ("confirmed", "tentative", "cancelled")
ROLES = ("editor", "admin")
TIMEZONES = (
    "Europe/Paris",
    "America/Cayenne",
    "America/Guadeloupe",
    "America/Martinique",
    "America/Miquelon",
    "Indian/Mayotte",
    "Indian/Reunion",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Wallis",
)

NOTICES = {
    "created": N_("Published. Followers of the territory receive it."),
    "updated": N_("Changes published."),
    "deleted": N_("Deleted. Followers of the territory are told."),
    "invitation-deleted": N_("Invitation withdrawn."),
}
NOT_AN_IMAGE = N_("This file is not a PNG, JPEG, WebP or GIF image.")
IMAGE_TOO_LARGE = N_("The image is too large (5 MB at most).")
IMAGE_NEEDS_ALT = N_("Describe the image in a few words for people who cannot see it.")
NOT_A_NUMBER = N_("Enter a number, such as 48.39.")
FORM_TOO_LARGE = N_("The form is too large (an image of 5 MB at most).")
NO_SUCH_OBJECT = N_("No initiative or event of this territory has that number.")
BAD_ROLE = N_("Choose the role: editor or administrator.")
BAD_EMAIL = N_("Enter an email address.")
SHORT_PASSWORD = N_("The password needs at least 10 characters.")
PASSWORDS_DIFFER = N_("The two passwords differ.")
EMAIL_TAKEN = N_("An account already uses this email address.")
INVITATION_UNKNOWN = N_("This invitation link is not valid. Check that it was copied whole.")
INVITATION_GONE = N_(
    "This invitation has already been used or has expired. Ask an administrator for a new one."
)

LOCAL_INITIATIVES = """
SELECT iri, title FROM objects
WHERE local AND kind = 'initiative' AND deleted_at IS NULL
ORDER BY lower(title), id LIMIT 1000
"""
INSERT_INVITATION = """
INSERT INTO invitations (token_hash, role, created_by, expires_at)
VALUES ($1, $2, $3, now() + $4::interval)
RETURNING expires_at
"""
LIST_INVITATIONS = """
SELECT i.token_hash, i.role, i.created_at, i.expires_at, i.used_at,
       i.expires_at <= now() AS expired, a.email AS created_by
FROM invitations i LEFT JOIN accounts a ON a.id = i.created_by
ORDER BY i.created_at DESC LIMIT 100
"""
DELETE_INVITATION = "DELETE FROM invitations WHERE token_hash = $1 AND used_at IS NULL"
INVITATION = """
SELECT role, used_at IS NULL AND expires_at > now() AS usable
FROM invitations WHERE token_hash = $1
"""
INVITATION_FOR_UPDATE = INVITATION + " FOR UPDATE"
USE_INVITATION = "UPDATE invitations SET used_at = now() WHERE token_hash = $1"
INSERT_ACCOUNT = """
INSERT INTO accounts (email, password_hash, role) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING id
"""

Endpoint = Callable[[Request], Awaitable[Response]]


def _gettext(request: Request, message: str) -> str:
    return translations(request_locale(request)).gettext(message)


def _ctx(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def limit_body(limit: int) -> Callable[[Endpoint], Endpoint]:
    """Refuse (413) a request that announces a body over `limit`, before it is read."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                return error_response(request, 413, FORM_TOO_LARGE)
            return await endpoint(request)

        return guarded

    return decorate


def closing(endpoint: Endpoint) -> Endpoint:
    """Close the parsed form afterwards: uploaded files live in temporary files."""

    @wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        finally:
            await request.close()

    return wrapped


# ----------------------------------------------------------------------------------- themes


def theme_choices(locale: str) -> list[tuple[str, str]]:
    """(id, label) of the shared themes, for the checkboxes."""
    return [(theme.id, theme.label(locale)) for theme in THEMES]


# ------------------------------------------------------------------------------------ images


def image_extension(head: bytes) -> str | None:
    """The file's type from its magic bytes: png, jpg, webp, gif, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def media_dir(settings: Settings) -> Path:
    return settings.data_dir / "media"


def media_url(settings: Settings, name: str) -> str:
    return f"{settings.base_url}/media/{name}"


def _media_name_of(settings: Settings, url: str) -> str | None:
    """The file name when `url` is one of this instance's uploaded images."""
    prefix = f"{settings.base_url}/media/"
    if url.startswith(prefix) and MEDIA_NAME_RE.match(url[len(prefix) :]):
        return url[len(prefix) :]
    return None


def image_input(settings: Settings, url: str, alt: str) -> dict[str, str]:
    """The input model's `image`: its URL and, for an upload of ours, its `path` in the
    media folder."""
    image = {"url": url, "alt": alt}
    name = _media_name_of(settings, url)
    if name is not None:
        image["path"] = name
    return image


def image_url_of(settings: Settings, data: dict[str, Any] | None) -> str | None:
    """The URL of an object's image, from its stored input (`url`, or `path` of an upload)."""
    image = (data or {}).get("image") or {}
    if isinstance(image.get("url"), str):
        return str(image["url"])
    if isinstance(image.get("path"), str) and MEDIA_NAME_RE.match(image["path"]):
        return media_url(settings, image["path"])
    return None


def _write_new(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(content)


async def store_image(settings: Settings, content: bytes, extension: str) -> str:
    """Save an uploaded image; return its file name."""
    name = f"{uuid.uuid4()}.{extension}"
    await asyncio.to_thread(_write_new, media_dir(settings) / name, content)
    return name


async def _read_upload(upload: UploadFile) -> tuple[bytes | None, str | None]:
    """(content, None), or (None, error msgid) for a file too large or not an image."""
    content = await upload.read(MAX_IMAGE_BYTES + 1)
    if len(content) > MAX_IMAGE_BYTES:
        return None, IMAGE_TOO_LARGE
    if image_extension(content[:16]) is None:
        return None, NOT_AN_IMAGE
    return content, None


async def media(request: Request) -> Response:
    name = request.path_params["name"]
    match = MEDIA_NAME_RE.match(name)
    settings: Settings = request.app.state.settings
    path = media_dir(settings) / name
    if match is None or not await asyncio.to_thread(path.is_file):
        return error_response(request, 404, N_("Not found."))
    response = FileResponse(path, media_type=MEDIA_TYPES[match.group(1)])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# ------------------------------------------------------------------------ form <-> input model


COMMON_FIELDS = (
    "title",
    "summary",
    "description",
    "themes",
    "place_name",
    "place_address",
    "latitude",
    "longitude",
    "image_alt",
    "image_keep",
)
KIND_FIELDS = {
    "initiative": ("website", "contact", "stage", "organisers"),
    "event": ("start", "end", "timezone", "status", "initiative"),
}
FIELD_ALIASES = {
    "place.name": "place_name",
    "place.address": "place_address",
    "place.latitude": "latitude",
    "place.longitude": "longitude",
    "place": "place_name",
    "image.url": "image",
    "image.alt": "image_alt",
}


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


def form_values(form: FormData, kind: str) -> dict[str, Any]:
    """What the user typed, to show again; themes as a list."""
    values: dict[str, Any] = {name: _text(form, name) for name in COMMON_FIELDS + KIND_FIELDS[kind]}
    description = form.get("description")
    values["description"] = description if isinstance(description, str) else ""
    themes = [t.strip() for t in form.getlist("themes") if isinstance(t, str) and t.strip()]
    if len(themes) == 1 and "," in themes[0]:
        themes = _split_list(themes[0])
    values["themes"] = themes
    values["image_remove"] = bool(form.get("image_remove"))
    return values


def values_from_input(
    kind: str, data: dict[str, Any] | None, image_url: str | None = None
) -> dict[str, Any]:
    """The form prefilled from what an editor entered last time (`objects.input`)."""
    data = data or {}
    place = data.get("place") or {}
    image = data.get("image") or {}

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    values: dict[str, Any] = {
        "title": text(data.get("title")),
        "summary": text(data.get("summary")),
        "description": text(data.get("description")),
        "themes": [str(t) for t in data.get("themes") or []],
        "place_name": text(place.get("name")),
        "place_address": text(place.get("address")),
        "latitude": text(place.get("latitude")),
        "longitude": text(place.get("longitude")),
        "image_alt": text(image.get("alt")),
        "image_keep": image_url or "",
        "image_remove": False,
    }
    if kind == "initiative":
        values.update(
            website=text(data.get("website")),
            contact=text(data.get("contact")),
            stage=text(data.get("stage")),
            organisers=", ".join(str(o) for o in data.get("organisers") or []),
        )
    else:
        values.update(
            start=text(data.get("start")),
            end=text(data.get("end")),
            timezone=text(data.get("timezone")) or DEFAULT_TIMEZONE,
            status=text(data.get("status")) or "confirmed",
            initiative=text(data.get("initiative")),
        )
    return values


def empty_values(kind: str) -> dict[str, Any]:
    return values_from_input(kind, {})


def input_from_values(kind: str, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The service's input model from the form's values (empty fields left out), and the
    fields whose value is not even of the right type (numbers)."""
    data: dict[str, Any] = {"title": values["title"]}
    for name in ("summary", "description"):
        if values[name].strip():
            data[name] = values[name]
    if values["themes"]:
        data["themes"] = list(values["themes"])
    bad: list[str] = []
    place: dict[str, Any] = {}
    for field, key in (("place_name", "name"), ("place_address", "address")):
        if values[field]:
            place[key] = values[field]
    for key in ("latitude", "longitude"):
        if values[key]:
            number = _number(values[key])
            if number is None:
                bad.append(key)
            else:
                place[key] = number
    if place:
        data["place"] = place
    if kind == "initiative":
        for name in ("website", "contact", "stage"):
            if values[name]:
                data[name] = values[name]
        organisers = _split_list(values["organisers"])
        if organisers:
            data["organisers"] = organisers
    else:
        for name in ("start", "end", "status", "initiative"):
            if values[name]:
                data[name] = values[name]
        data["timezone"] = values["timezone"] or DEFAULT_TIMEZONE
    return data, bad


def _field_of(message: str) -> str:
    field = message.split(":", 1)[0].strip() if ":" in message else ""
    field = re.sub(r"\[\d+\]$", "", field)
    return FIELD_ALIASES.get(field, field)


class FormErrors:
    """Messages for the top of the form, and the same by field to show beside each input."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.by_field: dict[str, list[str]] = {}

    def add(self, message: str, field: str | None = None) -> None:
        field = _field_of(message) if field is None else field
        self.messages.append(message)
        self.by_field.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.messages)


# -------------------------------------------------------------------------------- the pages


def local_time(value: datetime, zone: str | None, locale: str) -> str:
    """A date and time as read where it happens (the event's zone, else Paris)."""
    try:
        tzinfo = ZoneInfo(zone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tzinfo = ZoneInfo(DEFAULT_TIMEZONE)
    return str(format_datetime(value, "d MMMM y, HH:mm", tzinfo=tzinfo, locale=locale))


async def _editor_context(request: Request) -> dict[str, Any]:
    account = await auth.current_account(request)
    assert account is not None
    locale = request_locale(request)
    return {
        "account": account,
        "csrf": account["csrf_token"],
        "is_admin": account["role"] == "admin",
        "when": lambda value, zone=None: local_time(value, zone, locale),
    }


async def _form_page(
    request: Request,
    kind: str,
    values: dict[str, Any],
    *,
    object_row: asyncpg.Record | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    locale = request_locale(request)
    settings: Settings = request.app.state.settings
    initiatives: list[asyncpg.Record] = []
    if kind == "event":
        async with request.app.state.pool.acquire() as conn:
            initiatives = list(await conn.fetch(LOCAL_INITIATIVES))
    keep = values.get("image_keep") or ""
    action = (
        f"/edit/{object_row['id']}"
        if object_row is not None
        else f"/edit/{'initiatives' if kind == 'initiative' else 'events'}/new"
    )
    response = render(
        request,
        "editor_form.html",
        status_code=status,
        kind=kind,
        values=values,
        object=object_row,
        action=action,
        errors=errors or FormErrors(),
        themes=theme_choices(locale),
        initiatives=initiatives,
        stages=STAGES,
        statuses=STATUSES,
        timezones=TIMEZONES,
        current_image=keep if keep.startswith(("https://", "http://")) else None,
        own_image=_media_name_of(settings, keep) is not None,
        **await _editor_context(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def _collect(
    request: Request, kind: str, previous_image: str | None
) -> tuple[dict[str, Any], dict[str, Any], FormErrors]:
    """(values to show again, input for the service, errors). A valid uploaded image is
    stored at once and its URL kept in the form, so a second attempt needs no new upload."""
    settings: Settings = request.app.state.settings
    form = await request.form()
    values = form_values(form, kind)
    data, bad_numbers = input_from_values(kind, values)
    errors = FormErrors()
    for field in bad_numbers:
        errors.add(f"{field}: {_gettext(request, NOT_A_NUMBER)}", field)
    image_url: str | None = None
    upload = form.get("image")
    if isinstance(upload, UploadFile) and upload.filename:
        content, problem = await _read_upload(upload)
        if content is None:
            errors.add(f"image: {_gettext(request, problem or NOT_AN_IMAGE)}", "image")
        else:
            extension = image_extension(content[:16])
            assert extension is not None
            image_url = media_url(settings, await store_image(settings, content, extension))
    elif not values["image_remove"] and values["image_keep"]:
        keep = values["image_keep"]
        # only an image uploaded here, or the one the object already had, can be kept
        if _media_name_of(settings, keep) is not None or keep == previous_image:
            image_url = keep
    values["image_keep"] = image_url or ""
    values["image_remove"] = False
    if image_url is not None:
        if values["image_alt"]:
            data["image"] = image_input(settings, image_url, values["image_alt"])
        else:
            errors.add(f"image_alt: {_gettext(request, IMAGE_NEEDS_ALT)}", "image_alt")
    return values, data, errors


@auth.require_editor
async def edit_home(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        rows = await objects.list_local(conn, limit=200)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "editor_list.html",
        objects=rows,
        notice=_gettext(request, notice) if notice else None,
        **await _editor_context(request),
    )


def _kind_of(request: Request) -> str | None:
    return KINDS.get(request.path_params["kinds"])


@auth.require_editor
async def new_form(request: Request) -> Response:
    kind = _kind_of(request)
    if kind is None:
        return error_response(request, 404, N_("Not found."))
    return await _form_page(request, kind, empty_values(kind))


@limit_body(MAX_FORM_BYTES)
@closing
@auth.require_editor
async def create(request: Request) -> Response:
    kind = _kind_of(request)
    if kind is None:
        return error_response(request, 404, N_("Not found."))
    values, data, errors = await _collect(request, kind, None)
    if not errors:
        try:
            await objects.create_local(_ctx(request), kind, data)
        except objects.InputError as exc:
            for message in exc.messages:
                errors.add(_gettext(request, message))
    if errors:
        return await _form_page(request, kind, values, errors=errors, status=400)
    return RedirectResponse("/edit?done=created", status_code=303)


async def _local_object(request: Request) -> asyncpg.Record | None:
    async with request.app.state.pool.acquire() as conn:
        return await objects.get_local(conn, request.path_params["id"])


@auth.require_editor
async def edit_form(request: Request) -> Response:
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    settings: Settings = request.app.state.settings
    values = values_from_input(row["kind"], row["input"], image_url_of(settings, row["input"]))
    return await _form_page(request, row["kind"], values, object_row=row)


@limit_body(MAX_FORM_BYTES)
@closing
@auth.require_editor
async def update(request: Request) -> Response:
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    previous = image_url_of(request.app.state.settings, row["input"])
    values, data, errors = await _collect(request, row["kind"], previous)
    if not errors:
        try:
            await objects.update_local(_ctx(request), row["id"], data)
        except objects.InputError as exc:
            for message in exc.messages:
                errors.add(_gettext(request, message))
        except LookupError:
            return error_response(request, 404, NO_SUCH_OBJECT)
    if errors:
        return await _form_page(
            request, row["kind"], values, object_row=row, errors=errors, status=400
        )
    return RedirectResponse("/edit?done=updated", status_code=303)


@closing
@auth.require_editor
async def delete(request: Request) -> Response:
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    try:
        await objects.delete_local(_ctx(request), row["id"])
    except LookupError:
        return error_response(request, 404, NO_SUCH_OBJECT)
    return RedirectResponse("/edit?done=deleted", status_code=303)


# ------------------------------------------------------------------------------ invitations


def invitation_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/invite/{token}"


async def create_invitation(
    conn: asyncpg.Connection, role: str, created_by: int | None
) -> tuple[str, Any]:
    """A new invitation: (token for the link, never stored as is; expiry)."""
    token = secrets.token_urlsafe(32)
    expires_at = await conn.fetchval(
        INSERT_INVITATION, auth.hash_token(token), role, created_by, INVITATION_LIFETIME
    )
    return token, expires_at


async def _invitations_page(
    request: Request,
    *,
    status: int = 200,
    link: str | None = None,
    error: str | None = None,
    expires_at: Any = None,
) -> Response:
    context = await _editor_context(request)
    async with request.app.state.pool.acquire() as conn:
        invitations = list(await conn.fetch(LIST_INVITATIONS))
    notice = NOTICES.get(request.query_params.get("done", "")) if status == 200 else None
    return render(
        request,
        "editor_invitations.html",
        status_code=status,
        invitations=invitations,
        link=link,
        expires_at=expires_at,
        roles=ROLES,
        notice=_gettext(request, notice) if notice else None,
        error=_gettext(request, error) if error else None,
        **context,
    )


@auth.require_admin
async def invitations_home(request: Request) -> Response:
    return await _invitations_page(request)


@auth.require_admin
async def invitations_create(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    account = await auth.current_account(request)
    assert account is not None
    role = _text(await request.form(), "role")
    if role not in ROLES:
        return await _invitations_page(request, status=400, error=BAD_ROLE)
    async with request.app.state.pool.acquire() as conn:
        token, expires_at = await create_invitation(conn, role, account["id"])
    return await _invitations_page(
        request, link=invitation_link(settings, token), expires_at=expires_at
    )


@auth.require_admin
async def invitations_delete(request: Request) -> Response:
    token_hash = _text(await request.form(), "invitation")
    async with request.app.state.pool.acquire() as conn:
        await conn.execute(DELETE_INVITATION, token_hash)
    return RedirectResponse("/admin/invitations?done=invitation-deleted", status_code=303)


def _invite_page(
    request: Request,
    role: str,
    *,
    status: int = 200,
    errors: list[str] | None = None,
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
        errors=[_gettext(request, e) for e in errors or []],
        email=email,
        min_password=MIN_PASSWORD,
    )
    if fresh:
        auth.set_csrf_cookie(response, settings, token, INVITE_CSRF_COOKIE, "/invite")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def _invitation(request: Request, conn: asyncpg.Connection, query: str) -> Any:
    """The invitation row of the link, or an error page (404 unknown, 410 used or expired)."""
    token = request.path_params["token"]
    row = await conn.fetchrow(query, auth.hash_token(token)) if len(token) <= 100 else None
    if row is None:
        return error_response(request, 404, INVITATION_UNKNOWN)
    if not row["usable"]:
        return error_response(request, 410, INVITATION_GONE)
    return row


async def invite_form(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        row = await _invitation(request, conn, INVITATION)
    if isinstance(row, Response):
        return row
    return _invite_page(request, row["role"])


async def invite_accept(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        row = await _invitation(request, conn, INVITATION)
    if isinstance(row, Response):
        return row
    form = await auth.form_csrf_ok(request, request.cookies.get(INVITE_CSRF_COOKIE))
    if form is None:
        return auth.csrf_failure(request)
    email = _text(form, "email")
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    confirm = form.get("password_again")
    errors = []
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        errors.append(BAD_EMAIL)
    if len(password) < MIN_PASSWORD or len(password) > auth.MAX_PASSWORD:
        errors.append(SHORT_PASSWORD)
    elif confirm != password:
        errors.append(PASSWORDS_DIFFER)
    if errors:
        return _invite_page(request, row["role"], status=400, errors=errors, email=email)
    hashed = await asyncio.to_thread(hash_password, password)
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        row = await _invitation(request, conn, INVITATION_FOR_UPDATE)
        if isinstance(row, Response):
            return row
        account_id = await conn.fetchval(INSERT_ACCOUNT, email, hashed, row["role"])
        if account_id is None:
            return _invite_page(request, row["role"], status=400, errors=[EMAIL_TAKEN], email=email)
        await conn.execute(USE_INVITATION, auth.hash_token(request.path_params["token"]))
        previous = request.cookies.get(auth.SESSION_COOKIE)
        if previous:
            await conn.execute(auth.DELETE_SESSION, auth.hash_token(previous))
        session = await auth.open_session(conn, account_id)
    response = RedirectResponse("/edit", status_code=303)
    auth.set_session_cookie(response, settings, session)
    response.delete_cookie(INVITE_CSRF_COOKIE, path="/invite")
    return response


routes = [
    Route("/edit", edit_home, methods=["GET"]),
    Route("/edit/{kinds:str}/new", new_form, methods=["GET"]),
    Route("/edit/{kinds:str}/new", create, methods=["POST"]),
    Route("/edit/{id:int}", edit_form, methods=["GET"]),
    Route("/edit/{id:int}", update, methods=["POST"]),
    Route("/edit/{id:int}/delete", delete, methods=["POST"]),
    Route("/media/{name:str}", media, methods=["GET"]),
    Route("/admin/invitations", invitations_home, methods=["GET"]),
    Route("/admin/invitations", invitations_create, methods=["POST"]),
    Route("/admin/invitations/delete", invitations_delete, methods=["POST"]),
    Route("/invite/{token:str}", invite_form, methods=["GET"]),
    Route("/invite/{token:str}", invite_accept, methods=["POST"]),
]
