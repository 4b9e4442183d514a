"""Security headers on every response: a strict Content-Security-Policy, no framing, no
MIME sniffing, and a referrer that does not leak paths to other sites.

Pages have no script and load styles and images from this instance (images of followed
territories may come from anywhere over https), so the policy can be strict. Framing is
denied everywhere but on the paths `SecurityHeaders.frameable` lets through (the `/embed`
agenda), so the admin's one-button forms cannot be clickjacked. A header a route set
itself (the sandboxed `/media` policy, the invitation page's `no-referrer`) is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class SecurityHeaders:
    """What to send; `frameable` are path patterns other sites may frame."""

    image_sources: str = "'self' https: data:"
    frameable: tuple[re.Pattern[str], ...] = ()

    def for_path(self, path: str) -> dict[str, str]:
        framed = any(pattern.fullmatch(path) for pattern in self.frameable)
        ancestors = "*" if framed else "'none'"
        policy = (
            "default-src 'none'; script-src 'none'; style-src 'self'; "
            f"img-src {self.image_sources}; font-src 'self'; form-action 'self'; "
            f"base-uri 'none'; frame-ancestors {ancestors}"
        )
        headers = {
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
        }
        if not framed:
            headers["X-Frame-Options"] = "DENY"
        return headers


EMBEDDABLE = (re.compile(r"/embed"),)
"""The compact agenda collectives put in an `<iframe>` on their own sites."""


def headers_for(dev: bool) -> SecurityHeaders:
    """The instance's headers; in development, remote images may come over plain http."""
    sources = "'self' https: http: data:" if dev else "'self' https: data:"
    return SecurityHeaders(image_sources=sources, frameable=EMBEDDABLE)


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers to `http.response.start`, keeping any the route set."""

    def __init__(self, app: ASGIApp, headers: SecurityHeaders) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self.headers.for_path(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_own_scripts(request: Request, response: Response) -> Response:
    """A page that runs our static scripts (maps, the editor's address search) and fetches
    from this origin: the instance's policy with `script-src` and `connect-src` opened to
    'self' only. Inline scripts stay refused."""
    policy = headers_for(request.app.state.settings.dev).for_path(request.url.path)
    response.headers["Content-Security-Policy"] = policy["Content-Security-Policy"].replace(
        "script-src 'none'", "script-src 'self'; connect-src 'self'"
    )
    return response
