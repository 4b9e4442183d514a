"""Issue 10 in headless Chromium, against a real server process: the signed-in bar, four
mistakes shown at once in French, a weekly series in the agenda, an address found with a
(local, captured-shape) Base Adresse Nationale and its pin, a French CSV imported twice
without duplicate, and no page wider than a 360 px phone."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.procs import free_port, instance_env, maillage, start, stop, wait_ready
from tests.instance.test_editor_forms import BAN_ANSWER

PASSPHRASE = "une phrase de passe"


@pytest.fixture
def fake_ban() -> Iterator[str]:
    """A local stand-in for api-adresse.data.gouv.fr answering its GeoJSON shape."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(BAN_ANSWER).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/search/"
    finally:
        server.shutdown()
        server.server_close()


class Server:
    def __init__(self, tmp_path: Path, dsn: str, geocoder: str, host: str) -> None:
        port = free_port(host)
        self.base = f"http://{host}:{port}"
        self.log = tmp_path / "serve.log"
        self.env = instance_env(
            host, port, tmp_path / "data", DATABASE_URL=dsn, MAILLAGE_GEOCODER_URL=geocoder,
            MAILLAGE_TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png",
        )
        made = maillage(self.env, "territory", "set", "--slug", "brest", "--name", "Brest")
        assert made.returncode == 0, made.stderr
        made = maillage(self.env, "create-admin", "ana@brest.example", "--password-stdin",
                        stdin=PASSPHRASE + "\n")
        assert made.returncode == 0, made.stderr
        self.proc = start(self.env, self.log, "serve", "--host", host, "--port", str(port))
        wait_ready(f"{self.base}/healthz", self.proc)

    def close(self) -> None:
        stop(self.proc)
        assert "Traceback" not in self.log.read_text()


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    page.click("footer >> text=Se connecter")
    page.fill("input[name=email]", "ana@brest.example")
    page.fill("input[name=password]", PASSPHRASE)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(f"{base}/admin")


def no_sideways_scroll(page: Page, path: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide at 360 px"


def publish_button(page: Page) -> Any:
    return page.locator("form.editor .form-actions button[value=publish]")


def test_the_bar_the_four_messages_a_weekly_series_and_phone_widths(
    make_db_sync: Any, tmp_path: Path, fake_ban: str, browser: Browser
) -> None:
    server = Server(tmp_path, make_db_sync(), fake_ban, "127.0.0.6")
    base = server.base
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        sign_in(page, base)
        bar = page.locator("nav.account-bar")
        for label, path in (("Publier", "/edit/new"), ("Mes publications", "/edit"),
                            ("Importer", "/edit/import"), ("Administration", "/admin"),
                            ("Invitations", "/admin/invitations"), ("Jetons", "/admin/tokens")):
            bar.get_by_role("link", name=label, exact=True).click()
            page.wait_for_url(f"{base}{path}")
            expect(bar.get_by_role("link", name=label, exact=True)).to_have_attribute(
                "aria-current", "page")
            no_sideways_scroll(page, path)

        # four mistakes, four French messages at once, beside their fields
        page.goto(f"{base}/edit/events/new")
        page.fill("#f-latitude", "nord")
        page.fill("#f-start", "2026-12-12T19:00")
        page.fill("#f-end", "2026-12-12T17:00")
        page.fill("#f-online_url", "visio chez nous")
        publish_button(page).click()
        errors = page.locator("strong.field-error")
        expect(errors).to_have_count(4)
        assert sorted(errors.all_inner_texts()) == sorted([
            "Saisissez un titre.", "Saisissez un nombre, par exemple 48,39.",
            "La fin est avant le début : vérifiez les deux dates.",
            "Saisissez une adresse web commençant par https://.",
        ])
        for field in ("title", "latitude", "end", "online_url"):
            expect(page.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#f-latitude")).to_have_value("nord")
        no_sideways_scroll(page, "/edit/events/new (errors)")

        # a weekly series: four events in the agenda
        first = date.today() + timedelta(days=7)
        page.goto(f"{base}/edit/events/new")
        page.fill("#f-title", "Répar’café")
        page.fill("#f-start", f"{first.isoformat()}T18:00")
        page.fill("#f-end", f"{first.isoformat()}T20:00")
        page.select_option("#f-recurrence", "weekly")
        page.fill("#f-occurrences", "4")
        page.fill("#f-place_address", "25 rue de Pontaniou")
        page.locator("#address-results button").first.click()  # the BAN's suggestion
        expect(page.locator("#f-latitude")).to_have_value("48.383195")
        expect(page.locator("#place-map .leaflet-marker-icon")).to_have_count(1)
        publish_button(page).click()
        page.wait_for_url(f"{base}/edit?done=created")
        page.goto(f"{base}/agenda")
        expect(page.locator("main").get_by_text("Répar’café")).to_have_count(4)

        # every page at 360 px
        editor_pages = ["/edit", "/edit/new", "/edit/events/new", "/edit/initiatives/new",
                        "/edit/import", "/admin", "/admin/territory", "/admin/invitations",
                        "/admin/tokens"]
        page.goto(f"{base}/edit")
        item = page.locator("table.objects a[href^='/edit/']").first.get_attribute("href")
        editor_pages += [str(item), f"{item}/delete"]
        reader_pages = ["/", "/feed", "/agenda", "/map", "/territories", "/about"]
        for path in editor_pages + reader_pages:
            page.goto(f"{base}{path}")
            no_sideways_scroll(page, path)
        page.goto(f"{base}/feed")
        page.locator("main a[href^='/items/']").first.click()
        no_sideways_scroll(page, page.url)
        logout = page.locator("nav.account-bar button[type=submit]")
        logout.click()
        page.wait_for_url(f"{base}/login")
        for path in ("/login", "/"):
            page.goto(f"{base}{path}")
            no_sideways_scroll(page, path)
    finally:
        context.close()
        server.close()
    assert refused == []


FRENCH_CSV = (
    "kind;title;start;end;themes;external_id\n"
    "event;Fest-noz;12/12/2026 20:30;13/12/2026 01h00;Culture et bibliothèques;fest-1\n"
    "event;Marché de Noël;19/12/2026 10h;19/12/2026 18h;Tiers-lieux;marche-1\n"
)


def test_a_french_csv_imported_twice_from_the_browser_gives_no_duplicate(
    make_db_sync: Any, tmp_path: Path, fake_ban: str, browser: Browser
) -> None:
    server = Server(tmp_path, make_db_sync(), fake_ban, "127.0.0.7")
    base = server.base
    source = tmp_path / "agenda.csv"
    source.write_text(FRENCH_CSV, "utf-8")
    context = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, base)
        for _ in range(2):
            page.goto(f"{base}/edit/import")
            page.set_input_files("#import-file", str(source))
            page.click("text=Voir l’aperçu")
            expect(page.locator("table.import-preview tbody tr")).to_have_count(2)
            no_sideways_scroll(page, "/edit/import (preview)")
            page.click("text=Publier les 2 lignes prêtes")
            expect(page.locator("main")).to_contain_text("2 élément(s) publié(s) ou mis à jour.")
        page.goto(f"{base}/edit")
        expect(page.locator("table.objects tbody tr")).to_have_count(2)
        expect(page.locator("main").get_by_text("Fest-noz")).to_have_count(1)
    finally:
        context.close()
        server.close()
