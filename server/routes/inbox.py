"""The inbox endpoints; receiving (checks, signature, storage) lives in `server.receive.inbox`."""

from __future__ import annotations

from starlette.routing import Route

from server.receive.inbox import inbox_view

routes = [
    Route("/inbox", inbox_view, methods=["POST"]),
    Route("/actor/inbox", inbox_view, methods=["POST"]),
    Route("/actors/{slug}/inbox", inbox_view, methods=["POST"]),
]
