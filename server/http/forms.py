"""The editor's form and the publishing service's input model, both ways, and the messages
shown beside each field.

Pure: what the form holds becomes the input model `server.publish.objects` validates (empty
fields left out), and a stored input becomes a prefilled form. Dates may be typed the French
way (`12/12/2026 19:00`); an all-day event keeps only the days. `FormErrors` files messages
(worded by `server.http.wording`) under the form's input names, all of them in one round.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from federation.validation import Issue
from federation.vocab import DEFAULT_TIMEZONE
from federation.vocab import parse_decimal as _number
from server.http.wording import FIELD_OF_PATH, Gettext, describe
from server.i18n import N_
from server.importers.values import parse_datetime
from server.publish.series import FREQUENCIES

NOT_A_NUMBER = N_("Enter a number, such as 48.39.")
NOT_A_COUNT = N_("Enter how many dates, from 2 to 52.")

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
    "event": (
        "start", "end", "timezone", "status", "initiative", "online_url", "recurrence",
        "occurrences",
    ),
}
REQUIRED = {"initiative": ("title",), "event": ("title", "start")}
"""Marked as required on the form (the schemas decide)."""
FORM_ORDER = (
    "title", "summary", "description", "themes", "start", "end", "timezone", "recurrence",
    "occurrences", "place_name", "place_address", "latitude", "longitude", "online_url",
    "image", "image_alt", "website", "contact", "stage", "organisers", "status", "initiative",
)
"""Where each input sits on the page: the summary of errors follows it."""


def text_field(form: FormData, name: str) -> str:
    """A text input, stripped; "" when absent or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def form_values(form: FormData, kind: str) -> dict[str, Any]:
    """What the user typed, to show again; themes as a list."""
    names = COMMON_FIELDS + KIND_FIELDS[kind]
    values: dict[str, Any] = {name: text_field(form, name) for name in names}
    description = form.get("description")
    values["description"] = description if isinstance(description, str) else ""
    themes = [t.strip() for t in form.getlist("themes") if isinstance(t, str) and t.strip()]
    if len(themes) == 1 and "," in themes[0]:
        themes = _split_list(themes[0])
    values["themes"] = themes
    values["image_remove"] = bool(form.get("image_remove"))
    if kind == "event":
        values["all_day"] = bool(form.get("all_day"))
    return values


def values_from_input(
    kind: str, data: dict[str, Any] | None, image_url: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
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
        recurrence = data.get("recurrence") or {}
        values.update(
            start=text(data.get("start")),
            end=text(data.get("end")),
            timezone=text(data.get("timezone")) or timezone,
            status=text(data.get("status")) or "confirmed",
            initiative=text(data.get("initiative")),
            online_url=text(data.get("online_url")),
            all_day=bool(data.get("all_day")),
            recurrence=text(recurrence.get("frequency")),
            occurrences=text(recurrence.get("count")),
        )
    return values


def empty_values(kind: str, timezone: str = DEFAULT_TIMEZONE) -> dict[str, Any]:
    return values_from_input(kind, {}, timezone=timezone)


def _event_dates(values: dict[str, Any], data: dict[str, Any]) -> None:
    """Start and end as the service wants them; an all-day event runs from 00:00 on the
    first day to 23:59 on the last (the start's day when no end is given). A value that is
    no date is passed on as typed, for the service to refuse in words."""
    start = parse_datetime(values["start"]) if values["start"] else None
    end = parse_datetime(values["end"]) if values["end"] else None
    if values["start"]:
        data["start"] = start[0] if start else values["start"]
    if values["end"]:
        data["end"] = end[0] if end else values["end"]
    if values.get("all_day") and start:
        data["all_day"] = True
        data["start"] = start[0][:10] + "T00:00"
        last = end[0][:10] if end else start[0][:10]
        data["end"] = last + "T23:59"


def input_from_values(
    kind: str, values: dict[str, Any], timezone: str = DEFAULT_TIMEZONE
) -> tuple[dict[str, Any], list[str]]:
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
        for name in ("status", "initiative", "online_url"):
            if values[name]:
                data[name] = values[name]
        _event_dates(values, data)
        data["timezone"] = values["timezone"] or timezone
        if values["recurrence"] in FREQUENCIES:
            count = values["occurrences"]
            if count.isdigit() and 2 <= int(count) <= 52:
                data["recurrence"] = {"frequency": values["recurrence"], "count": int(count)}
            else:
                bad.append("occurrences")
    return data, bad


def _field_of(message: str) -> str:
    field = message.split(":", 1)[0].strip() if ":" in message else ""
    field = re.sub(r"\[\d+\]$", "", field)
    return FIELD_OF_PATH.get(field, field)


class FormErrors:
    """Messages for the top of the form, and the same by field to show beside each input.
    `fields` keeps the order fields first went wrong, for the summary's links."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.by_field: dict[str, list[str]] = {}
        self.items: list[tuple[str, str]] = []

    def add(self, message: str, field: str | None = None) -> None:
        field = _field_of(message) if field is None else field
        self.messages.append(message)
        self.items.append((field, message))
        self.by_field.setdefault(field, []).append(message)

    def in_form_order(self) -> None:
        """The summary in the order of the fields on the page (unknown ones last)."""
        rank = {name: index for index, name in enumerate(FORM_ORDER)}
        self.items.sort(key=lambda item: rank.get(item[0], len(rank)))
        self.messages = [message for _, message in self.items]

    def add_issues(self, issues: list[Issue], gettext: Gettext) -> None:
        """The service's issues, worded; a field already in error (a latitude that is not a
        number…) keeps its first message rather than a consequence of it."""
        taken = set(self.by_field)
        for issue in issues:
            field, message = describe(issue, gettext)
            if field in taken or message in self.by_field.get(field, []):
                continue
            self.add(message, field)

    def __bool__(self) -> bool:
        return bool(self.messages)
