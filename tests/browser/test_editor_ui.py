"""An editor publishes an event through the web UI of a real server, in French."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from tests.e2e.procs import free_port, instance_env, maillage, start, stop, wait_ready


def tiny_png(path: Path) -> Path:
    raw = b"".join(b"\x00" + bytes([200, 80, 40]) * 4 for _ in range(4))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def test_editor_publishes_an_event_from_the_browser(
    make_db_sync: Any, tmp_path: Path, browser: Browser
) -> None:
    host = "127.0.0.5"
    port = free_port(host)
    env = instance_env(host, port, tmp_path / "data", DATABASE_URL=make_db_sync())
    base = f"http://{host}:{port}"
    assert maillage(env, "territory", "set", "--slug", "brest", "--name", "Brest").returncode == 0
    made = maillage(
        env, "create-admin", "ana@brest.example", "--password-stdin", stdin="une phrase de passe\n"
    )
    assert made.returncode == 0, made.stderr
    web = start(env, tmp_path / "serve.log", "serve", "--host", host, "--port", str(port))
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    page = context.new_page()
    refused: list[str] = []  # what the Content-Security-Policy blocked, if anything
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        wait_ready(f"{base}/healthz", web)
        page.goto(f"{base}/login?next=/edit")
        page.fill("input[name=email]", "ana@brest.example")
        page.fill("input[name=password]", "une phrase de passe")
        page.click("form:has(input[name=password]) button[type=submit]")
        page.wait_for_url(f"{base}/edit**")

        page.goto(f"{base}/edit/events/new")
        publish = page.locator("form:has(#f-title) .form-actions button[value=publish]")
        publish.click()  # empty: the browser's own checks keep the form on screen
        expect(page).to_have_url(f"{base}/edit/events/new")
        page.fill("#f-title", "Atelier vélo au Relecq")
        page.fill("#f-summary", "Réparez votre vélo avec les bénévoles.")
        page.fill("#f-description", "Outils **fournis**.")
        page.check("input[name=themes][value=mobilite]")
        page.fill("#f-place_name", "Maison des associations")
        page.fill("#f-place_address", "Rue Vincent Auriol, Le Relecq-Kerhuon")
        page.fill("#f-latitude", "48.407")
        page.fill("#f-longitude", "-4.396")
        page.fill("#f-start", "2026-12-12T10:00")
        page.fill("#f-end", "2026-12-12T12:30")
        page.set_input_files("#f-image", str(tiny_png(tmp_path / "velo.png")))
        page.fill("#f-image_alt", "Un vélo retourné sur un établi")
        publish.click()
        page.wait_for_url(f"{base}/edit?done=created")
        expect(page.locator("main")).to_contain_text("Atelier vélo au Relecq")

        page.goto(f"{base}/")
        page.click("text=Atelier vélo au Relecq")
        main = page.locator("main")
        expect(main).to_contain_text("12 décembre 2026")
        expect(main).to_contain_text("10:00")
        expect(main).to_contain_text("Maison des associations")
        expect(main).to_contain_text("Mobilités")
        image = page.locator("img.picture")
        expect(image).to_have_attribute("alt", "Un vélo retourné sur un établi")
        assert image.evaluate("img => img.naturalWidth") == 4  # the upload is served
        assert page.evaluate("getComputedStyle(document.body).fontFamily")  # the style loads
        page.screenshot(path=str(tmp_path / "event.png"), full_page=True)
        assert (tmp_path / "event.png").stat().st_size > 1000
    finally:
        context.close()
        stop(web)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
    assert refused == []
