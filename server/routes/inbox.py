"""The inbox endpoints: read the body within its cap, hand it to `server.receive.inbox`,
answer 202 or the refusal's status."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.errors import Rejected
from server.http.body import read_body
from server.receive.inbox import Receiver, receive

log = logging.getLogger(__name__)


async def inbox_view(request: Request) -> Response:
    state = request.app.state
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        body = await read_body(request, state.settings.max_body_bytes)
        await receive(
            Receiver(state.settings, state.pool, state.keys, state.blocks),
            request.method, target, request.headers, body,
        )
    except Rejected as exc:
        log.info("inbox refused %s: %s", request.headers.get("signature", "")[:80], exc)
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    return JSONResponse({"status": "accepted"}, status_code=202)


routes = [
    Route("/inbox", inbox_view, methods=["POST"]),
    Route("/actor/inbox", inbox_view, methods=["POST"]),
    Route("/actors/{slug}/inbox", inbox_view, methods=["POST"]),
]
