"""RSA signatures of deliveries made in a child process, so the worker's own core is left
for HTTP and PostgreSQL.

In the fan-out profile (bench part 3) RSA signing was about half of the worker's CPU, and
`cryptography` keeps the GIL while it signs, so threads gain nothing: a process does. The
worker prepares each POST's headers (`HttpSignatureAuth.prepare_post`), the child signs a
claim's signature bases in one call while the worker goes on posting the previous claim,
and `complete` puts the signatures in. The child gets the key's PEM with each call and
parses it once. A claim smaller than `min_batch` is signed in place (one round trip to the
child costs about what a signature does); if the child dies, the claim is signed in place
and a new child is started for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from federation.httpsig import HttpSignatureAuth, UnsignedPost

log = logging.getLogger(__name__)

_KEYS: dict[bytes, rsa.RSAPrivateKey] = {}
"""In the child: the keys it was given, parsed once."""


def _child_start(parent: int) -> None:
    """In the child: Ctrl-C reaches the whole process group, and the worker stops the child
    itself; a worker killed outright (SIGKILL, OOM) cannot, so the child watches for it and
    ends when its parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def sign_bases(pem: bytes, bases: list[bytes]) -> list[bytes]:
    """In the child: RSA PKCS#1 v1.5 SHA-256 signatures of `bases`, as `sign_base` makes."""
    if not bases:
        return []
    key = _KEYS.get(pem)
    if key is None:
        loaded = load_pem_private_key(pem, password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        key = _KEYS[pem] = loaded
    return [key.sign(base, padding.PKCS1v15(), hashes.SHA256()) for base in bases]


def processes_for(requested: int | None, cores: int | None) -> int:
    """How many signing processes a worker starts: as asked, or (None) one when the machine
    has a second core for it."""
    if requested is not None:
        return requested
    return 1 if (cores or 1) > 1 else 0


class SigningPool:
    """Signs prepared POSTs, in a child process when there is one (`processes` ≥ 1)."""

    def __init__(self, processes: int = 1, *, min_batch: int = 8) -> None:
        self.processes = processes
        self.min_batch = min_batch
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_start, initargs=(os.getpid(),),
            )
        return self._executor

    async def start(self) -> None:
        """Start the process now (the worker's start), not on the first large claim."""
        if self.processes >= 1:
            await asyncio.get_running_loop().run_in_executor(self._pool(), sign_bases, b"", [])

    async def headers(
        self, signer: HttpSignatureAuth, posts: list[UnsignedPost]
    ) -> list[dict[str, str]]:
        """Each POST's headers, signed."""
        signatures: list[bytes] | None = None
        if self.processes >= 1 and len(posts) >= self.min_batch:
            try:
                signatures = await asyncio.get_running_loop().run_in_executor(
                    self._pool(), sign_bases, signer.private_pem, [p.base for p in posts]
                )
            except (BrokenProcessPool, OSError) as exc:
                log.warning("signing process lost (%r): signing here, starting another", exc)
                self._executor = None
        if signatures is None:
            signatures = [signer.sign_base(p.base) for p in posts]
        return [signer.complete(p, s) for p, s in zip(posts, signatures, strict=True)]

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
