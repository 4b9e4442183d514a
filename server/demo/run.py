"""`maillage demo`: start the network, seed it, wait until the circle has everything, print
where to look, and keep running until Ctrl-C or SIGTERM, then stop every process it started
(PostgreSQL last).

Steps, each shown as it ends: the embedded PostgreSQL and a database per instance; each
instance's territory, administrator and API token (`maillage territory set`, `create-admin`,
`token create`, against its own database); the `serve` and `worker` processes; the follows
(`maillage follow`, delivered and accepted through ActivityPub); the items, published through
each territory's JSON API; and the circle settled, when every published item of every
territory shows on its pages. A re-run finds what is done in each instance's `demo.json`
and does only the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import shutil
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server.demo import launcher
from server.demo import network as net
from server.demo import state as saved
from server.demo.cluster import Cluster
from server.demo.processes import Children, Memory, memory_of, port_is_free
from server.demo.watch import CircleReader, answers, following_count

READY_TIMEOUT = 90.0
SETTLE_TIMEOUT = 180.0
POLL_SECONDS = 0.25


class DemoError(Exception):
    """Something the person running the demo has to act on."""


@dataclass(frozen=True)
class Options:
    data: Path
    base_port: int
    reset: bool


def say(line: str = "") -> None:
    print(line, flush=True)


def _seconds(value: float) -> str:
    return f"{value:.1f} s"


def _megabytes(value: int) -> str:
    return f"{value / 1_048_576:.0f} MB"


def started_at() -> float:
    """When this process started (wall clock), so the figures count from the command."""
    import psutil

    try:
        return float(psutil.Process().create_time())
    except psutil.Error:
        return time.time()


class Demo:
    def __init__(self, options: Options, launcher: tuple[int, int, int]) -> None:
        self.options = options
        self.network = net.load(options.base_port)
        self.cluster = Cluster(options.data / "postgres")
        self.children = Children(options.data / "tmp", launcher)
        self.states = {i.slug: saved.load(self.folder(i)) for i in self.network.instances}
        self.began = started_at()
        self.seeded_now = 0

    def folder(self, instance: net.Instance) -> Path:
        return self.options.data / instance.slug

    def env(self, instance: net.Instance) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MAILLAGE_", "DATABASE_URL"))}
        env.update(
            MAILLAGE_DEV="1",
            MAILLAGE_DOMAIN=instance.domain,
            MAILLAGE_DATA=str(self.folder(instance)),
            MAILLAGE_TERRITORY=instance.slug,
            DATABASE_URL=self.cluster.dsn(f"maillage_{instance.slug}"),
            MAILLAGE_RETRY_BASE_SECONDS="2",
        )
        return env

    def save(self, instance: net.Instance) -> None:
        saved.save(self.folder(instance), self.states[instance.slug])

    def elapsed(self) -> float:
        return time.time() - self.began

    def step(self, message: str, since: float) -> None:
        took, at = _seconds(time.monotonic() - since), _seconds(self.elapsed())
        say(f"  ✓ {message} ({took}, at {at})")

    # ------------------------------------------------------------------------------ steps

    def check_ports(self) -> None:
        taken = [i.port for i in self.network.instances if not port_is_free(net.HOST, i.port)]
        if taken:
            raise DemoError(
                f"port(s) {', '.join(map(str, taken))} already in use: stop what uses them or "
                f"choose other ports with --base-port"
            )

    async def start_database(self) -> None:
        since = time.monotonic()
        await asyncio.to_thread(self.cluster.start)
        names = [f"maillage_{i.slug}" for i in self.network.instances]
        created = await self.cluster.ensure_databases(names)
        what = f"{len(created)} created" if created else "reused"
        self.step(f"PostgreSQL, one database per instance ({what})", since)

    async def _command(
        self, instance: net.Instance, *args: str, stdin: str | None = None, fine: str = "\0"
    ) -> str:
        """Run `maillage ARGS` for `instance`; its output. An error whose message holds
        `fine` counts as done (a step the interrupted run had finished, not recorded)."""
        code, out, err = await self.children.run(self.env(instance), *args, stdin=stdin)
        if code != 0 and fine not in err:
            raise DemoError(f"{instance.slug}: maillage {' '.join(args[:2])} failed:\n{err or out}")
        return out

    async def prepare_instance(self, instance: net.Instance) -> None:
        """Territory, administrator and token, each once."""
        state = self.states[instance.slug]
        if not state.territory_set:
            args = ["territory", "set", "--slug", instance.slug, "--name", instance.name,
                    "--summary", instance.summary, "--auto-approval",
                    "--relay" if instance.circle else "--no-relay"]
            if instance.place:
                args += ["--place", instance.place]
            if instance.latitude is not None and instance.longitude is not None:
                args += ["--lat", str(instance.latitude), "--lon", str(instance.longitude)]
            await self._command(instance, *args)
            state.territory_set = True
            self.save(instance)
        if state.password is None:
            password = secrets.token_urlsafe(12)
            await self._command(instance, "create-admin", instance.admin_email,
                                "--password-stdin", stdin=password + "\n")
            state.password = password
            self.save(instance)
        if state.token is None:
            out = await self._command(instance, "token", "create", instance.admin_email,
                                      "--name", "maillage demo")
            state.token = out.strip().splitlines()[0]
            self.save(instance)

    async def prepare_instances(self) -> None:
        since = time.monotonic()
        await asyncio.gather(*(self.prepare_instance(i) for i in self.network.instances))
        self.step("territories, administrators and API tokens", since)

    async def start_instances(self, client: httpx.AsyncClient) -> None:
        since = time.monotonic()
        for instance in self.network.instances:
            logs = self.folder(instance) / "logs"
            env = self.env(instance)
            await self.children.spawn(f"{instance.slug} web", env, logs / "serve.log", "serve",
                                      "--host", net.HOST, "--port", str(instance.port))
            await self.children.spawn(f"{instance.slug} worker", env, logs / "worker.log",
                                      "worker")
        waiting = {i.slug: f"{i.base_url}/healthz" for i in self.network.instances}
        deadline = time.monotonic() + READY_TIMEOUT
        while waiting:
            self.check_children()
            if time.monotonic() > deadline:
                raise DemoError(f"not answering after {READY_TIMEOUT:.0f} s: {', '.join(waiting)}")
            done = await asyncio.gather(*(answers(client, url) for url in waiting.values()))
            for slug, ok in zip(list(waiting), done, strict=True):
                if ok:
                    del waiting[slug]
            await asyncio.sleep(POLL_SECONDS)
        self.step(f"{len(self.network.instances)} instances up (web + worker each)", since)

    def check_children(self) -> None:
        dead = self.children.dead()
        if dead:
            raise DemoError(
                f"{', '.join(dead)} stopped; see the logs under {self.options.data}/*/logs/"
            )

    async def send_follow(self, instance: net.Instance, slug: str) -> None:
        state = self.states[instance.slug]
        if slug not in state.follows_sent:
            await self._command(instance, "follow", self.network.instance(slug).handle,
                                fine="already following")
            state.follows_sent.append(slug)
            self.save(instance)

    async def publish_items(self, client: httpx.AsyncClient, instance: net.Instance) -> None:
        """Every item of the data file not yet published, through the instance's JSON API
        (its pictures first put in its media folder, as an upload would be)."""
        state = self.states[instance.slug]
        items = self.network.items.get(instance.slug, [])
        media = self.folder(instance) / "media"
        media.mkdir(parents=True, exist_ok=True)
        for picture in {item["picture"] for item in items if item.get("picture")}:
            target = media / net.picture_file_name(picture)
            if not target.exists():
                shutil.copyfile(net.picture_path(picture), target)
        headers = {"Authorization": f"Bearer {state.token}"}
        if any(item["title"] not in state.published for item in items):
            await self.recover_published(client, instance, headers)
        now = datetime.now(UTC)
        for item in net.publishing_order(items):
            if item["title"] in state.published:
                continue
            initiatives = {i["key"]: state.published[i["title"]] for i in items
                           if i.get("key") and i["title"] in state.published}
            data = net.api_input(item, now=now, base_url=instance.base_url,
                                 initiatives=initiatives)
            kind = "initiatives" if item["kind"] == "initiative" else "events"
            response = await client.post(f"{instance.base_url}/api/v1/{kind}", json=data,
                                         headers=headers)
            if response.status_code != 201:
                raise DemoError(f"{instance.slug}: publishing {item['title']!r} failed: "
                                f"{response.status_code} {response.text}")
            state.published[item["title"]] = response.json()["iri"]
            self.seeded_now += 1
            self.save(instance)

    async def recover_published(
        self, client: httpx.AsyncClient, instance: net.Instance, headers: dict[str, str]
    ) -> None:
        """Items an interrupted run published without recording it, found by title among
        the instance's own items, so they are not published twice."""
        response = await client.get(f"{instance.base_url}/api/v1/objects?limit=500",
                                    headers=headers)
        if response.status_code != 200:
            raise DemoError(f"{instance.slug}: listing its items failed: {response.text}")
        state = self.states[instance.slug]
        for row in response.json():
            state.published.setdefault(row["title"], row["iri"])
        self.save(instance)

    async def follow(self, client: httpx.AsyncClient) -> None:
        """Send the follows and wait until each is accepted: published next, every item
        then reaches the circle as a `Create`, which the circle relays to its followers
        (an item the circle only backfilled from an outbox is not news, and is not relayed)."""
        since = time.monotonic()
        await asyncio.gather(
            *(self.send_follow(i, slug) for i in self.network.instances for slug in i.follows)
        )
        expected = {i.slug: len(i.follows) for i in self.network.instances}
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            self.check_children()
            counts = await asyncio.gather(
                *(following_count(client, i.actor_iri) for i in self.network.instances)
            )
            if all(c >= expected[i.slug] for i, c in zip(self.network.instances, counts,
                                                         strict=True)):
                break
            if time.monotonic() > deadline:
                raise DemoError("the follows were not all accepted in time; see the logs")
            await asyncio.sleep(POLL_SECONDS)
        self.step(f"{sum(expected.values())} follows accepted", since)

    async def publish(self, client: httpx.AsyncClient) -> None:
        since = time.monotonic()
        await asyncio.gather(*(self.publish_items(client, i) for i in self.network.instances))
        total = sum(len(s.published) for s in self.states.values())
        fresh = f"{self.seeded_now} now" if self.seeded_now else "all earlier"
        self.step(f"{total} initiatives and events published ({fresh})", since)

    def expected_on_circle(self) -> dict[str, net.Instance]:
        """IRI → territory, for every item the territories published."""
        return {iri: territory for territory in self.network.territories
                for iri in self.states[territory.slug].published.values()}

    async def wait_circle(self, client: httpx.AsyncClient) -> float:
        since = time.monotonic()
        circle = self.network.circle
        expected = self.expected_on_circle()
        reader = CircleReader(client, circle.base_url)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        shown = 0
        while True:
            self.check_children()
            present = await reader.refresh()
            have = sum(1 for iri in expected if iri in present)
            if have != shown:
                shown = have
                say(f"    the circle shows {have}/{len(expected)} items of the territories")
            if have == len(expected):
                break
            if time.monotonic() > deadline:
                missing = sorted(set(expected) - set(present))[:5]
                raise DemoError(f"the circle still lacks {len(expected) - have} items "
                                f"(e.g. {', '.join(missing)})")
            await asyncio.sleep(POLL_SECONDS)
        self.step(f"circle settled: every item of the {len(self.network.territories)} "
                  "territories", since)
        return self.elapsed()

    def memory(self) -> Memory:
        return memory_of([os.getpid(), *self.children.pids(), *self.cluster.pids()])

    def summary(self, settled: float, memory: Memory) -> None:
        say()
        say("Open:")
        for instance in self.network.instances:
            kind = "circle   " if instance.circle else "territory"
            say(f"  {kind} {instance.name:<36} {instance.base_url}/")
        say()
        say("Sign in at /login (administrator of each instance):")
        for instance in self.network.instances:
            state = self.states[instance.slug]
            say(f"  {instance.base_url}/login  {instance.admin_email}  {state.password}")
        say()
        what = "first run" if self.seeded_now else "restart with data"
        pss = f", {_megabytes(memory.pss)} proportional (PSS)" if memory.pss is not None else ""
        say(f"Network settled {_seconds(settled)} after the command ({what}).")
        say(f"Memory: {memory.processes} processes, {_megabytes(memory.rss)} resident (RSS){pss}.")
        say(f"Data and logs: {self.options.data}   Ctrl-C stops everything.")

    async def run(self) -> None:
        say(f"Maillage demo: {len(self.network.territories)} territories and a circle, "
            f"ports {self.network.instances[0].port}-{self.network.instances[-1].port}, "
            f"data in {self.options.data} (at {_seconds(self.elapsed())})")
        self.check_ports()
        await asyncio.gather(self.start_database(), self.children.start())
        async with httpx.AsyncClient(timeout=10.0) as client:
            await asyncio.gather(self.prepare_instances(), self.start_instances(client))
            await self.follow(client)
            await self.publish(client)
            settled = await self.wait_circle(client)
            self.summary(settled, self.memory())
            while True:
                self.check_children()
                await asyncio.sleep(1.0)

    async def shutdown(self) -> None:
        """Web and worker processes first, then PostgreSQL."""
        await self.children.stop_all()
        await asyncio.to_thread(self.cluster.stop)


async def _main(demo: Demo) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    received: list[int] = []

    def interrupt(sig: int) -> None:
        if not received:
            received.append(sig)
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt, sig)
    code = 0
    try:
        await demo.run()
    except asyncio.CancelledError:
        if not received:
            raise
        say("\nStopping the network…")
    except DemoError as exc:
        say(f"error: {exc}")
        code = 1
    finally:
        received.append(0)  # a second Ctrl-C must not cut the clean-up short
        await demo.shutdown()
        say("Stopped: every process the demo started has ended.")
    return code


def run(args: argparse.Namespace, entry: launcher.Entry) -> int:
    """`maillage demo`; `entry` is `server.cli.main`, which runs every command it starts."""
    options = Options(
        data=Path(args.data or Path(os.environ.get("MAILLAGE_DATA", "./data")) / "demo").resolve(),
        base_port=args.base_port,
        reset=args.reset,
    )
    if options.reset and options.data.exists():
        shutil.rmtree(options.data)
        say(f"--reset: {options.data} removed")
    forked = launcher.fork(entry)  # first: no thread nor event loop may exist yet
    logging.getLogger("httpx").setLevel(logging.WARNING)
    demo = Demo(options, forked)
    try:
        return asyncio.run(_main(demo))
    finally:
        demo.cluster.stop()  # already stopped, unless the loop itself failed


def add_parser(
    sub: argparse._SubParsersAction, entry: launcher.Entry  # type: ignore[type-arg]
) -> None:
    demo = sub.add_parser(
        "demo", help="run a demo network: four territories and a circle on 127.0.0.1"
    )
    demo.add_argument("--base-port", type=int, default=8000,
                      help="first of the five consecutive ports (default 8000)")
    demo.add_argument("--data", help="folder for the demo's data (default $MAILLAGE_DATA/demo)")
    demo.add_argument("--reset", action="store_true",
                      help="delete the demo's data first and start over")
    demo.set_defaults(func=lambda settings, args: run(args, entry), needs_settings=False)
