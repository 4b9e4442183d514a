"""`maillage demo` as a newcomer runs it: a real network of processes that settles with every
territory's items on the circle, takes a new event from a territory's web form within
seconds, restarts on its data without publishing twice, and leaves nothing running after
Ctrl-C or SIGTERM. Everything is checked over HTTP, as a visitor sees it."""

from __future__ import annotations

import html
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

from server.demo import network as net
from server.demo.processes import port_is_free
from server.demo.watch import CircleReader, ShownItem, item_links, parse_item_page

AS2 = {"Accept": "application/activity+json"}
BROWSER = {"Accept": "text/html"}
SETTLE_TIMEOUT = 150.0
LOGIN = re.compile(r"^\s+(http://\S+)/login\s+(\S+)\s+(\S+)$")


@dataclass
class RunningDemo:
    proc: subprocess.Popen[str]
    data: Path
    network: net.Network
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def close(self) -> None:
        """After the process ended: the last lines read, the pipe closed."""
        if self.reader is not None:
            self.reader.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def wait_for(self, prefix: str, timeout: float = SETTLE_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if line.startswith(prefix):
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {prefix!r} line; the demo said:\n" + "\n".join(self.lines))

    def logins(self) -> dict[str, tuple[str, str]]:
        """Base URL → (email, password), as printed."""
        found = {}
        for line in self.lines:
            match = LOGIN.match(line)
            if match:
                found[match.group(1)] = (match.group(2), match.group(3))
        return found

    def processes(self) -> list[psutil.Process]:
        """The demo, everything it started, and the PostgreSQL server with its children."""
        found = [psutil.Process(self.proc.pid)]
        found += found[0].children(recursive=True)
        postmaster = int((self.data / "postgres" / "postmaster.pid").read_text().split()[0])
        found.append(psutil.Process(postmaster))
        found += found[-1].children(recursive=True)
        return found


def five_free_ports() -> int:
    for _ in range(50):
        base = random.randrange(20000, 60000)
        if all(port_is_free(net.HOST, base + n) for n in range(5)):
            return base
    raise AssertionError("no five consecutive free ports")


def start_demo(data: Path, base_port: int) -> RunningDemo:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILLAGE_", "DATABASE_URL"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "demo", "--base-port", str(base_port),
         "--data", str(data)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    demo = RunningDemo(proc, data, net.load(base_port))
    demo.reader = threading.Thread(target=demo.read, daemon=True)
    demo.reader.start()
    return demo


def stop_and_check_nothing_left(demo: RunningDemo, sig: signal.Signals) -> None:
    processes = demo.processes()
    assert len(processes) > 20, processes  # 10 maillage processes, PostgreSQL and its own
    demo.proc.send_signal(sig)
    code = demo.proc.wait(timeout=60)
    demo.close()
    assert code == 0, "\n".join(demo.lines)
    _gone, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == [], [(p.pid, p.cmdline()) for p in alive]
    for instance in demo.network.instances:
        assert port_is_free(net.HOST, instance.port), instance.port
    assert demo.lines[-1].startswith("Stopped"), demo.lines[-3:]


def circle_items(demo: RunningDemo) -> dict[str, ShownItem]:
    import asyncio

    async def read() -> dict[str, ShownItem]:
        async with httpx.AsyncClient(timeout=10) as client:
            return await CircleReader(client, demo.network.circle.base_url).refresh()

    return asyncio.run(read())


def outbox_items(instance: net.Instance) -> list[dict[str, object]]:
    """A territory's own publications, from its outbox (AS2, paged)."""
    url: str | None = f"{instance.actor_iri}/outbox?page=true"
    items: list[dict[str, object]] = []
    while url:
        page = httpx.get(url, headers=AS2).json()
        items += [activity["object"] for activity in page["orderedItems"]]
        url = page.get("next")
    return items


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    demo = start_demo(tmp_path_factory.mktemp("demo") / "data", five_free_ports())
    try:
        yield demo
    finally:
        if demo.proc.poll() is None:
            demo.proc.terminate()
            demo.proc.wait(timeout=60)
        demo.close()


def test_demo_settles_with_every_territory_item_on_the_circle_then_ctrl_c_stops_all(
    first_run: RunningDemo,
) -> None:
    demo = first_run
    settled = demo.wait_for("Network settled")
    assert "(first run)" in settled
    assert any(line.startswith("Memory:") for line in demo.lines)

    shown = circle_items(demo)
    for territory in demo.network.territories:
        published = outbox_items(territory)
        assert len(published) == len(demo.network.items[territory.slug])
        for obj in published:
            item = shown.get(str(obj["id"]))
            assert item is not None, f"{obj['name']} of {territory.slug} not on the circle"
            assert item.author_url == territory.profile_url
            assert item.title == obj["name"]
            assert item.image_url and item.image_url.startswith(f"{territory.base_url}/media/")
    picture = httpx.get(next(iter(shown.values())).image_url or "")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    feed_map_and_agenda_hold_every_item(demo)

    marseille_on_rennes_through_the_circle(demo)
    brest = demo.network.instance("brest")
    email, password = demo.logins()[brest.base_url]
    new_event_reaches_the_circle_within_5_s(demo, brest, email, password)

    stop_and_check_nothing_left(demo, signal.SIGINT)


def feed_map_and_agenda_hold_every_item(demo: RunningDemo) -> None:
    """The circle's JSON feed, map data and agenda: every territory's items, each under its
    territory, with its picture; on the map those with a place, in the agenda the events
    still to come."""
    circle = demo.network.circle.base_url
    feed = httpx.get(f"{circle}/feed.json").json()["items"]
    by_id = {item["id"]: item for item in feed}
    features = httpx.get(f"{circle}/feed.geojson").json()["features"]
    on_map = {(f["properties"]["title"], f["properties"]["territory"]) for f in features}
    agenda = html.unescape(httpx.get(f"{circle}/agenda").text)
    for territory in demo.network.territories:
        for obj in outbox_items(territory):
            item = by_id[str(obj["id"])]
            assert item["authors"][0]["url"] == territory.actor_iri
            assert str(item["image"]).startswith(f"{territory.base_url}/media/")
            if "latitude" in (obj.get("location") or {}):
                assert (obj["name"], territory.name) in on_map
        for data in demo.network.items[territory.slug]:
            if data["kind"] == "event" and data["day"] >= 0:
                assert data["title"] in agenda, data["title"]


def marseille_on_rennes_through_the_circle(demo: RunningDemo) -> None:
    """Rennes follows Brest and the circle, not Marseille: Marseille's items reach it as the
    circle's announces (FEP-1b12), shown with their author and "via" the circle."""
    import asyncio

    rennes, marseille = demo.network.instance("rennes"), demo.network.instance("marseille")
    circle = demo.network.circle
    wanted = len(demo.network.items["marseille"])
    deadline = time.monotonic() + 15
    while True:
        async def read() -> dict[str, ShownItem]:
            async with httpx.AsyncClient(timeout=10) as client:
                return await CircleReader(client, rennes.base_url).refresh()

        items = [i for i in asyncio.run(read()).values() if i.author_url == marseille.profile_url]
        if len(items) == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(items) == wanted
    page = httpx.get(f"{rennes.base_url}/items/{items[0].id}").text
    assert f'class="via">via <a href="{circle.profile_url}"' in page


def new_event_reaches_the_circle_within_5_s(
    demo: RunningDemo, brest: net.Instance, email: str, password: str
) -> None:
    with httpx.Client(base_url=brest.base_url, headers=BROWSER, timeout=10) as browser:
        form = browser.get("/login")
        signed_in = browser.post("/login", data={
            "csrf": csrf_of(form.text), "email": email, "password": password,
        })
        assert signed_in.status_code == 303, signed_in.text
        form = browser.get("/edit/events/new")
        day = (date.today() + timedelta(days=2)).isoformat()
        picture = net.picture_path("rencontre").read_bytes()
        sent = browser.post(
            "/edit/events/new",
            data={"csrf": csrf_of(form.text), "title": "Café des contributeurs du port",
                  "summary": "Un café pour se rencontrer.", "themes": ["tiers-lieux"],
                  "place_name": "Port de commerce", "latitude": "48,3830",
                  "longitude": "-4.4750", "start": f"{day}T18:00", "end": f"{day}T20:00",
                  "timezone": "Europe/Paris", "status": "confirmed",
                  "image_alt": "Des bulles de dialogue"},
            files={"image": ("cafe.png", picture, "image/png")},
        )
        assert sent.status_code == 303, sent.text
    published = time.monotonic()
    circle = demo.network.circle.base_url
    while time.monotonic() - published < 5.0:
        page = httpx.get(f"{circle}/themes/tiers-lieux")
        for number in item_links(page.text):
            item = parse_item_page(number, httpx.get(f"{circle}/items/{number}").text)
            if item and item.title == "Café des contributeurs du port":
                assert item.author_url == brest.profile_url
                assert item.image_url and item.image_url.startswith(f"{brest.base_url}/media/")
                return
        time.sleep(0.1)
    raise AssertionError("the event published through Brest's form did not reach the circle")


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page
    return html.unescape(match.group(1))


def test_demo_restarts_on_its_data_without_publishing_twice_then_sigterm_stops_all(
    first_run: RunningDemo,
) -> None:
    if first_run.proc.poll() is None:
        first_run.wait_for("Network settled")
        first_run.proc.send_signal(signal.SIGINT)
        first_run.proc.wait(timeout=60)
    first_run.close()
    demo = start_demo(first_run.data, first_run.network.instances[0].port)
    try:
        settled = demo.wait_for("Network settled")
        assert "(restart with data)" in settled
        brest = demo.network.instance("brest")
        # the data file's items once each, and the event from the form if the first test ran
        titles = [str(obj["name"]) for obj in outbox_items(brest)]
        assert len(titles) == len(set(titles))
        assert set(titles) >= {item["title"] for item in demo.network.items["brest"]}
        stop_and_check_nothing_left(demo, signal.SIGTERM)
    finally:
        if demo.proc.poll() is None:
            demo.proc.kill()
            demo.proc.wait()
        demo.close()
