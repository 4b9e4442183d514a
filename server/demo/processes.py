"""The demo's child processes: every `maillage` command forked by the launcher
(`server.demo.launcher`), each in its own session, all stopped together when the demo ends;
and their memory added up.

Each child has its own session, so a Ctrl-C in the terminal reaches the demo alone and the
demo stops its children in order (web and worker processes first, PostgreSQL last). On
Linux the launcher gets SIGTERM if the demo dies without cleaning up (SIGKILL), and its
children if it dies (`PR_SET_PDEATHSIG`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

STOP_TIMEOUT = 15.0
"""Seconds a process has to stop after SIGTERM before it is killed."""
COMMAND_TIMEOUT = 120.0


class LauncherError(RuntimeError):
    pass


class Children:
    """Every process the demo started, through one launcher."""

    def __init__(self, scratch: Path, launcher: tuple[int, int, int]) -> None:
        """`launcher`: (pid, requests fd, replies fd) of the launcher the demo forked."""
        self.scratch = scratch
        """Where a command's output waits until the demo reads it."""
        self.names: dict[int, str] = {}
        """pid → what a long-running process is (for messages)."""
        self.exits: dict[int, asyncio.Future[int]] = {}
        self._launcher: int | None = launcher[0]
        """The launcher's pid (a child of the demo process)."""
        self._requests: BinaryIO = os.fdopen(launcher[1], "wb")
        self._replies_fd = launcher[2]
        self._replies: asyncio.StreamReader | None = None
        self._reader: asyncio.Task[None] | None = None
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._ready: asyncio.Future[int] | None = None
        self._next = 0

    async def start(self) -> None:
        """Listen to the launcher; return once it has imported what its children need."""
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        replies = self._replies = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(replies), os.fdopen(self._replies_fd, "rb")
        )
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready, 60)

    def _exit_future(self, pid: int) -> asyncio.Future[int]:
        if pid not in self.exits:
            self.exits[pid] = asyncio.get_running_loop().create_future()
        return self.exits[pid]

    async def _read(self) -> None:
        assert self._replies is not None
        async for line in self._replies:
            message = json.loads(line)
            if "ready" in message and self._ready and not self._ready.done():
                self._ready.set_result(int(message["ready"]))
            elif "exited" in message:
                future = self._exit_future(int(message["exited"]))
                if not future.done():
                    future.set_result(int(message["code"]))
            elif "id" in message:
                self._forks.pop(int(message["id"])).set_result(int(message["pid"]))
        failure = LauncherError("the launcher stopped")
        waiting = [self._ready] if self._ready is not None else []
        for future in [*waiting, *self._forks.values()]:
            if not future.done():
                future.set_exception(failure)

    async def _fork(self, argv: list[str], env: dict[str, str], stdout: Path,
                    stderr: Path | None, stdin: str | None) -> int:
        self._next += 1
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._forks[self._next] = future
        request: dict[str, Any] = {
            "id": self._next, "argv": argv, "env": env, "stdin": stdin,
            "stdout": str(stdout), "stderr": str(stderr) if stderr else None,
        }
        self._requests.write((json.dumps(request) + "\n").encode())
        self._requests.flush()
        pid = await future
        self._exit_future(pid)
        return pid

    async def spawn(self, name: str, env: dict[str, str], log: Path, *args: str) -> int:
        """A long-running `maillage` process, its output appended to `log`."""
        log.parent.mkdir(parents=True, exist_ok=True)
        pid = await self._fork(list(args), env, log, None, None)
        self.names[pid] = name
        return pid

    async def run(
        self, env: dict[str, str], *args: str, stdin: str | None = None
    ) -> tuple[int, str, str]:
        """A `maillage` command to its end: (exit code, stdout, stderr)."""
        self.scratch.mkdir(parents=True, exist_ok=True)
        out = self.scratch / f"{uuid.uuid4()}.out"
        err = out.with_suffix(".err")
        try:
            pid = await self._fork(list(args), env, out, err, stdin)
            try:
                code = await asyncio.wait_for(asyncio.shield(self.exits[pid]), COMMAND_TIMEOUT)
            finally:
                if not self.exits[pid].done():
                    _signal_group(pid, signal.SIGKILL)
            return code, _read_text(out), _read_text(err)
        finally:
            for path in (out, err):
                path.unlink(missing_ok=True)

    def dead(self) -> list[str]:
        """The long-running processes that have ended on their own."""
        return [name for pid, name in self.names.items() if self.exits[pid].done()]

    def pids(self) -> list[int]:
        live = [pid for pid, future in self.exits.items() if not future.done()]
        return [self._launcher, *live] if self._launcher else live

    async def stop_all(self) -> None:
        """SIGTERM to every process group, SIGKILL to what is left after `STOP_TIMEOUT`,
        then the launcher."""
        live = {pid: future for pid, future in self.exits.items() if not future.done()}
        for pid in live:
            _signal_group(pid, signal.SIGTERM)
        if live:
            _, pending = await asyncio.wait(live.values(), timeout=STOP_TIMEOUT)
            for pid, future in live.items():
                if future in pending:
                    _signal_group(pid, signal.SIGKILL)
            if pending:
                await asyncio.wait(pending, timeout=5)
        if self._launcher is not None:
            launcher, self._launcher = self._launcher, None
            self._requests.close()  # the launcher ends when its requests end
            if not await asyncio.to_thread(_reaped, launcher, 10.0):
                _signal_group(launcher, signal.SIGKILL)
                await asyncio.to_thread(_reaped, launcher, 5.0)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, LauncherError):
                await self._reader


def _reaped(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` for our child `pid` to end, and collect it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return True
        if done:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return ""


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group the child leads (its own session), so anything it started
    goes too."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class Memory:
    rss: int
    """Bytes resident, added over the processes (pages shared between them counted in each,
    so more than the RAM they hold together)."""
    pss: int | None
    """Proportional set size added up: each shared page split between its users, so the
    sum is what the processes hold in RAM together (Linux only)."""
    processes: int


def memory_of(pids: Iterable[int]) -> Memory:
    import psutil

    rss, pss, count, pss_known = 0, 0, 0, True
    for pid in set(pids):
        try:
            process = psutil.Process(pid)
            memory = process.memory_info()
        except psutil.Error:
            continue
        count += 1
        rss += memory.rss
        try:
            full = process.memory_full_info()
        except psutil.Error:
            full = None
        if full is None or getattr(full, "pss", None) is None:
            pss_known = False
        else:
            pss += full.pss
    return Memory(rss, pss if pss_known else None, count)
