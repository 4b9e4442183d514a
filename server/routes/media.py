"""`/media/{name}`: the images editors uploaded, cleaned when stored (`server.publish.media`).

Served with a sandboxing policy of their own and cached for a year: a name is never reused.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from server.http.responses import error_response
from server.i18n import N_
from server.publish.media import media_path


async def media(request: Request) -> Response:
    found = media_path(request.app.state.settings, request.path_params["name"])
    if found is None or not await asyncio.to_thread(found[0].is_file):
        return error_response(request, 404, N_("Not found."))
    path, media_type = found
    response = FileResponse(path, media_type=media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


routes = [Route("/media/{name:str}", media, methods=["GET"])]
