"""Loaded private keys of local actors, ready to sign: PEM is parsed once per process."""

from __future__ import annotations

import asyncpg

from federation.httpsig import HttpSignatureAuth
from server.actors.keys import load_private_key
from server.store import actors as store


class Signers:
    """Loaded private keys of local actors, by actor id: PEM is parsed once per process."""

    def __init__(self) -> None:
        self._keys: dict[str, HttpSignatureAuth] = {}

    async def for_actor(
        self, conn: asyncpg.Connection, actor_iri: str, *, rfc9421: bool = False
    ) -> HttpSignatureAuth:
        cache_key = f"{actor_iri} {rfc9421}"
        signer = self._keys.get(cache_key)
        if signer is None:
            row = await store.local_signing_key(conn, actor_iri)
            if row is None:
                raise LookupError(f"{actor_iri} is not a local actor")
            signer = HttpSignatureAuth(
                row["public_key_id"], load_private_key(row["private_key_pem"]), rfc9421=rfc9421
            )
            self._keys[cache_key] = signer
        return signer

    async def instance(self, conn: asyncpg.Connection) -> HttpSignatureAuth:
        row = await store.instance_actor(conn)
        assert row is not None
        return await self.for_actor(conn, row["iri"])
