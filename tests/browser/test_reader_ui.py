"""A reader in headless Chromium, on a phone and on a desktop, against a real server:
narrow the feed by theme then by text, count the map's markers for an area, find an event
on its day in the month, switch to English, and see the embed snippet work on another site."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from server.store import db
from tests.conftest import run_in_thread
from tests.e2e.procs import free_port, instance_env, maillage, start, stop, wait_ready
from tests.reader.seed import seed


class Database:
    """What `seed()` needs of an instance: `sql()` on this database."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def sql(self, query: str, *args: Any) -> list[Any]:
        conn = await db.connect(self.dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_reader_narrows_maps_and_reads_the_month(
    make_db_sync: Any, tmp_path: Path, width: int, browser: Browser
) -> None:
    host = "127.0.0.6"
    port = free_port(host)
    dsn = make_db_sync()
    env = instance_env(host, port, tmp_path / "data", DATABASE_URL=dsn)
    assert maillage(env, "territory", "set", "--slug", "brest", "--name", "Brest",
                    "--lat", "48.39", "--lon", "-4.49").returncode == 0
    run_in_thread(seed(Database(dsn)))  # type: ignore[arg-type]
    base = f"http://{host}:{port}"
    web = start(env, tmp_path / "serve.log", "serve", "--host", host, "--port", str(port))
    other_port = free_port(host)
    site = tmp_path / "site"
    site.mkdir()
    other = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(other_port), "--bind", host,
         "--directory", str(site)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris",
        viewport={"width": width, "height": 900}, is_mobile=width < 500,
    )
    context.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    try:
        wait_ready(f"{base}/healthz", web)
        page.goto(f"{base}/feed")
        results = page.locator("ul.items.reader > li a.title")
        expect(results).to_have_count(10)
        page.locator("li", has_text="Marché paysan").get_by_role(
            "link", name="Alimentation et agriculture").click()
        expect(results).to_have_count(2)
        expect(page.locator(".chip")).to_have_text(["Alimentation et agriculture ×"])
        page.fill("input[name=q]", "marche")
        page.click(".search-row button[type=submit]")
        expect(results).to_have_text(["Marché paysan"])
        expect(page.locator("a.title mark")).to_have_text(["Marché"])
        page.locator(".chip", has_text="Alimentation").locator("a.remove").click()
        expect(results).to_have_text(["Marché paysan"])

        page.goto(f"{base}/map?bbox=-5.2,47.5,-3.5,48.8")
        expect(page.locator("#map")).to_have_attribute("data-loaded", "7")
        singles = page.locator(".leaflet-marker-icon:not(.marker-cluster)").count()
        clusters = [int(t) for t in page.locator(".marker-cluster span").all_inner_texts()]
        assert singles + sum(clusters) == 7 and clusters, (singles, clusters)
        expect(page.locator(".map-list a.title")).to_have_count(7)
        # the popup words an event's date in the page's language and the event's zone
        words = page.evaluate(
            """async () => {
                 const data = await (await fetch('/feed.geojson?bbox=-5.2,47.5,-3.5,48.8')).json();
                 const velo = data.features.find(f => f.properties.title === 'Atelier vélo');
                 return window.maillageWhen(velo.properties);
               }""")
        assert words.endswith("(Europe/Paris)") and re.search(r"\b(lundi|mardi|mercredi|jeudi|"
                                                              r"vendredi|samedi|dimanche)\b",
                                                              words), words

        page.locator(".map-list a.title", has_text="Atelier vélo").click()
        expect(page.locator("#map.place .leaflet-marker-icon")).to_have_count(1)

        page.goto(f"{base}/agenda/2026-12")
        cell = page.locator('td[data-day="2026-12-31"]')
        expect(cell).to_contain_text("Réveillon solidaire")
        expect(cell).to_contain_text("23:30")
        expect(page.locator('td[data-day="2026-12-30"]')).not_to_contain_text("Réveillon")
        page.get_by_role("link", name="English").click()
        expect(page.locator("h1")).to_have_text("December 2026")
        page.goto(f"{base}/feed")
        expect(page.locator("h1")).to_have_text("Initiatives and events")
        page.screenshot(path=str(tmp_path / f"feed-{width}.png"), full_page=True)

        snippet = page.locator("textarea.snippet").input_value()
        (site / "index.html").write_text(f"<!doctype html><h1>Collectif</h1>{snippet}")
        page.goto(f"http://{host}:{other_port}/index.html")
        frame = page.frame_locator("iframe")
        expect(frame.locator("a.title").first).to_be_visible()
        expect(frame.locator("body")).to_contain_text("Marché paysan")
        assert not errors, errors
    finally:
        context.close()
        other.terminate()
        other.wait(timeout=10)
        stop(web)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
