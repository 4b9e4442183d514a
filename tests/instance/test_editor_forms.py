"""Issue 10: the editor's forms in words, events as Mobilizon/Gancio editors expect them
(time zones, optional end, all day, online, series), drafts, preview, confirmation, history,
the signed-in bar on every page, places found with the Base Adresse Nationale."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import Instance
from tests.instance.test_admin import BROWSER, csrf_of, get
from tests.instance.test_editor import EDITOR_EMAIL, post_form, sign_in_editor
from tests.network import Network

EVENT = {
    "title": "Atelier vélo",
    "start": "2026-12-05T14:00",
    "end": "2026-12-05T17:00",
    "timezone": "Europe/Paris",
    "status": "confirmed",
}


async def new_event(instance: Instance, **changes: Any) -> httpx.Response:
    form = await get(instance, "/edit/events/new")
    data = {**EVENT, "csrf": csrf_of(form), **changes}
    return await post_form(instance, "/edit/events/new", {k: v for k, v in data.items()
                                                         if v is not None})


def field_messages(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(
        r'<strong class="field-error" id="error-([a-z_]+)-\d+">([^<]*)</strong>', page
    ):
        found.setdefault(name, []).append(html.unescape(message))
    return found


async def events(instance: Instance) -> list[Any]:
    return await instance.sql(
        "SELECT * FROM objects WHERE kind = 'event' AND deleted_at IS NULL ORDER BY start_time"
    )


async def test_four_mistakes_give_four_french_messages_at_once_beside_their_fields(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    response = await new_event(
        brest, title="", latitude="nord", end="2026-12-04T10:00",
        online_url="visio chez nous", summary="Gardé",
    )
    assert response.status_code == 400
    page = response.text
    messages = field_messages(page)
    assert messages == {
        "title": ["Saisissez un titre."],
        "latitude": ["Saisissez un nombre, par exemple 48,39."],
        "end": ["La fin est avant le début : vérifiez les deux dates."],
        "online_url": ["Saisissez une adresse web commençant par https://."],
    }, messages
    for name in messages:
        tag = re.search(rf'<input id="f-{name}"[^>]*>', page)
        assert tag and 'aria-invalid="true"' in tag.group(0), name
        assert f"error-{name}-1" in tag.group(0), name  # aria-describedby
    assert 'value="Gardé"' in page and 'value="nord"' in page
    assert not re.search(r"\b(end|online_url|latitude|title):", page)  # no internal names
    assert re.search(r'<label for="f-title">Titre <span class="required">', page)
    assert await brest.sql("SELECT * FROM objects") == []


async def test_a_zone_that_is_not_in_the_list_is_refused_in_french(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, timezone="Paris")
    assert response.status_code == 400
    assert field_messages(response.text) == {
        "timezone": ["Choisissez un fuseau horaire dans la liste."]
    }


async def test_the_zone_list_defaults_to_the_territory_and_includes_overseas(
    make_instance: Any,
) -> None:
    reunion = await make_instance("reunion.example", MAILLAGE_TIMEZONE="Indian/Reunion")
    from tests.conftest import with_territory

    await with_territory(reunion, "reunion", "La Réunion")
    await sign_in_editor(reunion)
    page = (await get(reunion, "/edit/events/new")).text
    assert '<option value="Indian/Reunion" selected>La Réunion</option>' in page
    for zone in ("America/Martinique", "America/Guadeloupe", "America/Cayenne",
                 "Pacific/Noumea", "Pacific/Tahiti", "Indian/Mayotte", "America/Miquelon"):
        assert f'<option value="{zone}"' in page, zone


async def test_an_event_without_end_typed_the_french_way_is_published(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, start="12/12/2026 19:00", end="")
    assert response.status_code == 303, field_messages(response.text)
    [event] = await events(brest)
    assert event["start_time"] == datetime(2026, 12, 12, 18, 0, tzinfo=UTC)
    assert event["end_time"] is None
    assert "endTime" not in event["document"]  # FEP-8a8e: optional


async def test_an_all_day_event_over_two_days(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, all_day="1", start="2026-12-12T10:00",
                               end="2026-12-13T11:00")
    assert response.status_code == 303
    [event] = await events(brest)
    assert event["start_time"] == datetime(2026, 12, 11, 23, 0, tzinfo=UTC)
    assert event["end_time"] == datetime(2026, 12, 13, 22, 59, tzinfo=UTC)
    assert event["input"]["all_day"] is True
    # days without hours, on Mastodon too
    assert "samedi 12 décembre 2026 – dimanche 13 décembre 2026" in event["document"]["summary"]


async def test_an_online_event_carries_a_virtual_location_and_is_online(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, online_url="https://visio.example/atelier",
                               place_name="Les Capucins")
    assert response.status_code == 303
    [event] = await events(brest)
    assert event["online_url"] == "https://visio.example/atelier"
    document = event["document"]
    assert document["isOnline"] is True
    assert '<a href="https://visio.example/atelier">En ligne</a>' in document["summary"]  # Mastodon
    place, virtual = document["location"]
    assert place["name"] == "Les Capucins"
    assert virtual == {"type": "VirtualLocation", "url": "https://visio.example/atelier"}
    assert {"type": "Link", "name": "Website", "href": "https://visio.example/atelier"} in (
        document["attachment"]
    )


async def test_a_weekly_series_is_one_event_per_date_and_is_edited_as_a_series(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, recurrence="weekly", occurrences="4")
    assert response.status_code == 303, field_messages(response.text)
    rows = await events(brest)
    assert [r["start_time"].date().isoformat() for r in rows] == [
        "2026-12-05", "2026-12-12", "2026-12-19", "2026-12-26"]
    assert len({r["input"]["series"] for r in rows}) == 1
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Create'")) == 4

    third = rows[2]
    form = await get(brest, f"/edit/{third['id']}")
    assert "une date d’une série de 4" in form.text
    assert 'value="2026-12-05T14:00"' in form.text  # a series is edited from its first date
    changed = {**EVENT, "title": "Atelier vélo du samedi", "recurrence": "weekly",
               "occurrences": "3", "csrf": csrf_of(form)}
    response = await post_form(brest, f"/edit/{third['id']}", changed)
    assert response.status_code == 303, field_messages(response.text)
    after = await events(brest)
    assert [r["iri"] for r in after] == [r["iri"] for r in rows[:3]]  # IRIs kept
    assert {r["title"] for r in after} == {"Atelier vélo du samedi"}
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Update'")) == 3
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Delete'")) == 1

    confirm = await get(brest, f"/edit/{after[0]['id']}/delete")
    assert "Supprimer toutes les dates de la série" in confirm.text
    response = await post_form(brest, f"/edit/{after[0]['id']}/delete",
                               {"csrf": csrf_of(confirm), "scope": "series"})
    assert response.status_code == 303
    assert await events(brest) == []


async def test_a_monthly_series_keeps_the_weekday_of_the_month(brest: Instance) -> None:
    await sign_in_editor(brest)
    # Tuesday 8 December 2026 is the second Tuesday of its month
    response = await new_event(brest, start="2026-12-08T18:30", end="2026-12-08T20:00",
                               recurrence="monthly", occurrences="3")
    assert response.status_code == 303
    rows = await events(brest)
    assert [r["start_time"].date().isoformat() for r in rows] == [
        "2026-12-08", "2027-01-12", "2027-02-09"]
    assert {r["start_time"].astimezone().weekday() for r in rows} == {1}


async def test_a_draft_is_not_federated_until_published(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, intent="draft", title="Brouillon de fête", start="")
    assert response.status_code == 303
    assert response.headers["location"] == "/edit?done=drafted"
    assert await brest.sql("SELECT * FROM objects") == []
    assert await brest.sql("SELECT * FROM activities") == []
    [draft] = await brest.sql("SELECT * FROM drafts")
    home = await get(brest, "/edit")
    assert f'href="/edit/drafts/{draft["id"]}"' in home.text and "Brouillon de fête" in home.text
    form = await get(brest, f"/edit/drafts/{draft['id']}")
    assert 'value="Brouillon de fête"' in form.text
    response = await post_form(brest, f"/edit/drafts/{draft['id']}", {
        **EVENT, "title": "Fête publiée", "csrf": csrf_of(form), "intent": "publish"})
    assert response.status_code == 303
    assert await brest.sql("SELECT * FROM drafts") == []
    [event] = await events(brest)
    assert event["title"] == "Fête publiée"
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Create'")) == 1


async def test_the_preview_shows_the_markdown_and_saves_nothing(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, intent="preview", description="Du **thé** et [un lien](https://a.example/)")
    assert response.status_code == 200
    assert "Aperçu (non enregistré)" in response.text
    assert "<strong>thé</strong>" in response.text
    assert await brest.sql("SELECT * FROM objects") == []


async def test_deleting_asks_first_and_the_history_says_who_changed_what(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    assert (await new_event(brest)).status_code == 303
    [event] = await events(brest)
    form = await get(brest, f"/edit/{event['id']}")
    response = await post_form(brest, f"/edit/{event['id']}",
                               {**EVENT, "title": "Atelier vélo (complet)",
                                "csrf": csrf_of(form)})
    assert response.status_code == 303
    history = await brest.sql("SELECT * FROM object_history ORDER BY id")
    assert [(h["action"], h["account_email"]) for h in history] == [
        ("create", EDITOR_EMAIL), ("update", EDITOR_EMAIL)]
    assert history[1]["changed"] == ["title"]
    page = (await get(brest, f"/edit/{event['id']}")).text
    assert "Historique" in page and EDITOR_EMAIL in page and "modifié" in page

    confirm = await get(brest, f"/edit/{event['id']}/delete")
    assert confirm.status_code == 200
    assert "Supprimer « Atelier vélo (complet) » ?" in html.unescape(confirm.text)
    assert await brest.sql("SELECT * FROM activities WHERE type = 'Delete'") == []
    response = await post_form(brest, f"/edit/{event['id']}/delete", {"csrf": csrf_of(confirm)})
    assert response.status_code == 303
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Delete'")) == 1


async def test_the_bar_is_on_every_page_when_signed_in_and_the_footer_links_to_login(
    brest: Instance,
) -> None:
    signed_out = await get(brest, "/")
    assert 'href="/login"' in signed_out.text and "account-bar" not in signed_out.text
    await sign_in_editor(brest)
    for path in ("/", "/edit", "/about", "/edit/events/new", "/edit/import"):
        page = (await get(brest, path)).text
        assert 'class="account-bar"' in page, path
        for link in ("/edit/new", "/edit", "Mes publications", "Se déconnecter"):
            assert link in page, (path, link)
        assert 'href="/admin"' not in page, path  # an editor is no administrator
    await sign_in_editor(brest, role="admin")
    page = (await get(brest, "/")).text
    for link in ('href="/admin"', 'href="/admin/invitations"', 'href="/admin/tokens"'):
        assert link in page, link
    admin = (await get(brest, "/admin")).text
    for link in ("/admin/territory", "/edit", "/edit/import", "/admin/invitations",
                 "/admin/tokens"):
        assert f'href="{link}"' in admin, link


async def test_a_place_used_before_brings_its_address_and_position_without_javascript(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    assert (await new_event(brest, place_name="Les Capucins", place_address="25 rue de Pontaniou",
                            latitude="48.3833", longitude="-4.5")).status_code == 303
    form = await get(brest, "/edit/events/new")
    assert '<option value="Les Capucins" data-address="25 rue de Pontaniou"' in form.text
    assert (await new_event(brest, title="Deuxième", place_name="les capucins")).status_code == 303
    second = next(e for e in await events(brest) if e["title"] == "Deuxième")
    assert (second["latitude"], second["longitude"]) == (48.3833, -4.5)
    assert second["place_address"] == "25 rue de Pontaniou"


# A Base Adresse Nationale answer, in the shape api-adresse.data.gouv.fr/search/ gives.
BAN_ANSWER = {
    "type": "FeatureCollection",
    "version": "draft",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-4.494561, 48.383195]},
            "properties": {
                "label": "25 Rue de Pontaniou 29200 Brest", "score": 0.9624, "housenumber": "25",
                "id": "29019_1530_00025", "name": "25 Rue de Pontaniou", "postcode": "29200",
                "citycode": "29019", "x": 145406.35, "y": 6836930.02, "city": "Brest",
                "context": "29, Finistère, Bretagne", "type": "housenumber",
                "importance": 0.58, "street": "Rue de Pontaniou",
            },
        },
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["x", 1]},
         "properties": {"label": "malformed"}},
    ],
    "attribution": "BAN",
    "licence": "ETALAB-2.0",
    "query": "25 rue de pontaniou brest",
    "limit": 5,
}


def fake_ban(asked: list[str]) -> Starlette:
    async def search(request: Request) -> JSONResponse:
        asked.append(request.query_params.get("q", ""))
        if "nulle part" in request.query_params.get("q", ""):
            return JSONResponse({"type": "FeatureCollection", "features": []})
        return JSONResponse(BAN_ANSWER)

    return Starlette(routes=[Route("/search/", search)])


async def test_an_address_is_found_with_the_national_address_service(
    make_instance: Any, network: Network
) -> None:
    from tests.conftest import with_territory

    asked: list[str] = []
    network.add("adresse.test", fake_ban(asked))
    brest = await with_territory(
        await make_instance("brest.example", MAILLAGE_GEOCODER_URL="http://adresse.test/search/"),
        "brest", "Brest",
    )
    await sign_in_editor(brest)
    found = await brest.client.get("/edit/geocode", params={"q": "25 rue de Pontaniou Brest"})
    assert found.json() == {"results": [{
        "label": "25 Rue de Pontaniou 29200 Brest", "name": "25 Rue de Pontaniou",
        "postcode": "29200", "city": "Brest", "latitude": 48.383195, "longitude": -4.494561}]}
    # without JavaScript: the "Find the address" button fills the position
    page = await new_event(brest, intent="locate", place_address="25 rue de Pontaniou Brest")
    assert page.status_code == 200
    assert "Adresse trouvée : 25 Rue de Pontaniou 29200 Brest" in html.unescape(page.text)
    assert 'value="48.383195"' in page.text and 'value="-4.494561"' in page.text
    missing = await new_event(brest, intent="locate", place_address="nulle part du tout")
    assert field_messages(missing.text) == {
        "place_address": ["Aucune adresse trouvée : vérifiez-la, ou saisissez les coordonnées."]}
    assert asked[0] == "25 rue de Pontaniou Brest"
    assert (await brest.client.get("/edit/geocode", params={"q": "ab"})).json() == {"results": []}


async def test_the_editor_form_runs_only_its_own_scripts(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await brest.client.get("/edit/events/new", headers={"Accept": BROWSER})
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "<script>" not in response.text and 'src="/static/editor.js"' in response.text
    assert (await brest.client.get("/static/editor.js")).status_code == 200


async def test_the_initiative_page_shows_organisers_contact_link_website_and_events(
    brest: Instance,
) -> None:
    from tests.instance.test_editor import create_initiative

    await sign_in_editor(brest)
    assert (await create_initiative(brest)).status_code == 303
    [initiative] = await brest.sql("SELECT * FROM objects WHERE kind = 'initiative'")
    assert (await new_event(brest, title="Atelier du samedi", start="2027-01-09T10:00",
                            end="", initiative=initiative["iri"])).status_code == 303
    page = html.unescape((await get(brest, f"/items/{initiative['id']}")).text)
    assert '<dd class="organisers">Ana, Yann</dd>' in page
    assert '<a href="mailto:atelier@velo.example" rel="nofollow noopener">' in page
    assert '<a href="https://velo.example/" rel="nofollow noopener">' in page
    assert "Ses prochains événements" in page and "Atelier du samedi" in page


async def test_a_draft_may_be_incomplete_but_not_unbounded(brest: Instance) -> None:
    await sign_in_editor(brest)
    response = await new_event(brest, intent="draft", title="x" * 201, start="")
    assert response.status_code == 400
    assert field_messages(response.text) == {
        "title": ["« Titre » est trop long : 200 caractères au plus."]}
    assert await brest.sql("SELECT * FROM drafts") == []
