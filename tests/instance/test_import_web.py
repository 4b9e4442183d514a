"""Issue 10: importing from the web (CSV, JSON, .ics) with a preview in the reader's
language; French dates and theme labels; a second import updates instead of duplicating
(in the command too); a huge or broken file gets a report, never a hang or a 500."""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Instance
from tests.instance.test_admin import BROWSER, csrf_of, get
from tests.instance.test_api import import_file
from tests.instance.test_editor import sign_in_editor

FRENCH_CSV = (
    "kind;title;start;end;themes;place_name;external_id\n"
    "event;Fest-noz;12/12/2026 20:30;13/12/2026 01h00;Culture et bibliothèques;Salle du Patro;"
    "fest-1\n"
    "event;Marché de Noël;19/12/2026;;Alimentation et agriculture|Tiers-lieux;Halles;marche-1\n"
    "event;Sans date;;;;;bad-1\n"
    "event;Date impossible;31/02/2026 10:00;;;;bad-2\n"
)


async def upload(instance: Instance, name: str, content: bytes, **data: str) -> httpx.Response:
    form = await get(instance, "/edit/import")
    return await instance.client.post(
        "/edit/import", data={"csrf": csrf_of(form), "intent": "preview", **data},
        files={"file": (name, content, "application/octet-stream")},
        headers={"Accept": BROWSER},
    )


async def publish(instance: Instance, preview: httpx.Response) -> httpx.Response:
    stored = re.search(r'name="stored" value="([^"]+)"', preview.text)
    assert stored, preview.text
    kind = re.search(r'<input type="hidden" name="kind" value="([^"]*)"', preview.text)
    return await instance.client.post(
        "/edit/import",
        data={"csrf": csrf_of(preview), "intent": "publish", "stored": stored.group(1),
              "kind": kind.group(1) if kind else ""},
        headers={"Accept": BROWSER},
    )


def rows_of(page: str) -> list[tuple[str, str, str]]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    rows = re.findall(
        r"<tr class=\"(ok|bad)\">\s*<td>(\d+)</td>\s*<td>([^<]*)</td>\s*<td>(.*?)</td>",
        body, re.S,
    )
    return [(n, html.unescape(t), re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html.unescape(w)))
             .strip()) for _, n, t, w in rows]


async def local_events(instance: Instance) -> list[Any]:
    return await instance.sql(
        "SELECT * FROM objects WHERE kind = 'event' AND deleted_at IS NULL ORDER BY start_time")


async def test_a_french_csv_is_previewed_then_published_and_a_second_import_updates(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    preview = await upload(brest, "agenda.csv", FRENCH_CSV.encode("utf-8"))
    assert preview.status_code == 200, preview.text
    assert await brest.sql("SELECT * FROM objects") == []  # the preview publishes nothing
    rows = rows_of(preview.text)
    assert rows[0] == ("1", "Fest-noz", "Nouvel événement")
    assert rows[1] == ("2", "Marché de Noël", "Nouvel événement")
    assert rows[2] == ("3", "Sans date",
                       "Indiquez la date et l’heure du début de l’événement.")
    assert rows[3] == ("4", "Date impossible",
                       "Saisissez une date et une heure, par exemple 12/12/2026 19:00.")
    assert "2 lignes sur 4 sont prêtes" in preview.text

    done = await publish(brest, preview)
    assert done.status_code == 200
    assert "2 élément(s) publié(s) ou mis à jour." in html.unescape(done.text)
    fest, marche = await local_events(brest)
    assert fest["themes"] == ["culture-bibliotheques"]
    assert fest["end_time"].isoformat() == "2026-12-13T00:00:00+00:00"
    assert marche["themes"] == ["alimentation-agriculture", "tiers-lieux"]
    assert marche["input"]["all_day"] is True
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Create'")) == 2

    changed = FRENCH_CSV.replace("Fest-noz;", "Fest-noz du Patro;")
    again = await upload(brest, "agenda.csv", changed.encode("utf-8"))
    assert rows_of(again.text)[0] == ("1", "Fest-noz du Patro",
                                      "Met à jour l’élément déjà publié")
    await publish(brest, again)
    titles = [e["title"] for e in await local_events(brest)]
    assert titles == ["Fest-noz du Patro", "Marché de Noël"]  # no duplicate
    assert len(await brest.sql("SELECT * FROM activities WHERE type = 'Update'")) == 2


async def test_a_calendar_file_is_imported_by_uid_twice_without_duplicate(
    brest: Instance,
) -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Gancio//EN\r\n"
        "BEGIN:VEVENT\r\nUID:concert-42@agenda.example\r\nSUMMARY:Concert au port\r\n"
        "DTSTART;TZID=Europe/Paris:20261212T190000\r\nDTEND;TZID=Europe/Paris:20261212T210000\r\n"
        "LOCATION:Salle des fêtes\\, 1 rue du Port\\, Brest\r\nGEO:48.38;-4.49\r\n"
        "CATEGORIES:Tiers-lieux\r\nURL:https://visio.example/concert\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    await sign_in_editor(brest)
    for _ in range(2):
        preview = await upload(brest, "agenda.ics", ics)
        assert preview.status_code == 200, preview.text
        assert (await publish(brest, preview)).status_code == 200
    [event] = await local_events(brest)
    assert event["title"] == "Concert au port"
    assert event["input"]["external_id"] == "concert-42@agenda.example"
    assert event["place_name"] == "Salle des fêtes" and event["latitude"] == 48.38
    assert event["themes"] == ["tiers-lieux"]
    assert event["online_url"] == "https://visio.example/concert"


async def test_the_command_imports_twice_without_duplicate_and_keeps_online_url(
    brest: Instance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "items.json"
    items = [{"kind": "event", "title": "Visio des communs", "start": "05/12/2026 18h",
              "online_url": "https://visio.example/communs", "external_id": "visio-1",
              "themes": ["Communs numériques"]}]
    source.write_text(json.dumps(items), "utf-8")
    for _ in range(2):
        code, out, err = await import_file(brest, source, capsys)
        assert code == 0, err
    assert "(updated)" in out
    [event] = await local_events(brest)
    assert event["online_url"] == "https://visio.example/communs"  # not silently dropped
    assert event["document"]["isOnline"] is True
    assert event["themes"] == ["communs-numeriques"]


async def test_ten_thousand_rows_or_a_broken_encoding_get_a_report_not_a_500(
    brest: Instance,
) -> None:
    await sign_in_editor(brest)
    huge = "kind,title,start\n" + "".join(
        f"event,Fête {n},2026-12-05T14:00\n" for n in range(10_000))
    response = await asyncio.wait_for(upload(brest, "huge.csv", huge.encode()), 30)
    assert response.status_code == 400
    assert "plus de 2000 éléments" in html.unescape(response.text)
    binary = bytes(range(256)) * 40
    response = await upload(brest, "photo.csv", binary)
    assert response.status_code == 400
    assert "n’est pas du texte en UTF-8 ou Windows-1252" in html.unescape(response.text)
    assert await brest.sql("SELECT * FROM objects") == []
    # what a French Excel saves as "CSV": Windows-1252, semicolons
    excel = "kind;title;start\nevent;Fête de l'été;05/12/2026 14:00\n".encode("cp1252")
    response = await upload(brest, "excel.csv", excel)
    assert rows_of(response.text) == [("1", "Fête de l'été", "Nouvel événement")]
