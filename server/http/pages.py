"""What the signed-in pages (editing, invitations) put in every template: the account, its
CSRF token, and dates as read where an event happens."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from starlette.requests import Request

from federation.vocab import DEFAULT_TIMEZONE
from server.accounts import auth
from server.http.responses import request_locale


def local_time(value: datetime, zone: str | None, locale: str) -> str:
    """A date and time as read where it happens (the event's zone, else Paris)."""
    try:
        tzinfo = ZoneInfo(zone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        tzinfo = ZoneInfo(DEFAULT_TIMEZONE)
    return str(format_datetime(value, "d MMMM y, HH:mm", tzinfo=tzinfo, locale=locale))


async def editor_context(request: Request) -> dict[str, Any]:
    """For a request that passed `auth.require_editor` (or `require_admin`)."""
    account = await auth.current_account(request)
    assert account is not None
    locale = request_locale(request)
    return {
        "account": account,
        "csrf": account["csrf_token"],
        "is_admin": account["role"] == "admin",
        "when": lambda value, zone=None: local_time(value, zone, locale),
    }


