"""Validation problems worded for people: the field's label and what to do, in their language.

`federation.validation` reports an `Issue` (a field path, a stable code, a limit); this module
turns one into a sentence such as « Le titre est obligatoire. », filed under the form input it
belongs to. Pure: the caller passes the `gettext` of the page's language. Messages never show
internal names (`place.longitude`, `timezone`), only the labels the form shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from federation.validation import Issue
from server.i18n import N_

Gettext = Callable[[str], str]

FIELD_OF_PATH = {
    "place.name": "place_name",
    "place.address": "place_address",
    "place.latitude": "latitude",
    "place.longitude": "longitude",
    "place": "place_name",
    "image.url": "image",
    "image.alt": "image_alt",
    "image": "image",
}
"""Issue paths of the input model → the form's input names."""

LABELS = {
    "title": N_("Title"),
    "summary": N_("Summary"),
    "description": N_("Description"),
    "themes": N_("Themes"),
    "place_name": N_("Name of the place"),
    "place_address": N_("Address"),
    "latitude": N_("Latitude"),
    "longitude": N_("Longitude"),
    "image": N_("Image file"),
    "image_alt": N_("Description of the image"),
    "website": N_("Website"),
    "contact": N_("Contact"),
    "stage": N_("Stage"),
    "organisers": N_("Organisers"),
    "start": N_("Start"),
    "end": N_("End"),
    "timezone": N_("Time zone"),
    "status": N_("Status"),
    "initiative": N_("Initiative (optional)"),
    "online_url": N_("Link to join online"),
    "recurrence": N_("Repeat"),
    "occurrences": N_("Number of dates"),
    "external_id": N_("External identifier"),
    "kind": N_("Kind"),
    "all_day": N_("All day"),
    "place": N_("Place"),
}
HISTORY_LABELS = {"image": N_("Image"), "place": N_("Place")}
"""The history names input fields, where `image` is the picture, not the file input."""

SPECIFIC = {
    ("title", "missing"): N_("Enter a title."),
    ("title", "empty"): N_("Enter a title."),
    ("start", "missing"): N_("Enter the date and time the event starts."),
    ("start", "format"): N_("Enter a date and time, such as 12/12/2026 19:00."),
    ("start", "invalid"): N_("Enter a date and time, such as 12/12/2026 19:00."),
    ("end", "format"): N_("Enter a date and time, such as 12/12/2026 21:00."),
    ("end", "invalid"): N_("Enter a date and time, such as 12/12/2026 21:00."),
    ("end", "before_start"): N_("The end comes before the start: check both dates."),
    ("timezone", "invalid"): N_("Choose a time zone from the list."),
    ("timezone", "unknown_zone"): N_("Choose a time zone from the list."),
    ("timezone", "format"): N_("Choose a time zone from the list."),
    ("latitude", "missing"): N_("Enter the latitude too, or leave both coordinates empty."),
    ("longitude", "missing"): N_("Enter the longitude too, or leave both coordinates empty."),
    ("latitude", "too_large"): N_("A latitude lies between -90 and 90."),
    ("latitude", "too_small"): N_("A latitude lies between -90 and 90."),
    ("longitude", "too_large"): N_("A longitude lies between -180 and 180."),
    ("longitude", "too_small"): N_("A longitude lies between -180 and 180."),
    ("place_name", "missing"): N_("Give the place a name (the address alone is not enough)."),
    ("place_name", "empty"): N_("Give the place a name (the address alone is not enough)."),
    ("website", "format"): N_("Enter a web address starting with https://."),
    ("online_url", "format"): N_("Enter a web address starting with https://."),
    ("initiative", "format"): N_("Choose an initiative from the list."),
    ("image", "invalid"): N_("The image address must start with https://."),
    ("image_alt", "missing"): N_(
        "Describe the image in a few words for people who cannot see it."
    ),
    ("image_alt", "empty"): N_("Describe the image in a few words for people who cannot see it."),
    ("start", "out_of_range"): N_("Choose a date between 1970 and 2200."),
    ("end", "out_of_range"): N_("Choose a date between 1970 and 2200."),
}

GENERIC = {
    "missing": N_("“%(field)s” is required."),
    "empty": N_("“%(field)s” is required."),
    "too_long": N_("“%(field)s” is too long: %(limit)s characters at most."),
    "too_short": N_("“%(field)s” is too short: %(limit)s characters at least."),
    "too_large": N_("“%(field)s” is too large: %(limit)s at most."),
    "too_small": N_("“%(field)s” is too small: %(limit)s at least."),
    "too_many": N_("“%(field)s”: %(limit)s at most."),
    "too_few": N_("“%(field)s”: %(limit)s at least."),
    "duplicate": N_("“%(field)s” lists the same value twice."),
    "not_allowed": N_("“%(field)s”: choose one of the values offered."),
    "type": N_("“%(field)s” does not have the expected form."),
    "format": N_("“%(field)s” does not have the expected form."),
    "invalid": N_("“%(field)s” does not have the expected form."),
}
FALLBACK = N_("“%(field)s” is not valid.")
WHOLE_FORM = N_("The form could not be read; try again.")


def field_of(path: str) -> str:
    """The form input an issue path belongs to: `themes[2]` → `themes`."""
    path = re.sub(r"\[\d+\]$", "", path)
    if path in FIELD_OF_PATH:
        return FIELD_OF_PATH[path]
    if path.startswith("place.address"):
        return "place_address"
    if path.startswith("image."):
        return "image"
    return path


def field_label(name: str, gettext: Gettext) -> str:
    """The label of an input field, for the history of changes."""
    label = HISTORY_LABELS.get(name) or LABELS.get(name)
    return gettext(label) if label else name


def describe(issue: Issue, gettext: Gettext) -> tuple[str, str]:
    """(form field, message in the reader's language) for one validation issue."""
    field = field_of(issue.path)
    specific = SPECIFIC.get((field, issue.code))
    if specific is not None:
        return field, gettext(specific)
    label = LABELS.get(field)
    if label is None:
        return field, gettext(WHOLE_FORM)
    template = GENERIC.get(issue.code, FALLBACK)
    limit = issue.limit if isinstance(issue.limit, int | float) else ""
    return field, gettext(template) % {"field": gettext(label), "limit": limit}
