"""Headless Chromium (Debian's package) driven by Playwright, against real server processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Function-scoped, and listed after the database fixtures in a test's arguments:
    Playwright's sync API keeps an event loop running in this thread, and pytest-asyncio
    must set up its async fixtures before that loop starts."""
    assert Path(CHROMIUM).exists(), "run.sh test installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()
