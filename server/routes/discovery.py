"""WebFinger, host-meta and NodeInfo: how the fediverse finds this instance's actors."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation import nodeinfo, webfinger
from server.actors.profiles import actor_urls
from server.settings import Settings
from server.store import actors as store
from server.version import VERSION

JRD_TYPE = "application/jrd+json; charset=utf-8"
CORS = {"Access-Control-Allow-Origin": "*"}


def _local_username(
    query: webfinger.AcctQuery | webfinger.UrlQuery | webfinger.OtherUri, settings: Settings
) -> str | None:
    """The local username a resource names, or None when it names nothing here."""
    if isinstance(query, webfinger.OtherUri):
        return None
    if isinstance(query, webfinger.AcctQuery):
        return query.username if query.domain == settings.domain else None
    parts = urlsplit(query.url)
    if parts.netloc.lower().rstrip(".") != settings.domain:
        return None
    path = parts.path.rstrip("/")
    if path == "/actor":
        return settings.domain.rsplit(":", 1)[0]
    for prefix in ("/actors/", "/@"):
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return path[len(prefix) :]
    return None


async def webfinger_view(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    try:
        query = webfinger.parse_resource(request.query_params.get("resource"))
    except webfinger.BadResource as exc:
        return JSONResponse({"error": str(exc)}, status_code=400, headers=CORS)
    username = _local_username(query, settings)
    row = None
    if username is not None:
        async with request.app.state.pool.acquire() as conn:
            row = await store.local_actor(conn, username)
    if row is None:
        return JSONResponse(
            {"error": "no account here matches this resource"}, status_code=404, headers=CORS
        )
    urls = actor_urls(row, settings)
    body = webfinger.jrd(
        username=row["username"],
        domain=settings.domain,
        actor_id=urls.id,
        profile_url=urls.url,
        aliases=[urls.id, urls.url],
    )
    body = webfinger.select_links(body, request.query_params.getlist("rel"))
    return JSONResponse(body, media_type=JRD_TYPE, headers=CORS)


async def host_meta(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return Response(
        webfinger.host_meta_xml(settings.base_url),
        media_type="application/xrd+xml; charset=utf-8",
        headers=CORS,
    )


async def host_meta_json(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return JSONResponse(webfinger.host_meta_json(settings.base_url), headers=CORS)


async def nodeinfo_discovery(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    return JSONResponse(
        nodeinfo.discovery(settings.base_url, f"{settings.base_url}/actor"), headers=CORS
    )


async def nodeinfo_document(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        territory = await store.territory(conn)
        territories = await store.count_territories(conn)
    if territory is None:
        name, description = f"Maillage {settings.domain}", ""
    else:
        name, description = territory["name"], territory["summary"]
    body = nodeinfo.document(
        version=VERSION,
        node_name=name,
        node_description=description,
        users=territories,
        local_posts=0,
    )
    profile = '"http://nodeinfo.diaspora.software/ns/schema/2.1#"'
    return JSONResponse(
        body, media_type=f"application/json; profile={profile}; charset=utf-8", headers=CORS
    )


routes = [
    Route("/.well-known/webfinger", webfinger_view),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/host-meta.json", host_meta_json),
    Route("/.well-known/nodeinfo", nodeinfo_discovery),
    Route("/nodeinfo/2.1", nodeinfo_document),
]
