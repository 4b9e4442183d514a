"""The editors' pages: publishing initiatives and events through the forms, images, invitations."""

from __future__ import annotations

import html
import io
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from server.accounts.auth import SESSION_COOKIE, hash_token
from tests.conftest import Instance
from tests.instance.test_admin import (
    ADMIN_EMAIL,
    BROWSER,
    PASSWORD,
    add_account,
    csrf_of,
    get,
    post,
    sign_in,
)

EDITOR_EMAIL = "redaction@brest.example"
MEDIA_URL_RE = re.compile(r"^http://brest\.example/media/([0-9a-f-]{36}\.png)$")


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1f\x6f\x5c")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def sign_in_editor(instance: Instance, role: str = "editor") -> None:
    email = EDITOR_EMAIL if role == "editor" else ADMIN_EMAIL
    await add_account(instance, email, role)
    response = await sign_in(instance, email=email)
    assert response.status_code == 303


async def post_form(
    instance: Instance,
    path: str,
    data: dict[str, Any],
    image: tuple[str, bytes, str] | None = None,
) -> httpx.Response:
    files = {"image": image} if image else {"image": ("", b"", "application/octet-stream")}
    return await instance.client.post(path, data=data, files=files, headers={"Accept": BROWSER})


INITIATIVE = {
    "title": "La Maison du vélo",
    "summary": "Un atelier d’autoréparation de vélos.",
    "description": "Ouvert **le samedi**.\n\n- outils\n- conseils",
    "themes": ["mobilite", "tiers-lieux"],
    "place_name": "Les Capucins",
    "place_address": "25 rue de Pontaniou, Brest",
    "latitude": "48,3833",
    "longitude": "-4.5",
    "website": "https://velo.example/",
    "contact": "atelier@velo.example",
    "stage": "running",
    "organisers": "Ana, Yann",
    "image_alt": "Un vélo rouge devant l’atelier",
}


async def create_initiative(instance: Instance, **changes: Any) -> httpx.Response:
    form = await get(instance, "/edit/initiatives/new")
    assert form.status_code == 200, form.text
    data = {**INITIATIVE, "csrf": csrf_of(form), **changes}
    return await post_form(
        instance, "/edit/initiatives/new", data, ("velo.png", tiny_png(), "image/png")
    )


async def only_object(instance: Instance, kind: str) -> Any:
    [row] = await instance.sql("SELECT * FROM objects WHERE kind = $1", kind)
    return row


async def test_an_editor_publishes_an_initiative_and_an_event_with_an_image(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    home = await get(brest, "/edit")
    assert home.status_code == 200
    assert "Rien n’est encore publié." in home.text
    assert home.headers["cache-control"] == "no-store"
    form = await get(brest, "/edit/initiatives/new")
    assert '<html lang="fr">' in form.text
    assert "Nouvelle initiative" in form.text
    assert 'type="checkbox" name="themes" value="tiers-lieux"' in form.text
    assert "Tiers-lieux" in form.text

    response = await create_initiative(brest)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/edit?done=created"
    initiative = await only_object(brest, "initiative")
    assert initiative["local"]
    assert initiative["title"] == "La Maison du vélo"
    assert initiative["themes"] == ["mobilite", "tiers-lieux"]
    assert initiative["latitude"] == 48.3833 and initiative["longitude"] == -4.5
    assert initiative["stage"] == "running"
    assert initiative["input"]["organisers"] == ["Ana", "Yann"]
    assert "<strong>le samedi</strong>" in initiative["content_html"]
    image = initiative["input"]["image"]
    assert image["alt"] == "Un vélo rouge devant l’atelier"
    match = MEDIA_URL_RE.match(image["url"])
    assert match, image
    stored = brest.settings.data_dir / "media" / match.group(1)
    assert stored.read_bytes() == tiny_png()

    served = await brest.client.get(f"/media/{match.group(1)}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == tiny_png()

    form = await get(brest, "/edit/events/new")
    assert "Nouvel événement" in form.text
    assert f'<option value="{initiative["iri"]}">La Maison du vélo</option>' in form.text
    assert 'value="Europe/Paris"' in form.text
    response = await post_form(
        brest,
        "/edit/events/new",
        {
            "csrf": csrf_of(form),
            "title": "Atelier de réparation",
            "summary": "Venez réparer votre vélo.",
            "themes": ["mobilite"],
            "start": "2026-12-05T14:00",
            "end": "2026-12-05T17:30",
            "timezone": "Europe/Paris",
            "status": "tentative",
            "initiative": initiative["iri"],
            "place_name": "Les Capucins",
            "image_alt": "",
        },
    )
    assert response.status_code == 303, response.text
    event = await only_object(brest, "event")
    assert event["start_time"] == datetime(2026, 12, 5, 13, 0, tzinfo=UTC)
    assert event["end_time"] == datetime(2026, 12, 5, 16, 30, tzinfo=UTC)
    assert event["status"] == "tentative"
    assert event["initiative_iri"] == initiative["iri"]
    assert event["image_url"] is None

    home = await get(brest, "/edit?done=created")
    assert "Publié." in home.text
    assert "La Maison du vélo" in home.text and "Atelier de réparation" in home.text
    assert f'href="/edit/{event["id"]}"' in home.text
    assert f'href="/edit/{initiative["id"]}/delete"' in home.text  # asks before deleting
    creates = await brest.sql("SELECT * FROM activities WHERE type = 'Create'")
    assert len(creates) == 2


async def test_editing_prefills_the_form_and_keeps_the_image(brest: Instance) -> None:
    await sign_in_editor(brest)
    assert (await create_initiative(brest)).status_code == 303
    initiative = await only_object(brest, "initiative")
    image_url = initiative["image_url"]
    form = await get(brest, f"/edit/{initiative['id']}")
    assert form.status_code == 200
    assert "Modifier « La Maison du vélo »" in form.text
    assert 'value="La Maison du vélo"' in form.text
    assert 'value="Ana, Yann"' in form.text
    assert 'value="mobilite" checked' in form.text
    assert '<option value="running" selected>' in form.text
    assert f'name="image_keep" value="{image_url}"' in form.text
    data = {
        **INITIATIVE,
        "csrf": csrf_of(form),
        "title": "La Maison du vélo solidaire",
        "stage": "finished",
        "image_keep": image_url,
    }
    response = await post_form(brest, f"/edit/{initiative['id']}", data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/edit?done=updated"
    updated = await only_object(brest, "initiative")
    assert updated["title"] == "La Maison du vélo solidaire"
    assert updated["stage"] == "finished"
    assert updated["image_url"] == image_url
    assert updated["iri"] == initiative["iri"]
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Update'")) == 1

    # removing the image
    form = await get(brest, f"/edit/{initiative['id']}")
    data.update(csrf=csrf_of(form), image_remove="1")
    assert (await post_form(brest, f"/edit/{initiative['id']}", data)).status_code == 303
    assert (await only_object(brest, "initiative"))["image_url"] is None
    # somebody else's URL cannot be slipped in as the "kept" image
    data.pop("image_remove")
    data["image_keep"] = "https://evil.example/tracker.png"
    assert (await post_form(brest, f"/edit/{initiative['id']}", data)).status_code == 303
    assert (await only_object(brest, "initiative"))["image_url"] is None


async def test_deleting_publishes_a_delete(brest: Instance) -> None:
    await sign_in_editor(brest)
    assert (await create_initiative(brest)).status_code == 303
    initiative = await only_object(brest, "initiative")
    csrf = csrf_of(await get(brest, "/edit"))
    response = await post(brest, f"/edit/{initiative['id']}/delete", {"csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/edit?done=deleted"
    row = await only_object(brest, "initiative")
    assert row["deleted_at"] is not None
    [delete] = await brest.sql("SELECT * FROM activities WHERE type = 'Delete'")
    home = await get(brest, response.headers["location"])
    assert "Supprimé." in home.text
    assert "La Maison du vélo" not in home.text
    again = await post(brest, f"/edit/{initiative['id']}/delete", {"csrf": csrf})
    assert again.status_code == 404
    assert (await get(brest, f"/edit/{initiative['id']}")).status_code == 404
    assert delete["type"] == "Delete"


async def test_a_missing_title_shows_the_message_and_keeps_the_input(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await create_initiative(brest, title="", summary="Gardé <tel quel>")
    assert response.status_code == 400
    page = response.text
    assert "Le formulaire n’a pas pu être enregistré" in page
    messages = re.findall(r'<strong class="field-error" id="error-title-1">([^<]*)</strong>', page)
    assert messages == ["Saisissez un titre."], page
    assert 'aria-invalid="true"' in page
    assert 'value="Gardé &lt;tel quel&gt;"' in page
    assert 'value="mobilite" checked' in page
    # the uploaded image was kept, so a second try does not need it again
    kept = re.search(r'name="image_keep" value="([^"]+)"', page)
    assert kept and MEDIA_URL_RE.match(kept.group(1))
    assert await brest.sql("SELECT * FROM objects") == []
    second = await post_form(
        brest,
        "/edit/initiatives/new",
        {**INITIATIVE, "csrf": csrf_of(response), "image_keep": kept.group(1)},
    )
    assert second.status_code == 303
    assert (await only_object(brest, "initiative"))["image_url"] == kept.group(1)


async def test_bad_numbers_and_a_bad_end_are_reported(brest: Instance) -> None:
    await sign_in_editor(brest)
    form = await get(brest, "/edit/events/new")
    response = await post_form(
        brest,
        "/edit/events/new",
        {
            "csrf": csrf_of(form),
            "title": "Fête",
            "start": "2026-12-05T14:00",
            "latitude": "nord",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 400
    assert "Saisissez un nombre, par exemple 48,39." in response.text
    assert 'value="nord"' in response.text
    response = await post_form(
        brest,
        "/edit/events/new",
        {
            "csrf": csrf_of(form),
            "title": "Fête",
            "start": "2026-12-05T14:00",
            "end": "2026-12-04T14:00",
            "timezone": "Europe/Paris",
        },
    )
    assert response.status_code == 400
    assert "La fin est avant le début" in response.text
    assert "end:" not in response.text  # no internal field names
    assert await brest.sql("SELECT * FROM objects") == []


async def test_posts_without_the_csrf_token_are_refused(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await post_form(brest, "/edit/initiatives/new", dict(INITIATIVE))
    assert response.status_code == 403
    assert "Ce formulaire a expiré" in response.text
    assert await brest.sql("SELECT * FROM objects") == []
    assert (await create_initiative(brest)).status_code == 303
    [row] = await brest.sql("SELECT id FROM objects")
    for path in (f"/edit/{row['id']}", f"/edit/{row['id']}/delete"):
        refused = await post_form(brest, path, {**INITIATIVE, "title": "Piraté", "csrf": "x"})
        assert refused.status_code == 403
    row = await only_object(brest, "initiative")
    assert row["title"] == "La Maison du vélo" and row["deleted_at"] is None


async def test_a_file_that_is_not_an_image_is_refused(brest: Instance) -> None:
    await sign_in_editor(brest)
    form = await get(brest, "/edit/initiatives/new")
    for name, content in [
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("page.png", b"<html><body>hello</body></html>"),
    ]:
        response = await post_form(
            brest,
            "/edit/initiatives/new",
            {**INITIATIVE, "csrf": csrf_of(form)},
            (name, content, "image/png"),
        )
        assert response.status_code == 400
        assert "Ce fichier n’est pas une image PNG, JPEG, WebP ou GIF." in response.text
        assert 'value="La Maison du vélo"' in response.text
    media = brest.settings.data_dir / "media"
    assert not media.exists() or list(media.iterdir()) == []
    assert await brest.sql("SELECT * FROM objects") == []


async def test_an_image_needs_its_description(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await create_initiative(brest, image_alt="")
    assert response.status_code == 400
    assert "Décrivez l’image" in response.text
    assert await brest.sql("SELECT * FROM objects") == []


async def test_an_image_over_5_mb_is_refused(brest: Instance) -> None:
    await sign_in_editor(brest)
    form = await get(brest, "/edit/initiatives/new")
    big = tiny_png() + b"\x00" * (5 * 1024 * 1024)
    response = await post_form(
        brest,
        "/edit/initiatives/new",
        {**INITIATIVE, "csrf": csrf_of(form)},
        ("big.png", big, "image/png"),
    )
    assert response.status_code == 400
    assert "L’image est trop lourde (5 Mo au plus)." in response.text
    assert await brest.sql("SELECT * FROM objects") == []


async def test_media_serves_only_uploaded_file_names(brest: Instance) -> None:
    media = brest.settings.data_dir / "media"
    media.mkdir(parents=True)
    (media / "notes.txt").write_text("secret")
    name = "0b6c6f5e-4d8a-4c3e-9a55-3a3b1f0e2d11.png"
    (media / name).write_bytes(tiny_png())
    assert (await brest.client.get(f"/media/{name}")).status_code == 200
    for bad in ("notes.txt", name.replace(".png", ".svg"), "x" * 36 + ".png", "..%2Fnotes.txt"):
        assert (await brest.client.get(f"/media/{bad}")).status_code == 404, bad
    assert (await brest.client.get(f"/media/{name.replace('0b', 'ff')}")).status_code == 404


async def test_signed_out_visitors_go_to_the_login_page(brest: Instance) -> None:
    for path in ("/edit", "/edit/events/new", "/admin/invitations", "/admin/tokens"):
        response = await get(brest, path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    response = await post_form(brest, "/edit/initiatives/new", dict(INITIATIVE))
    assert response.status_code == 303
    assert await brest.sql("SELECT * FROM objects") == []


async def test_administrators_edit_too_and_the_page_speaks_english(brest: Instance) -> None:
    await sign_in_editor(brest, role="admin")
    page = await brest.client.get("/edit?lang=en", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert "My publications" in page.text and "Nothing published yet." in page.text
    assert 'href="/admin/invitations"' in page.text
    form = await brest.client.get("/edit/events/new", headers={"Accept": BROWSER})
    assert "New event" in form.text and "Time zone" in form.text


# ------------------------------------------------------------------------------ invitations


async def invite(instance: Instance, role: str = "editor") -> str:
    page = await get(instance, "/admin/invitations")
    assert page.status_code == 200, page.text
    response = await post(instance, "/admin/invitations", {"csrf": csrf_of(page), "role": role})
    assert response.status_code == 200
    match = re.search(r'id="invitation-link">([^<]+)<', response.text)
    assert match, response.text
    return html.unescape(match.group(1))


async def test_an_invitation_creates_an_account_once(brest: Instance) -> None:
    await sign_in_editor(brest, role="admin")
    link = await invite(brest)
    assert link.startswith("http://brest.example/invite/")
    token = link.rsplit("/", 1)[1]
    [row] = await brest.sql("SELECT * FROM invitations")
    assert row["token_hash"] == hash_token(token) != token
    assert row["role"] == "editor" and row["used_at"] is None
    lifetime = row["expires_at"] - row["created_at"]
    assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7)
    listing = await get(brest, "/admin/invitations")
    assert token not in listing.text  # shown once only
    assert "valable jusqu’au" in listing.text

    brest.client.cookies.clear()  # the invitee, in another browser
    path = f"/invite/{token}"
    form = await get(brest, path)
    assert form.status_code == 200
    assert "Créez votre compte" in form.text
    forged = await post(brest, path, {"email": "nina@brest.example", "password": "x" * 12})
    assert forged.status_code == 403
    short = await post(
        brest,
        path,
        {"csrf": csrf_of(form), "email": "nina@brest.example", "password": "court"},
    )
    assert short.status_code == 400
    assert "au moins 10 caractères" in short.text
    assert 'value="nina@brest.example"' in short.text
    taken = await post(
        brest,
        path,
        {
            "csrf": csrf_of(form),
            "email": ADMIN_EMAIL.upper(),
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert taken.status_code == 400
    assert "Un compte utilise déjà cette adresse" in taken.text
    response = await post(
        brest,
        path,
        {
            "csrf": csrf_of(form),
            "email": "nina@brest.example",
            "password": "un mot de passe solide",
            "password_again": "un mot de passe solide",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/edit"
    assert brest.client.cookies.get(SESSION_COOKIE)
    assert (await get(brest, "/edit")).status_code == 200
    [account] = await brest.sql("SELECT * FROM accounts WHERE email = 'nina@brest.example'")
    assert account["role"] == "editor"
    assert account["password_hash"].startswith("$argon2")
    [row] = await brest.sql("SELECT * FROM invitations")
    assert row["used_at"] is not None
    # the editor is not an administrator
    assert (await get(brest, "/admin/invitations")).status_code == 403

    brest.client.cookies.clear()
    assert (await get(brest, path)).status_code == 410
    gone = await post(
        brest,
        path,
        {"csrf": "x" * 40, "email": "autre@brest.example", "password": "y" * 12},
    )
    assert gone.status_code == 410
    assert "a déjà servi ou a expiré" in (await get(brest, path)).text
    assert (await get(brest, "/invite/not-a-token")).status_code == 404
    assert len(await brest.sql("SELECT * FROM accounts")) == 2


async def test_an_expired_invitation_is_gone(brest: Instance) -> None:
    await sign_in_editor(brest, role="admin")
    link = await invite(brest, role="admin")
    [row] = await brest.sql("SELECT role FROM invitations")
    assert row["role"] == "admin"
    await brest.sql("UPDATE invitations SET expires_at = now() - interval '1 second'")
    brest.client.cookies.clear()
    response = await get(brest, link.replace("http://brest.example", ""))
    assert response.status_code == 410


async def test_an_invitation_can_be_withdrawn(brest: Instance) -> None:
    await sign_in_editor(brest, role="admin")
    link = await invite(brest)
    [row] = await brest.sql("SELECT token_hash FROM invitations")
    csrf = csrf_of(await get(brest, "/admin/invitations"))
    response = await post(
        brest, "/admin/invitations/delete", {"csrf": csrf, "invitation": row["token_hash"]}
    )
    assert response.status_code == 303
    assert await brest.sql("SELECT * FROM invitations") == []
    assert "Invitation retirée." in (await get(brest, response.headers["location"])).text
    bad_role = await post(brest, "/admin/invitations", {"csrf": csrf, "role": "owner"})
    assert bad_role.status_code == 400
    brest.client.cookies.clear()
    assert (await get(brest, link.replace("http://brest.example", ""))).status_code == 404


def png_announcing(width: int, height: int) -> bytes:
    """A small PNG whose header announces `width` × `height` pixels (a decompression bomb:
    its few rows of data stand for gigabytes once decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (1 + 3 * width) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_an_image_announcing_50000_by_50000_pixels_is_refused(brest: Instance) -> None:
    await sign_in_editor(brest)
    bomb = png_announcing(50_000, 50_000)
    assert len(bomb) < 20_000
    form = await get(brest, "/edit/initiatives/new")
    response = await post_form(
        brest, "/edit/initiatives/new", {**INITIATIVE, "csrf": csrf_of(form)},
        ("bomb.png", bomb, "image/png"),
    )
    assert response.status_code == 400
    assert "L’image a trop de pixels (50 mégapixels au plus)." in response.text
    media = brest.settings.data_dir / "media"
    assert not media.exists() or list(media.iterdir()) == []
    assert await brest.sql("SELECT * FROM objects") == []


def phone_photo(width: int, height: int, orientation: int) -> bytes:
    """A JPEG as a phone writes it: EXIF with the camera, a GPS position and the
    orientation the picture was taken in."""
    photo = Image.new("RGB", (width, height), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {  # GPSInfo: 48°23'N 4°29'W, Brest
        1: "N", 2: (48.0, 23.0, 0.0), 3: "W", 4: (4.0, 29.0, 0.0),
    }
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


async def test_a_phone_photo_is_published_upright_small_and_without_its_gps_position(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    upload = phone_photo(3000, 2000, orientation=6)  # taken holding the phone upright
    with Image.open(io.BytesIO(upload)) as original:
        assert original.getexif().get_ifd(0x8825)  # the position is there before
    form = await get(brest, "/edit/initiatives/new")
    response = await post_form(
        brest, "/edit/initiatives/new", {**INITIATIVE, "csrf": csrf_of(form)},
        ("IMG_0001.jpg", upload, "image/jpeg"),
    )
    assert response.status_code == 303, response.text
    initiative = await only_object(brest, "initiative")
    match = re.match(r"^http://brest\.example/media/([0-9a-f-]{36}\.jpg)$", initiative["image_url"])
    assert match, initiative["image_url"]
    [attachment] = initiative["document"]["attachment"]  # what followers receive
    assert attachment["url"] == initiative["image_url"]
    served = await brest.client.get(f"/media/{match.group(1)}")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in served.content and b"PhoneMaker" not in served.content
    with Image.open(io.BytesIO(served.content)) as published:
        assert published.format == "JPEG"
        assert published.size == (1067, 1600)  # turned upright, longest side 1600
        assert not published.getexif()
        assert published.getpixel((500, 800))[0] > 150  # still the red picture
