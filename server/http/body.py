"""Request bodies: a cap per route, counted as the bytes arrive, and reading one whole.

A declared `Content-Length` is not trusted alone: a chunked body has none, so
`BodyLimitMiddleware` wraps the ASGI `receive` and counts. It runs before any endpoint, so a
signed-out `POST /login` cannot make the form parser spool a gigabyte to disk before its
CSRF check. The limit that applies is chosen by path (`BodyLimits.limit_for`, pure).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import Rejected
from server.i18n import N_

Endpoint = Callable[[Request], Awaitable[Response]]
BODY_TOO_LARGE = N_("The request is too large.")
FORM_TOO_LARGE = N_("The form is too large (an image of 5 MB at most).")

KB = 1024
MB = 1024 * KB
MAX_FORM_BYTES = 6 * MB
"""A whole editor form: one image of 5 MB (`server.publish.media`) and room for the text."""


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its route's cap; the app's HTTP error
    handler answers 413 (a page for browsers, JSON otherwise)."""

    def __init__(self, cap: Cap) -> None:
        super().__init__(413, cap.message)
        self.limit = cap.limit


@dataclass(frozen=True)
class Cap:
    """At most `limit` bytes on the paths `pattern` matches, and what a refusal says."""

    pattern: re.Pattern[str]
    limit: int
    message: str = BODY_TOO_LARGE


@dataclass(frozen=True)
class BodyLimits:
    """Caps by path: the first rule whose pattern matches the path applies, else `default`
    (forms without a file, such as the admin's or the invitation's, need a few kilobytes)."""

    rules: tuple[Cap, ...]
    default: Cap = Cap(re.compile(".*"), 64 * KB)

    def cap_for(self, path: str) -> Cap:
        for cap in self.rules:
            if cap.pattern.fullmatch(path):
                return cap
        return self.default


def default_limits(activity_bytes: int) -> BodyLimits:
    """The instance's caps: activities (inbox, JSON API) by the setting, the editor's forms
    big enough for one image, the signed-out login form small."""
    return BodyLimits(
        rules=(
            Cap(re.compile(r"/(actor/|actors/[^/]+/)?inbox"), activity_bytes),
            Cap(re.compile(r"/api/.*"), activity_bytes),
            Cap(re.compile(r"/edit/.*"), MAX_FORM_BYTES, FORM_TOO_LARGE),
            Cap(re.compile(r"/admin/territory"), 2 * MAX_FORM_BYTES, FORM_TOO_LARGE),
            Cap(re.compile(r"/login"), 16 * KB),
        ),
    )


def _declared_length(scope: Scope) -> int | None:
    """The `Content-Length` header; -1 when it is not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else -1
    return None


class BodyLimitMiddleware:
    """Pure ASGI: the wrapped `receive` refuses a declared length over the cap at the first
    read, and counts the chunks that arrive otherwise."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.limits.cap_for(scope["path"])
        declared = _declared_length(scope)
        received = 0

        async def counted() -> Message:
            nonlocal received
            if declared is not None and (declared < 0 or declared > cap.limit):
                raise BodyTooLarge(cap)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.limit:
                    raise BodyTooLarge(cap)
            return message

        await self.app(scope, counted, send)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused (413) past `limit` bytes even when no length was declared."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Rejected(413, f"body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Rejected(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise Rejected(400, "client disconnected") from exc
    except BodyTooLarge as exc:
        raise Rejected(413, f"body larger than {exc.limit} bytes") from exc
    return b"".join(chunks)


def closing(endpoint: Endpoint) -> Endpoint:
    """Close the parsed form afterwards: uploaded files live in temporary files."""

    @wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        finally:
            await request.close()

    return wrapped
