"""The territory's profile, changed by administrators on the web (no CLI needed).

Name, summary, place, avatar and banner (uploaded, cleaned and cropped by
`server.publish.media`), website and contact (profile fields: `PropertyValue` attachments,
as Mastodon shows them), and whether follow requests wait for approval. Every saved change
goes through `set_and_announce`, which sends `Update` of the actor to every follower.
Every problem of the form is shown at once, beside its field, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from federation.validation import is_http_url
from federation.vocab import parse_decimal
from server.accounts import auth
from server.actors.territory import set_and_announce
from server.http.body import closing
from server.http.forms import text_field
from server.http.pages import editor_context
from server.http.requests import gettext_for
from server.http.responses import render
from server.i18n import N_
from server.publish import media
from server.settings import Settings
from server.store import actors as store

LIMITS = {"name": 100, "summary": 1000, "place_name": 200, "website": 2048, "contact": 200}
NAME_NEEDED = N_("Enter the territory's name.")
TOO_LONG = N_("%(limit)s characters at most.")
NOT_A_NUMBER = N_("Enter a number, such as 48.39.")
LATITUDE_RANGE = N_("A latitude lies between -90 and 90.")
LONGITUDE_RANGE = N_("A longitude lies between -180 and 180.")
BOTH_COORDINATES = N_("Enter both latitude and longitude, or neither.")
NOT_A_WEB_ADDRESS = N_("Enter a web address starting with https://.")
NO_TERRITORY = N_("This instance has no territory yet. Create it with: maillage territory set")
SAVED = N_("Profile saved. Followers' servers receive the new profile.")


@dataclass
class ProfileForm:
    """What the form held (to show again) and what is wrong, by field."""

    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def read_profile(form: FormData) -> tuple[ProfileForm, store.TerritoryFields | None]:
    """The form checked (pure, msgids as messages): the fields to set, or None with errors.
    Pictures are handled apart (they need the disk)."""
    values: dict[str, Any] = {
        name: text_field(form, name)
        for name in ("name", "summary", "place_name", "latitude", "longitude", "website",
                     "contact")
    }
    summary = form.get("summary")
    values["summary"] = summary.strip() if isinstance(summary, str) else ""
    values["manually_approves"] = bool(form.get("manually_approves"))
    values["relays"] = bool(form.get("relays"))
    checked = ProfileForm(values)
    if not values["name"]:
        checked.add("name", NAME_NEEDED)
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            checked.add(name, TOO_LONG)
    numbers: dict[str, float | None] = {}
    for name, bound, message in (("latitude", 90, LATITUDE_RANGE),
                                 ("longitude", 180, LONGITUDE_RANGE)):
        numbers[name] = None
        if values[name]:
            number = parse_decimal(values[name])
            if number is None:
                checked.add(name, NOT_A_NUMBER)
            elif not -bound <= number <= bound:
                checked.add(name, message)
            else:
                numbers[name] = number
    if bool(values["latitude"]) != bool(values["longitude"]):
        checked.add("longitude" if values["latitude"] else "latitude", BOTH_COORDINATES)
    if values["website"] and not is_http_url(values["website"]):
        checked.add("website", NOT_A_WEB_ADDRESS)
    if checked.errors:
        return checked, None
    return checked, store.TerritoryFields(
        name=values["name"], summary=values["summary"], place_name=values["place_name"],
        latitude=numbers["latitude"], longitude=numbers["longitude"],
        manually_approves=values["manually_approves"], website=values["website"],
        contact=values["contact"], relays=values["relays"],
    )


def _values_of(row: Any) -> dict[str, Any]:
    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return {
        "name": text(row["name"]), "summary": text(row["summary"]),
        "place_name": text(row["place_name"]), "latitude": text(row["latitude"]),
        "longitude": text(row["longitude"]), "website": text(row.get("website")),
        "contact": text(row.get("contact")), "manually_approves": row["manually_approves"],
        "relays": bool(row.get("relays")),
    }


async def _page(
    request: Request, territory: Any, checked: ProfileForm | None = None, status: int = 200,
    notice: str | None = None,
) -> Response:
    settings: Settings = request.app.state.settings
    errors = {
        name: [gettext_for(request, m) % {"limit": LIMITS.get(name, "")} for m in messages]
        for name, messages in (checked.errors if checked else {}).items()
    }
    response = render(
        request, "admin_territory.html", status_code=status, territory=territory,
        values=checked.values if checked else _values_of(territory), errors=errors,
        notice=notice,
        icon=media.media_url(settings, territory["icon_path"]) if territory["icon_path"]
        else "/static/territory.png",
        banner=media.media_url(settings, territory["banner_path"]) if territory["banner_path"]
        else "/static/banner.png",
        **await editor_context(request),
    )
    return response


async def _territory(request: Request) -> Any:
    async with request.app.state.pool.acquire() as conn:
        return await store.territory(conn)


@auth.require_admin
async def profile_form(request: Request) -> Response:
    territory = await _territory(request)
    if territory is None:
        return render(request, "error.html", status_code=404, status=404,
                      message=gettext_for(request, NO_TERRITORY))
    notice = gettext_for(request, SAVED) if request.query_params.get("done") else None
    return await _page(request, territory, notice=notice)


async def _picture(
    settings: Settings, form: FormData, name: str, size: tuple[int, int], checked: ProfileForm
) -> str | None:
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(media.MAX_IMAGE_BYTES + 1)
    try:
        return await media.store_fitted(settings, content, size)
    except media.ImageRefused as exc:
        checked.add(name, exc.message)
        return None


@closing
@auth.require_admin
async def profile_save(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    territory = await _territory(request)
    if territory is None:
        return render(request, "error.html", status_code=404, status=404,
                      message=gettext_for(request, NO_TERRITORY))
    form = await request.form()
    checked, fields = read_profile(form)
    icon = await _picture(settings, form, "icon", media.AVATAR_SIZE, checked)
    banner = await _picture(settings, form, "banner", media.BANNER_SIZE, checked)
    if fields is None or checked.errors:
        return await _page(request, territory, checked, status=400)
    fields = replace(fields, icon_path=icon, banner_path=banner)
    async with request.app.state.pool.acquire() as conn:
        await set_and_announce(conn, settings, territory["username"], fields)
    return RedirectResponse("/admin/territory?done=saved", status_code=303)


routes = [
    Route("/admin/territory", profile_form, methods=["GET"]),
    Route("/admin/territory", profile_save, methods=["POST"]),
]
