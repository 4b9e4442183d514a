"""The JSON API with bearer tokens, the token page, and the `token` and `import` commands."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from federation.themes import THEMES
from server import cli
from server.accounts.auth import hash_token
from server.importers.files import IMPORT_CSV_HEADER
from tests.conftest import Instance
from tests.instance.test_admin import BROWSER, add_account, csrf_of, get, post
from tests.instance.test_editor import sign_in_editor

ROOT = Path(__file__).resolve().parents[2]
EDITOR_EMAIL = "script@brest.example"
EVENT = {
    "title": "Repair café",
    "summary": "On répare ensemble.",
    "description": "Apportez vos objets *cassés*.",
    "themes": ["transition-ecologique"],
    "start": "2026-12-05T14:00",
    "end": "2026-12-05T17:00",
    "timezone": "Europe/Paris",
    "status": "confirmed",
    "place": {"name": "Maison de quartier", "latitude": 48.39, "longitude": -4.49},
}


def run_cli(instance: Instance, *argv: str) -> int:
    """A `maillage` command against the instance's database, as from a shell."""
    settings = dataclasses.replace(instance.settings, database_url=instance.dsn)
    args = cli.build_parser().parse_args(list(argv))
    return int(args.func(settings, args))


async def cli_token(instance: Instance, capsys: pytest.CaptureFixture[str]) -> str:
    await add_account(instance, EDITOR_EMAIL, "editor")
    code = await asyncio.to_thread(
        run_cli, instance, "token", "create", EDITOR_EMAIL, "--name", "agenda"
    )
    assert code == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("mlg_") and len(token) > 40
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_cli_token_creates_a_hashed_token(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await cli_token(brest, capsys)
    [row] = await brest.sql("SELECT * FROM api_tokens")
    assert row["token_hash"] == hash_token(token) != token
    assert row["name"] == "agenda" and row["last_used_at"] is None
    code = await asyncio.to_thread(
        run_cli, brest, "token", "create", "nobody@brest.example", "--name", "x"
    )
    assert code == 1
    assert "no account" in capsys.readouterr().err


async def test_an_event_is_created_listed_changed_and_deleted(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await cli_token(brest, capsys)
    response = await brest.client.post("/api/v1/events", json=EVENT, headers=bearer(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "event"
    assert body["iri"].startswith("http://brest.example/")
    assert body["url"]
    assert response.headers["location"] == body["url"]
    [row] = await brest.sql("SELECT * FROM objects")
    assert row["iri"] == body["iri"] and row["id"] == body["id"]
    assert row["title"] == "Repair café" and row["local"]
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Create'")) == 1
    [used] = await brest.sql("SELECT last_used_at FROM api_tokens")
    assert used["last_used_at"] is not None

    listed = await brest.client.get("/api/v1/objects", headers=bearer(token))
    assert listed.status_code == 200
    assert [item["iri"] for item in listed.json()] == [body["iri"]]
    assert listed.json()[0]["input"]["title"] == "Repair café"
    one = await brest.client.get(f"/api/v1/objects/{body['id']}", headers=bearer(token))
    assert one.json()["title"] == "Repair café"

    changed = await brest.client.put(
        f"/api/v1/objects/{body['id']}",
        json={**EVENT, "title": "Repair café de décembre", "status": "cancelled"},
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Repair café de décembre"
    [row] = await brest.sql("SELECT * FROM objects")
    assert row["status"] == "cancelled"
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Update'")) == 1

    deleted = await brest.client.delete(f"/api/v1/objects/{body['id']}", headers=bearer(token))
    assert deleted.status_code == 204
    assert deleted.content == b""
    [row] = await brest.sql("SELECT deleted_at FROM objects")
    assert row["deleted_at"] is not None
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Delete'")) == 1
    again = await brest.client.delete(f"/api/v1/objects/{body['id']}", headers=bearer(token))
    assert again.status_code == 404
    missing = await brest.client.put("/api/v1/objects/999", json=EVENT, headers=bearer(token))
    assert missing.status_code == 404
    assert (await brest.client.get("/api/v1/objects", headers=bearer(token))).json() == []


async def test_an_initiative_is_created(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await cli_token(brest, capsys)
    response = await brest.client.post(
        "/api/v1/initiatives",
        json={
            "title": "Jardin partagé de Recouvrance",
            "themes": ["alimentation-agriculture"],
            "stage": "idea",
            "organisers": ["Association Vert-de-Gris"],
            "website": "https://jardin.example/",
        },
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "initiative"
    [row] = await brest.sql("SELECT kind, stage, website FROM objects")
    assert (row["kind"], row["stage"], row["website"]) == (
        "initiative",
        "idea",
        "https://jardin.example/",
    )


async def test_requests_without_a_valid_token_are_refused(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await cli_token(brest, capsys)
    for headers in (
        {},
        bearer("mlg_not-a-token"),
        {"Authorization": f"Basic {token}"},
        bearer(token[:-1]),
    ):
        response = await brest.client.post("/api/v1/events", json=EVENT, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error" in response.json()
        listed = await brest.client.get("/api/v1/objects", headers=headers)
        assert listed.status_code == 401
    assert await brest.sql("SELECT * FROM objects") == []


async def test_bad_bodies_are_refused_with_their_reasons(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await cli_token(brest, capsys)
    invalid = await brest.client.post(
        "/api/v1/events", json={"summary": "sans titre", "status": "maybe"}, headers=bearer(token)
    )
    assert invalid.status_code == 400
    errors = invalid.json()["errors"]
    assert any(e.startswith("title:") for e in errors), errors
    assert any(e.startswith("status:") for e in errors), errors

    not_json = await brest.client.post(
        "/api/v1/events",
        content=b"title=x",
        headers={**bearer(token), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 415
    broken = await brest.client.post(
        "/api/v1/events",
        content=b"{not json",
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()["errors"][0].startswith("body:")
    array = await brest.client.post("/api/v1/events", json=[EVENT], headers=bearer(token))
    assert array.status_code == 400
    huge = await brest.client.post(
        "/api/v1/events",
        json={**EVENT, "description": "x" * 1_000_001},
        headers=bearer(token),
    )
    assert huge.status_code == 413
    assert await brest.sql("SELECT * FROM objects") == []
    assert (
        await brest.client.get("/api/v1/objects?limit=0", headers=bearer(token))
    ).status_code == 400


async def test_administrators_create_and_revoke_tokens_on_a_page(brest: Instance) -> None:
    await sign_in_editor(brest, role="admin")
    editor_id = await add_account(brest, "ecriture@brest.example", "editor")
    page = await get(brest, "/admin/tokens")
    assert page.status_code == 200
    assert "Jetons d’API" in page.text
    assert "ecriture@brest.example" in page.text
    csrf = csrf_of(page)
    refused = await post(brest, "/admin/tokens", {"name": "agenda", "account": str(editor_id)})
    assert refused.status_code == 403
    nameless = await post(brest, "/admin/tokens", {"csrf": csrf, "account": str(editor_id)})
    assert nameless.status_code == 400
    created = await post(
        brest, "/admin/tokens", {"csrf": csrf, "name": "agenda", "account": str(editor_id)}
    )
    assert created.status_code == 200
    match = re.search(r'id="new-token">([^<]+)<', created.text)
    assert match
    token = match.group(1)
    [row] = await brest.sql("SELECT * FROM api_tokens")
    assert row["account_id"] == editor_id and row["token_hash"] == hash_token(token)
    listing = await get(brest, "/admin/tokens")
    assert token not in listing.text  # shown once
    assert "agenda" in listing.text

    response = await brest.client.post("/api/v1/events", json=EVENT, headers=bearer(token))
    assert response.status_code == 201
    revoked = await post(brest, "/admin/tokens/revoke", {"csrf": csrf, "token": row["token_hash"]})
    assert revoked.status_code == 303
    assert "Jeton révoqué" in (await get(brest, revoked.headers["location"])).text
    response = await brest.client.get("/api/v1/objects", headers=bearer(token))
    assert response.status_code == 401


async def test_editors_cannot_reach_the_token_page(brest: Instance) -> None:
    await sign_in_editor(brest)
    assert (await get(brest, "/admin/tokens")).status_code == 403
    response = await brest.client.post(
        "/admin/tokens", data={"name": "x"}, headers={"Accept": BROWSER}
    )
    assert response.status_code == 403
    assert await brest.sql("SELECT * FROM api_tokens") == []


def test_the_openapi_document_covers_every_api_route() -> None:
    from server.routes.api import routes

    document = yaml.safe_load((ROOT / "docs" / "api.openapi.yaml").read_text("utf-8"))
    assert document["openapi"].startswith("3.1")
    themes = document["components"]["schemas"]["Theme"]["enum"]
    assert themes == [theme.id for theme in THEMES]
    paths = document["paths"]
    for route in routes:
        if not route.path.startswith("/api/"):
            continue
        path = route.path.replace("{id:int}", "{id}")
        assert path in paths, path
        for method in route.methods or ():
            if method != "HEAD":
                assert method.lower() in paths[path], (path, method)


# ----------------------------------------------------------------------------------- import


async def import_file(
    instance: Instance, path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    code = await asyncio.to_thread(run_cli, instance, "import", str(path), *extra)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_csv_import_reports_the_bad_row_and_imports_the_others(
    brest: Instance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "agenda.csv"
    source.write_text(
        f"{IMPORT_CSV_HEADER}\n"
        "initiative,Ressourcerie du Port,Objets réemployés,,economie-sociale-solidaire|"
        'transition-ecologique,Port de commerce,,"48,38",-4.48,https://ressourcerie.example/,'
        ",running,Yann|Maëlle,,,,,,\n"
        "event,Fête des voisins,,,,,,,,,,,,2026-12-05T14:00,2026-12-04T14:00,,,,\n"
        'event,Bal breton,"Fest-noz, entrée libre","Avec **musique**\n\net danse",'
        "culture-bibliotheques,Salle du Patronage,,,,,,,,2026-12-12T20:30,2026-12-13T01:00,"
        "Europe/Paris,tentative,,\n",
        "utf-8",
    )
    code, out, err = await import_file(brest, source, capsys)
    assert code == 1
    assert "imported 2, failed 1" in out
    assert re.search(r"^row 2: end: ", err, re.MULTILINE), err
    assert "row 1" not in err and "row 3" not in err
    rows = await brest.sql("SELECT * FROM objects ORDER BY id")
    assert [r["title"] for r in rows] == ["Ressourcerie du Port", "Bal breton"]
    ressourcerie, bal = rows
    assert ressourcerie["themes"] == ["economie-sociale-solidaire", "transition-ecologique"]
    assert ressourcerie["latitude"] == 48.38
    assert ressourcerie["input"]["organisers"] == ["Yann", "Maëlle"]
    assert bal["summary"] == "Fest-noz, entrée libre"
    assert bal["status"] == "tentative"
    assert "<strong>musique</strong>" in bal["content_html"]
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Create'")) == 2


async def test_json_import_with_a_default_kind(
    brest: Instance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "items.json"
    items: list[Any] = [
        {"title": "Atelier couture", "stage": "running"},
        {
            "kind": "event",
            "title": "Visite",
            "start": "2026-12-01T10:00",
            "end": "2026-12-01T12:00",
        },
        {"title": ""},
        "pas un objet",
    ]
    source.write_text(json.dumps(items), "utf-8")
    code, out, err = await import_file(brest, source, capsys, "--kind", "initiative")
    assert code == 1
    assert "imported 2, failed 2" in out
    assert re.search(r"^row 3: title: ", err, re.MULTILINE), err
    assert "row 4: item: must be a JSON object" in err
    kinds = await brest.sql("SELECT kind, title FROM objects ORDER BY id")
    assert [(r["kind"], r["title"]) for r in kinds] == [
        ("initiative", "Atelier couture"),
        ("event", "Visite"),
    ]
    source.write_text(json.dumps([{"title": "Sans type"}]), "utf-8")
    code, out, err = await import_file(brest, source, capsys)
    assert code == 1
    assert "row 1: kind:" in err


async def test_the_documented_example_file_imports_cleanly(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    example = ROOT / "docs" / "examples" / "import.csv"
    assert example.read_text("utf-8").splitlines()[0] == IMPORT_CSV_HEADER
    assert IMPORT_CSV_HEADER in (ROOT / "docs" / "import.md").read_text("utf-8")
    code, out, err = await import_file(brest, example, capsys)
    assert code == 0, err
    assert "imported 3, failed 0" in out
    assert len(await brest.sql("SELECT * FROM objects WHERE local")) == 3


async def test_an_unknown_csv_column_stops_the_import(
    brest: Instance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("kind,title,colour\nevent,Fête,bleu\n", "utf-8")
    code, _, err = await import_file(brest, source, capsys)
    assert code == 2
    assert "unknown CSV column(s): colour" in err
    assert await brest.sql("SELECT * FROM objects") == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "a\\u0000b", "start": "2026-12-12T19:00:00"}',
        b'{"title": "\\ud800", "start": "2026-12-12T19:00:00"}',
        b'{"title": "ok", "start": "2026-12-12T19:00:00", "x": NaN}',
        b'{"title": "ok", "start": "2026-12-12T19:00:00", "x": 1e400}',
        b'{"title": "ok", "start": "2026-12-12T19:00:00", "k\\u0000": 1}',
    ],
)
async def test_values_postgresql_cannot_store_get_a_400_not_a_500(
    brest: Instance, capsys: pytest.CaptureFixture[str], body: bytes
) -> None:
    token = await cli_token(brest, capsys)
    for method, path in (("POST", "/api/v1/events"),):
        response = await brest.client.request(
            method, path, content=body,
            headers={**bearer(token), "Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0].startswith("body:")
    assert await brest.sql("SELECT * FROM objects") == []


async def test_fields_of_the_other_kind_are_ignored_not_stored_or_crashing(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    """An initiative with an event's `start` (even one out of range), or an event with an
    initiative's `contact` of the wrong type: found by schemathesis as 500s."""
    token = await cli_token(brest, capsys)
    created = await brest.client.post(
        "/api/v1/initiatives",
        json={"title": "Jardin partagé", "start": "0001-01-01T00:00:00Z", "timezone": 5},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.text
    changed = await brest.client.put(
        f"/api/v1/objects/{created.json()['id']}",
        json={"title": "Jardin partagé", "start": "0001-01-01T00:00:00Z", "end": "nope"},
        headers=bearer(token),
    )
    assert changed.status_code == 200, changed.text
    event = await brest.client.post(
        "/api/v1/events",
        json={"title": "Atelier", "start": "2026-12-12T19:00:00", "contact": 5, "stage": 5},
        headers=bearer(token),
    )
    assert event.status_code == 201, event.text
    rows = await brest.sql("SELECT kind, start_time, contact, stage FROM objects ORDER BY id")
    assert [(r["kind"], r["contact"], r["stage"]) for r in rows] == [
        ("initiative", None, None), ("event", None, None)
    ]
    assert rows[0]["start_time"] is None
