"""The editors' pages: publish, change and delete the territory's initiatives and events.

Editors and administrators both reach `/edit`; every change is a POST form carrying the
session's CSRF token (`auth.require_editor`). The form maps to the service's input model in
`server.http.forms`; everything wrong with it (numbers, image, the schema's checks) is shown
at once, worded in the reader's language, beside each field (400) with the input kept. The
form's buttons publish, keep a draft (stored here only, never sent) or show a preview.
Deleting asks first. Uploaded images are cleaned and stored by `server.publish.media`.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from federation.objects import markdown_to_html
from federation.themes import THEMES
from federation.vocab import STAGES, STATUSES
from server.accounts import auth
from server.http.body import closing
from server.http.forms import (
    NOT_A_COUNT,
    NOT_A_NUMBER,
    REQUIRED,
    FormErrors,
    empty_values,
    form_values,
    input_from_values,
    values_from_input,
)
from server.http.pages import editor_context
from server.http.requests import ctx_of, gettext_for
from server.http.responses import error_response, render, request_locale
from server.http.security import with_own_scripts
from server.http.wording import field_label
from server.i18n import N_
from server.publish import geocoding, media, objects
from server.publish.series import FREQUENCIES
from server.settings import Settings
from server.store import drafts as drafts_table
from server.store import objects as objects_table

KINDS = {"initiatives": "initiative", "events": "event"}
TIMEZONES = (
    ("Europe/Paris", N_("Metropolitan France, Corsica (Paris)")),
    ("Indian/Reunion", N_("La Réunion")),
    ("Indian/Mayotte", N_("Mayotte")),
    ("America/Martinique", N_("Martinique")),
    ("America/Guadeloupe", N_("Guadeloupe, Saint-Martin, Saint-Barthélemy")),
    ("America/Cayenne", N_("French Guiana (Cayenne)")),
    ("America/Miquelon", N_("Saint-Pierre-et-Miquelon")),
    ("Pacific/Noumea", N_("New Caledonia (Nouméa)")),
    ("Pacific/Tahiti", N_("French Polynesia (Tahiti)")),
    ("Pacific/Wallis", N_("Wallis-et-Futuna")),
    ("Indian/Kerguelen", N_("French Southern Lands (Kerguelen)")),
    ("Europe/Brussels", N_("Belgium (Brussels)")),
    ("Europe/Zurich", N_("Switzerland (Zurich)")),
    ("America/Montreal", N_("Québec (Montréal)")),
    ("UTC", N_("Universal time (UTC)")),
)
FREQUENCY_LABELS = {
    "weekly": N_("Every week"),
    "biweekly": N_("Every other week"),
    "monthly": N_("Every month, on the same weekday (the 2nd Tuesday…)"),
}

NOTICES = {
    "created": N_("Published. Followers of the territory receive it."),
    "updated": N_("Changes published."),
    "deleted": N_("Deleted. Followers of the territory are told."),
    "drafted": N_("Draft saved. It is not published: nobody else sees it yet."),
    "draft-deleted": N_("Draft deleted."),
}
IMAGE_NEEDS_ALT = N_("Describe the image in a few words for people who cannot see it.")
NO_SUCH_OBJECT = N_("No initiative or event of this territory has that number.")
NO_SUCH_DRAFT = N_("There is no draft with that number.")
ACTIONS = ("publish", "draft", "preview", "locate")
DRAFT_BOUNDS = ("too_long", "too_many", "too_large", "too_small", "type")
"""The checks a draft must pass too: sizes, not completeness."""
ADDRESS_FOUND = N_("Address found: %(label)s. Check the position, then publish.")
ADDRESS_NOT_FOUND = N_("No address found: check it, or type the coordinates.")


def theme_choices(locale: str) -> list[tuple[str, str]]:
    """(id, label) of the shared themes, for the checkboxes."""
    return [(theme.id, theme.label(locale)) for theme in THEMES]


def _author(account: asyncpg.Record) -> objects.Author:
    return objects.Author(account["id"], account["email"])


async def _form_page(
    request: Request,
    kind: str,
    values: dict[str, Any],
    *,
    object_row: asyncpg.Record | None = None,
    draft_id: int | None = None,
    errors: FormErrors | None = None,
    preview: str | None = None,
    located: str | None = None,
    status: int = 200,
) -> Response:
    locale = request_locale(request)
    settings: Settings = request.app.state.settings
    initiatives: list[asyncpg.Record] = []
    history: list[asyncpg.Record] = []
    series: list[asyncpg.Record] = []
    async with request.app.state.pool.acquire() as conn:
        known_places = await objects_table.known_places(conn)
        if kind == "event":
            initiatives = await objects_table.local_initiatives(conn)
        if object_row is not None:
            history = await objects.history(conn, object_row["id"])
            series = await objects.series_of(conn, object_row)
    keep = values.get("image_keep") or ""
    if object_row is not None:
        action = f"/edit/{object_row['id']}"
    elif draft_id is not None:
        action = f"/edit/drafts/{draft_id}"
    else:
        action = f"/edit/{'initiatives' if kind == 'initiative' else 'events'}/new"
    response = render(
        request,
        "editor_form.html",
        status_code=status,
        kind=kind,
        values=values,
        object=object_row,
        draft_id=draft_id,
        action=action,
        errors=errors or FormErrors(),
        required=REQUIRED[kind],
        themes=theme_choices(locale),
        initiatives=initiatives,
        stages=STAGES,
        statuses=STATUSES,
        timezones=[(zone, gettext_for(request, label)) for zone, label in TIMEZONES],
        frequencies=[(f, gettext_for(request, FREQUENCY_LABELS[f])) for f in FREQUENCIES],
        current_image=keep if keep.startswith(("https://", "http://")) else None,
        own_image=media.media_name_of(settings, keep) is not None,
        preview=preview,
        located=located,
        map_tiles=settings.tile_url,
        map_attribution=settings.tile_attribution,
        history=history,
        series=series,
        known_places=known_places,
        field_label=lambda name: field_label(name, lambda m: gettext_for(request, m)),
        **await editor_context(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return with_own_scripts(request, response)


async def _collect(
    request: Request, kind: str, previous_image: str | None
) -> tuple[dict[str, Any], dict[str, Any], FormErrors, str]:
    """(values to show again, input for the service, errors, the button pressed). Every
    problem is found in this one pass: the form's own (numbers, image) and the service's
    checks. A valid uploaded image is stored at once and its URL kept in the form, so a
    second attempt needs no new upload."""
    settings: Settings = request.app.state.settings
    form = await request.form()
    action = form.get("intent")
    action = action if isinstance(action, str) and action in ACTIONS else "publish"
    values = form_values(form, kind)
    async with request.app.state.pool.acquire() as conn:
        fill_known_place(values, await objects_table.known_places(conn))
    data, bad_numbers = input_from_values(kind, values, settings.timezone)
    errors = FormErrors()
    for field in bad_numbers:
        message = NOT_A_COUNT if field == "occurrences" else NOT_A_NUMBER
        errors.add(gettext_for(request, message), field)
    image_url: str | None = None
    upload = form.get("image")
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(media.MAX_IMAGE_BYTES + 1)
        try:
            image_url = media.media_url(settings, await media.store_upload(settings, content))
        except media.ImageRefused as exc:
            errors.add(gettext_for(request, exc.message), "image")
    elif not values["image_remove"] and values["image_keep"]:
        keep = values["image_keep"]
        # only an image uploaded here, or the one the object already had, can be kept
        if media.media_name_of(settings, keep) is not None or keep == previous_image:
            image_url = keep
    values["image_keep"] = image_url or ""
    values["image_remove"] = False
    if image_url is not None:
        if values["image_alt"]:
            data["image"] = media.image_input(settings, image_url, values["image_alt"])
        else:
            errors.add(gettext_for(request, IMAGE_NEEDS_ALT), "image_alt")
    if action == "locate":
        errors = FormErrors()  # only the address matters until the editor publishes
    if action in ("publish", "draft"):
        try:
            objects.normalise_input(kind, data)
        except objects.InputError as exc:
            # a draft may be incomplete, not unbounded
            issues = exc.issues if action == "publish" else [
                issue for issue in exc.issues if issue.code in DRAFT_BOUNDS]
            errors.add_issues(issues, lambda m: gettext_for(request, m))
    errors.in_form_order()
    return values, data, errors, action


def fill_known_place(values: dict[str, Any], known: list[asyncpg.Record]) -> None:
    """A place picked again by its name brings its address and position, when the editor
    left them empty: reuse works without JavaScript too."""
    name = (values.get("place_name") or "").strip().lower()
    if not name or values.get("latitude") or values.get("longitude"):
        return
    for place in known:
        if place["place_name"].strip().lower() == name:
            if not values.get("place_address") and place["place_address"]:
                values["place_address"] = place["place_address"]
            if place["latitude"] is not None and place["longitude"] is not None:
                values["latitude"] = str(place["latitude"])
                values["longitude"] = str(place["longitude"])
            return


def _preview_html(values: dict[str, Any]) -> str:
    return markdown_to_html(values.get("description") or "")


async def _locate(request: Request, values: dict[str, Any], errors: FormErrors) -> str | None:
    """Without JavaScript, "Find the address" asks the geocoder for the typed address and
    fills the position; the first answer is the best one."""
    settings: Settings = request.app.state.settings
    found = await geocoding.search(
        ctx_of(request).http, settings.geocoder_url, values.get("place_address") or ""
    )
    if not found:
        errors.add(gettext_for(request, ADDRESS_NOT_FOUND), "place_address")
        return None
    best = found[0]
    values.update(place_address=best.label, latitude=str(best.latitude),
                  longitude=str(best.longitude))
    if not values.get("place_name"):
        values["place_name"] = best.name
    return gettext_for(request, ADDRESS_FOUND) % {"label": best.label}


async def _other_intent(
    request: Request, kind: str, values: dict[str, Any], errors: FormErrors, action: str,
    **where: Any,
) -> Response | None:
    """The page again for "Preview" and "Find the address" (nothing is saved)."""
    if action == "preview":
        return await _form_page(request, kind, values, errors=errors,
                                preview=_preview_html(values), **where)
    if action == "locate":
        located = await _locate(request, values, errors)
        return await _form_page(request, kind, values, errors=errors, located=located,
                                status=200 if located else 400, **where)
    return None


@auth.require_editor
async def geocode(request: Request) -> Response:
    """The address search behind the place field's suggestions (JSON, for editor.js)."""
    settings: Settings = request.app.state.settings
    query = request.query_params.get("q", "")
    found = await geocoding.search(ctx_of(request).http, settings.geocoder_url, query)
    return JSONResponse({"results": [address.as_json() for address in found]})


@auth.require_editor
async def edit_home(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        rows = await objects.list_local(conn, limit=200)
        drafts = await drafts_table.list_all(conn)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "editor_list.html",
        objects=rows,
        drafts=drafts,
        notice=gettext_for(request, notice) if notice else None,
        **await editor_context(request),
    )


@auth.require_editor
async def choose_new(request: Request) -> Response:
    """"Publish": an event, an initiative, or a file."""
    return render(request, "editor_new.html", **await editor_context(request))


def _kind_of(request: Request) -> str | None:
    return KINDS.get(request.path_params["kinds"])


@auth.require_editor
async def new_form(request: Request) -> Response:
    kind = _kind_of(request)
    if kind is None:
        return error_response(request, 404, N_("Not found."))
    settings: Settings = request.app.state.settings
    return await _form_page(request, kind, empty_values(kind, settings.timezone))


async def _save_draft(
    request: Request, draft_id: int | None, kind: str, data: dict[str, Any]
) -> Response:
    account = await auth.current_account(request)
    assert account is not None
    async with request.app.state.pool.acquire() as conn:
        await drafts_table.save(conn, draft_id, kind, data, account["id"])
    return RedirectResponse("/edit?done=drafted", status_code=303)


async def _publish_new(
    request: Request, kind: str, data: dict[str, Any], errors: FormErrors
) -> bool:
    account = await auth.current_account(request)
    assert account is not None
    try:
        await objects.create_local(ctx_of(request), kind, data, _author(account))
    except objects.InputError as exc:
        errors.add_issues(exc.issues, lambda m: gettext_for(request, m))
        return False
    return True


@closing
@auth.require_editor
async def create(request: Request) -> Response:
    kind = _kind_of(request)
    if kind is None:
        return error_response(request, 404, N_("Not found."))
    values, data, errors, action = await _collect(request, kind, None)
    if (other := await _other_intent(request, kind, values, errors, action)) is not None:
        return other
    if action == "draft" and not errors:
        return await _save_draft(request, None, kind, data)
    if not errors and await _publish_new(request, kind, data, errors):
        return RedirectResponse("/edit?done=created", status_code=303)
    return await _form_page(request, kind, values, errors=errors, status=400)


async def _draft(request: Request) -> asyncpg.Record | None:
    async with request.app.state.pool.acquire() as conn:
        return await drafts_table.get(conn, request.path_params["id"])


@auth.require_editor
async def draft_form(request: Request) -> Response:
    row = await _draft(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_DRAFT)
    settings: Settings = request.app.state.settings
    image_url = media.image_url_of(settings, row["input"])
    values = values_from_input(row["kind"], row["input"], image_url, settings.timezone)
    return await _form_page(request, row["kind"], values, draft_id=row["id"])


@closing
@auth.require_editor
async def draft_save(request: Request) -> Response:
    row = await _draft(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_DRAFT)
    settings: Settings = request.app.state.settings
    previous = media.image_url_of(settings, row["input"])
    values, data, errors, action = await _collect(request, row["kind"], previous)
    other = await _other_intent(request, row["kind"], values, errors, action,
                                draft_id=row["id"])
    if other is not None:
        return other
    if action == "draft" and not errors:
        return await _save_draft(request, row["id"], row["kind"], data)
    if not errors and await _publish_new(request, row["kind"], data, errors):
        async with request.app.state.pool.acquire() as conn:
            await drafts_table.remove(conn, row["id"])
        return RedirectResponse("/edit?done=created", status_code=303)
    return await _form_page(request, row["kind"], values, draft_id=row["id"], errors=errors,
                            status=400)


@closing
@auth.require_editor
async def draft_delete(request: Request) -> Response:
    row = await _draft(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_DRAFT)
    async with request.app.state.pool.acquire() as conn:
        await drafts_table.remove(conn, row["id"])
    return RedirectResponse("/edit?done=draft-deleted", status_code=303)


async def _local_object(request: Request) -> asyncpg.Record | None:
    async with request.app.state.pool.acquire() as conn:
        return await objects.get_local(conn, request.path_params["id"])


@auth.require_editor
async def edit_form(request: Request) -> Response:
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    settings: Settings = request.app.state.settings
    source = row
    async with request.app.state.pool.acquire() as conn:
        series = await objects.series_of(conn, row)
    if series:  # a series is edited from its first date
        source = series[0]
    image_url = media.image_url_of(settings, source["input"])
    values = values_from_input(row["kind"], source["input"], image_url, settings.timezone)
    return await _form_page(request, row["kind"], values, object_row=row)


@closing
@auth.require_editor
async def update(request: Request) -> Response:
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    previous = media.image_url_of(request.app.state.settings, row["input"])
    values, data, errors, action = await _collect(request, row["kind"], previous)
    other = await _other_intent(request, row["kind"], values, errors, action, object_row=row)
    if other is not None:
        return other
    if action == "draft" and not errors:  # a published item's changes become a new draft
        return await _save_draft(request, None, row["kind"], data)
    account = await auth.current_account(request)
    assert account is not None
    if not errors:
        try:
            await objects.update_local(ctx_of(request), row["id"], data, _author(account))
        except objects.InputError as exc:
            errors.add_issues(exc.issues, lambda m: gettext_for(request, m))
        except LookupError:
            return error_response(request, 404, NO_SUCH_OBJECT)
    if errors:
        return await _form_page(
            request, row["kind"], values, object_row=row, errors=errors, status=400
        )
    return RedirectResponse("/edit?done=updated", status_code=303)


@auth.require_editor
async def confirm_delete(request: Request) -> Response:
    """The question before deleting: deleting sends `Delete` to every follower, for good."""
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    async with request.app.state.pool.acquire() as conn:
        series = await objects.series_of(conn, row)
    return render(
        request, "editor_delete.html", object=row, series=series,
        **await editor_context(request),
    )


@closing
@auth.require_editor
async def delete(request: Request) -> Response:
    row = await _local_object(request)
    if row is None:
        return error_response(request, 404, NO_SUCH_OBJECT)
    account = await auth.current_account(request)
    assert account is not None
    form = await request.form()
    try:
        await objects.delete_local(
            ctx_of(request), row["id"], _author(account),
            whole_series=form.get("scope") == "series",
        )
    except LookupError:
        return error_response(request, 404, NO_SUCH_OBJECT)
    return RedirectResponse("/edit?done=deleted", status_code=303)


routes = [
    Route("/edit", edit_home, methods=["GET"]),
    Route("/edit/new", choose_new, methods=["GET"]),
    Route("/edit/geocode", geocode, methods=["GET"]),
    Route("/edit/drafts/{id:int}", draft_form, methods=["GET"]),
    Route("/edit/drafts/{id:int}", draft_save, methods=["POST"]),
    Route("/edit/drafts/{id:int}/delete", draft_delete, methods=["POST"]),
    Route("/edit/{kinds:str}/new", new_form, methods=["GET"]),
    Route("/edit/{kinds:str}/new", create, methods=["POST"]),
    Route("/edit/{id:int}", edit_form, methods=["GET"]),
    Route("/edit/{id:int}", update, methods=["POST"]),
    Route("/edit/{id:int}/delete", confirm_delete, methods=["GET"]),
    Route("/edit/{id:int}/delete", delete, methods=["POST"]),
]
