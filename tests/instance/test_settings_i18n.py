"""Settings from the environment, and the French and English catalogs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from federation.negotiation import wants_activity_json
from server.i18n import LOCALE_DIR, LOCALES, negotiate
from server.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_development_mode_defaults_to_local_http() -> None:
    settings = Settings.from_env({"MAILLAGE_DEV": "1"})
    assert settings.base_url == "http://127.0.0.1:8000"


def test_production_needs_a_public_domain_and_speaks_https() -> None:
    with pytest.raises(SettingsError, match="MAILLAGE_DOMAIN is required"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="MAILLAGE_DEV=1"):
        Settings.from_env({"MAILLAGE_DOMAIN": "127.0.0.1:8000"})
    with pytest.raises(SettingsError, match="not a host name"):
        Settings.from_env({"MAILLAGE_DOMAIN": "https://brest.example/"})
    settings = Settings.from_env({"MAILLAGE_DOMAIN": "Brest.Example"})
    assert settings.base_url == "https://brest.example"
    assert not settings.dev


def test_env_example_documents_every_setting() -> None:
    documented = (ROOT / ".env.example").read_text("utf-8")
    source = (ROOT / "server" / "settings.py").read_text("utf-8")
    import re

    read = set(re.findall(r'env\.get\("([A-Z_]+)"', source))
    assert read, "settings read no variable?"
    for name in read:
        assert f"{name}=" in documented, f"{name} missing from .env.example"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/activity+json", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ("application/json", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("text/html;q=0.5, application/activity+json", True),
        ('application/ld+json; profile="https://example.org/other"', False),
        ("", False),
    ],
)
def test_content_negotiation(accept: str, expected: bool) -> None:
    assert wants_activity_json(accept) is expected


def test_locale_negotiation_prefers_explicit_choice_then_browser_then_french() -> None:
    assert negotiate(None, None, None) == "fr"
    assert negotiate(None, None, "de-DE") == "fr"
    assert negotiate(None, None, "en-US,en;q=0.8") == "en"
    assert negotiate(None, "en", "fr") == "en"
    assert negotiate("fr", "en", "en") == "fr"


def test_catalogs_translate_every_message_in_the_code(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    assert wanted
    for locale in LOCALES:
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = {m.id: m.string for m in read_po(handle) if m.id}
        missing = sorted(m for m in wanted if not catalog.get(m))
        assert not missing, f"{locale}: untranslated {missing}"
