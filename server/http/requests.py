"""What every endpoint reads from a request: the shared context, and messages in the
reader's language. One home, so route modules do not each keep a copy."""

from __future__ import annotations

from starlette.requests import Request

from server.context import Context
from server.http.responses import request_locale
from server.i18n import translations


def ctx_of(request: Request) -> Context:
    """The process's settings, pool and HTTP client, made in the app's lifespan."""
    ctx: Context = request.app.state.ctx
    return ctx


def gettext_for(request: Request, message: str) -> str:
    """`message` (a msgid marked with `N_`) in the language the page is rendered in."""
    return translations(request_locale(request)).gettext(message)
