"""Every response carries the security headers; nothing can be framed (issue 8, item 10)."""

from __future__ import annotations

import re

import httpx

from server.http.security import SecurityHeaders, headers_for
from tests.conftest import Instance
from tests.instance.test_admin import ADMIN_EMAIL, BROWSER, add_account, sign_in


def assert_guarded(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path}"
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, where
    assert "script-src 'none'" in policy and "default-src 'none'" in policy, where
    assert response.headers.get("x-frame-options") == "DENY", where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "strict-origin-when-cross-origin", where


async def test_pages_json_errors_and_static_files_all_send_the_headers(brest: Instance) -> None:
    html = {"Accept": BROWSER}
    responses = [
        await brest.client.get("/", headers=html),
        await brest.client.get("/@brest", headers=html),
        await brest.client.get("/login", headers=html),
        await brest.client.get("/admin", headers=html),  # a redirect to the login page
        await brest.client.get("/no/such/page", headers=html),
        await brest.client.get("/actors/brest", headers={"Accept": "application/activity+json"}),
        await brest.client.get("/.well-known/nodeinfo"),
        await brest.client.get("/static/maillage.css"),
        await brest.client.post("/inbox", content=b"{}"),
    ]
    for response in responses:
        assert_guarded(response)


async def test_the_admin_page_cannot_be_framed(brest: Instance) -> None:
    await add_account(brest, ADMIN_EMAIL, "admin")
    assert (await sign_in(brest)).status_code == 303
    page = await brest.client.get("/admin", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert_guarded(page)


async def test_a_crash_page_sends_the_headers_too(brest: Instance) -> None:
    await brest.sql("ALTER TABLE actors RENAME TO actors_gone")
    response = await brest.client.get("/actors/brest")
    assert response.status_code == 500
    assert_guarded(response)


async def test_a_route_keeps_a_stricter_header_it_set(brest: Instance) -> None:
    media = brest.settings.data_dir / "media"
    media.mkdir(parents=True)
    name = "0b6c6f5e-4d8a-4c3e-9a55-3a3b1f0e2d11.png"
    (media / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    served = await brest.client.get(f"/media/{name}")
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert served.headers["x-frame-options"] == "DENY"


def test_only_allow_listed_paths_may_be_framed() -> None:
    headers = SecurityHeaders(frameable=(re.compile(r"/embed/.+"),))
    embed = headers.for_path("/embed/brest")
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed
    page = headers.for_path("/admin")
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


def test_the_embed_agenda_alone_may_be_framed() -> None:
    instance = headers_for(dev=False)
    assert "X-Frame-Options" not in instance.for_path("/embed")
    for path in ("/embed/../admin", "/admin/embed", "/embedded", "/feed"):
        assert instance.for_path(path)["X-Frame-Options"] == "DENY", path
