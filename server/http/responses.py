"""Shared response helpers: AS2 JSON, JSON errors, HTML pages rendered per locale."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from federation.negotiation import wants_activity_json
from federation.validation import is_http_url
from server.i18n import LOCALES, format_day, negotiate, translations
from server.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "web" / "templates"
AS_CONTENT_TYPE = "application/activity+json; charset=utf-8"


def build_environments() -> dict[str, Environment]:
    """One Jinja2 environment per locale, each with its gettext catalog installed."""
    envs: dict[str, Environment] = {}
    for locale in LOCALES:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
        env.globals["day"] = partial(format_day, locale=locale)
        env.tests["http_url"] = is_http_url  # `{% if url is http_url %}`: no javascript: links
        envs[locale] = env
    return envs


class ActivityJSONResponse(Response):
    media_type = AS_CONTENT_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def request_locale(request: Request) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
    )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    locale = request_locale(request)
    settings: Settings = request.app.state.settings
    env: Environment = request.app.state.jinja[locale]
    context.setdefault("signed_in", getattr(request.state, "maillage_session", None))
    context.setdefault("current_path", request.url.path)
    html = env.get_template(template).render(locale=locale, domain=settings.domain, **context)
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie("lang", locale, max_age=365 * 86400, samesite="lax")
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    if context.get("signed_in") is not None:  # the bar carries the session's CSRF token
        response.headers["Cache-Control"] = "private, no-store"
    return response


def json_error(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status_code)


def error_response(request: Request, status_code: int, message: str) -> Response:
    """JSON for servers and scripts, a page in the reader's language for browsers."""
    accept = request.headers.get("accept", "")
    if "text/html" in accept and not wants_activity_json(accept):
        message = translations(request_locale(request)).gettext(message)
        return render(
            request, "error.html", status_code=status_code, status=status_code, message=message
        )
    return json_error(status_code, message)
