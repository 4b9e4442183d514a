"""Who is signed in, known to every page: the navigation bar is on the reader's pages too.

A pure ASGI middleware looks the session up once (only when the request carries the session
cookie) and leaves it where `auth.current_session` caches it; `render` hands it to every
template as `signed_in`. Requests without the cookie (servers, most readers) cost nothing.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from server.accounts import auth

FILES = ("/static/", "/vendor/", "/media/")
"""Files need no account: no lookup for them."""


class SignedInMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("method") in ("GET", "HEAD", "POST")
            and not scope["path"].startswith(FILES)
        ):
            request = Request(scope)
            if request.cookies.get(auth.SESSION_COOKIE):
                await auth.current_session(request)
        await self.app(scope, receive, send)


def signed_in(request: Request) -> object | None:
    """The session looked up for this request (columns id, email, role, csrf_token)."""
    return getattr(request.state, "maillage_session", None)
