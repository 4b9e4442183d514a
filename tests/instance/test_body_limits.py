"""Every request body is capped by route, counting bytes as they arrive (issue 8, item 11).

The bodies here are streamed without a `Content-Length` (chunked), as an attacker would send
them; the generator counts what the app actually pulled, which is what reaches the form
parser and its temporary files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from server.http.body import KB, MB, default_limits
from tests.conftest import Instance
from tests.instance.test_admin import BROWSER
from tests.instance.test_editor import sign_in_editor

CHUNK = 64 * KB


class Flood:
    """A multipart body with one file of `total` bytes, streamed chunk by chunk (a file
    part, which the form parser would spool to a temporary file)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'
        while self.pulled < self.total:
            self.pulled += CHUNK
            yield b"a" * CHUNK


async def post_stream(
    instance: Instance, path: str, flood: Flood, content_type: str, **headers: str
) -> httpx.Response:
    return await instance.client.post(
        path,
        content=flood.__aiter__(),
        headers={"Content-Type": content_type, "Accept": BROWSER, **headers},
    )


async def test_a_signed_out_chunked_login_flood_is_cut_off_before_the_form_is_parsed(
    brest: Instance,
) -> None:
    flood = Flood(200 * MB)
    response = await post_stream(brest, "/login", flood, "multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert "La requête est trop lourde." in response.text
    assert flood.pulled <= 16 * KB + CHUNK  # the login cap, give or take one chunk


async def test_a_declared_length_over_the_cap_is_refused_unread(brest: Instance) -> None:
    flood = Flood(MB)
    response = await post_stream(
        brest, "/login", flood, "application/x-www-form-urlencoded",
        **{"Content-Length": str(10 * MB)},
    )
    assert response.status_code == 413
    assert flood.pulled == 0


async def test_every_route_family_has_its_own_cap(brest: Instance) -> None:
    limits = default_limits(brest.settings.max_body_bytes)
    assert limits.cap_for("/login").limit == 16 * KB
    assert limits.cap_for("/admin/blocks").limit == 64 * KB
    assert limits.cap_for("/invite/abc").limit == 64 * KB
    assert limits.cap_for("/edit/initiatives/new").limit == 6 * MB
    for inbox in ("/inbox", "/actor/inbox", "/actors/brest/inbox", "/api/v1/events"):
        assert limits.cap_for(inbox).limit == brest.settings.max_body_bytes, inbox


async def test_a_chunked_inbox_post_over_the_cap_is_a_413(brest: Instance) -> None:
    flood = Flood(10 * MB)
    response = await post_stream(brest, "/inbox", flood, "application/activity+json")
    assert response.status_code == 413
    assert flood.pulled <= brest.settings.max_body_bytes + CHUNK
    assert await brest.sql("SELECT * FROM inbox_log") == []


async def test_an_editor_form_over_6_mb_is_cut_off_with_the_form_message(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    flood = Flood(50 * MB)
    response = await post_stream(
        brest, "/edit/initiatives/new", flood, "multipart/form-data; boundary=x"
    )
    assert response.status_code == 413
    assert "Le formulaire est trop lourd (une image de 5 Mo au plus)." in response.text
    assert flood.pulled <= 6 * MB + CHUNK
    assert await brest.sql("SELECT * FROM objects") == []
