"""Issue 10: administrators change the territory's profile on the web; each change sends
`Update` of the actor to followers, with the new avatar and the profile fields."""

from __future__ import annotations

import html
import io
import re

from PIL import Image

from tests.conftest import Instance
from tests.federated.test_delivery import followed_by
from tests.federated.test_follow import BREST
from tests.instance.test_admin import BROWSER, csrf_of, get
from tests.instance.test_editor import sign_in_editor
from tests.network import FakeMastodon, Network


def photo(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


async def save_profile(instance: Instance, files: dict[str, tuple[str, bytes, str]] | None = None,
                       **fields: str) -> object:
    form = await get(instance, "/admin/territory")
    assert form.status_code == 200, form.text
    data = {"csrf": csrf_of(form), "name": "Brest", "summary": "Le territoire.", **fields}
    return await instance.client.post(
        "/admin/territory", data=data,
        files=files or {"icon": ("", b"", "application/octet-stream")},
        headers={"Accept": BROWSER},
    )


async def test_a_new_avatar_and_profile_fields_reach_a_follower_as_an_update(
    brest: Instance, network: Network
) -> None:
    fake = FakeMastodon(network)
    await followed_by(brest, fake)
    await sign_in_editor(brest, role="admin")
    response = await save_profile(
        brest, {"icon": ("avatar.jpg", photo(900, 600), "image/jpeg"),
                "banner": ("banner.jpg", photo(2000, 2000), "image/jpeg")},
        name="Brest contributif", website="https://brest.example.org/",
        contact="contact@brest.example", manually_approves="1",
    )
    assert response.status_code == 303, getattr(response, "text", "")
    await brest.run_worker()
    [update] = fake.of_type("Update")
    actor = update["object"]
    assert actor["id"] == BREST and actor["name"] == "Brest contributif"
    assert actor["manuallyApprovesFollowers"] is True
    icon = actor["icon"]["url"]
    assert re.fullmatch(r"http://brest\.example/media/[0-9a-f-]{36}\.jpg", icon), icon
    served = await brest.client.get(icon.removeprefix("http://brest.example"))
    assert Image.open(io.BytesIO(served.content)).size == (400, 400)
    banner = await brest.client.get(actor["image"]["url"].removeprefix("http://brest.example"))
    assert Image.open(io.BytesIO(banner.content)).size == (1500, 500)
    fields = {a["name"]: a["value"] for a in actor["attachment"] if a["type"] == "PropertyValue"}
    assert 'href="https://brest.example.org/"' in fields["Site web"]
    assert 'href="mailto:contact@brest.example"' in fields["Contact"]


async def test_profile_mistakes_are_all_shown_in_french_and_nothing_is_sent(
    brest: Instance,
) -> None:
    await sign_in_editor(brest, role="admin")
    response = await save_profile(brest, name="", latitude="nord", website="brest.example",
                                  contact="x" * 201)
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = html.unescape(response.text)  # type: ignore[attr-defined]
    for message in ("Saisissez le nom du territoire.", "Saisissez un nombre",
                    "Saisissez une adresse web commençant par https://.",
                    "200 caractères au plus.",
                    "Saisissez la latitude et la longitude, ou aucune des deux."):
        assert message in page, message
    assert page.count('aria-invalid="true"') == 5  # name, latitude, longitude, website, contact
    assert await brest.sql("SELECT * FROM activities WHERE type = 'Update'") == []


async def test_an_editor_cannot_change_the_territory(brest: Instance) -> None:
    await sign_in_editor(brest)
    assert (await get(brest, "/admin/territory")).status_code == 403
