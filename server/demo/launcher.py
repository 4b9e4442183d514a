"""The demo's launcher: one Python process that imports Maillage once, then forks each
`maillage` command the demo asks for (`serve`, `worker`, `territory set`, …).

Ten web and worker processes and a dozen set-up commands each importing the same modules
would cost the demo a second of CPU apiece and ~70 MB of private memory apiece; forked from
a process that has already imported them (and frozen them out of the garbage collector's
reach), they start at once and share those pages. Each child is still its own
`maillage COMMAND` process: `server.cli.main(argv)` with its own environment, session and
log file, exactly what the console script runs.

The demo forks the launcher from itself (`fork()`), so even the launcher starts without
importing anything, and hands it `server.cli.main` (the demo sits below the command line).

Protocol, one JSON object per line. Requests on stdin:
`{"id": N, "argv": [...], "env": {...}, "stdout": PATH, "stderr": PATH, "stdin": TEXT|null}`.
Replies on stdout: `{"id": N, "pid": PID}` once forked, `{"exited": PID, "code": C}` when a
child ends. The launcher ends when its stdin closes; a child gets SIGTERM if the launcher
dies (Linux), and the launcher if the demo dies.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import random
import select
import signal
import sys
from collections.abc import Callable
from typing import Any

Entry = Callable[[list[str]], int]
"""`server.cli.main`, handed in by the command line (the demo sits below it)."""

PRELOAD = (
    "server.app", "server.worker", "uvicorn", "uvicorn.main",
    "uvicorn.loops.auto", "uvicorn.loops.uvloop", "uvloop", "httptools",
    "uvicorn.protocols.http.auto", "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.http.h11_impl", "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on", "argon2",
)


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _redirect(fd: int, path: str | None, flags: int) -> None:
    target = os.open(path or os.devnull, flags, 0o600)
    os.dup2(target, fd)
    os.close(target)


def _child(request: dict[str, Any], entry: Entry) -> None:
    """In the forked child: become `maillage ARGV`, then leave without running the
    launcher's exit handlers."""
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if request.get("stdin") is not None:
            read, write = os.pipe()
            os.write(write, request["stdin"].encode())
            os.close(write)
            os.dup2(read, 0)
            os.close(read)
        else:
            _redirect(0, None, os.O_RDONLY)
        append = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        _redirect(1, request.get("stdout"), append)
        _redirect(2, request.get("stderr") or request.get("stdout"), append)
        os.environ.clear()
        os.environ.update(request["env"])
        random.seed()
        try:
            code = int(entry(request["argv"]))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            import logging

            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reply({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def serve(entry: Entry) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the demo decides when things stop
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    gc.collect()
    gc.freeze()
    _reply({"ready": os.getpid()})
    buffer = b""
    while True:
        readable, _, _ = select.select([0], [], [], 0.1)
        _reap()
        if not readable:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _child(request, entry)
            _reply({"id": request["id"], "pid": pid})
    while True:  # stdin closed: the demo is stopping; wait for what is left
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        _reply({"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def fork(entry: Entry) -> tuple[int, int, int]:
    """Fork the launcher from the calling process, which has already imported most of
    Maillage (the demo runs inside `maillage`): (pid, fd to write requests to, fd to read
    replies from). Call it before any thread or event loop exists."""
    sys.stdout.flush()
    sys.stderr.flush()
    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            os.dup2(requests_read, 0)
            os.dup2(replies_write, 1)
            for fd in (requests_read, requests_write, replies_read, replies_write):
                os.close(fd)
            serve(entry)
        finally:
            os._exit(0)
    os.close(requests_read)
    os.close(replies_write)
    return pid, requests_write, replies_read

