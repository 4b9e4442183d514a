"""The suite's key pool (tests/keypool.py) must not make signatures meaningless."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cryptography.hazmat.primitives import serialization

from server.actors import keys
from tests.conftest import Instance
from tests.keypool import POOL
from tests.network import FakeMastodon, Network


async def test_every_actor_and_fake_peer_in_a_test_gets_its_own_key(
    make_instance: Callable[..., Awaitable[Instance]], network: Network
) -> None:
    brest = await make_instance("brest.example")
    marseille = await make_instance("marseille.example")
    pems = [
        row["public_key_pem"]
        for instance in (brest, marseille)
        for row in await instance.sql("SELECT public_key_pem FROM actors WHERE local")
    ]
    fake = FakeMastodon(network)
    pems.append(
        fake.key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert len(pems) >= 3
    assert len(set(pems)) == len(pems)


def test_production_key_source_makes_fresh_keys() -> None:
    assert keys.fresh_keys().private_key_pem != keys.fresh_keys().private_key_pem
    pooled = {key.material.private_key_pem for key in POOL.made}
    assert keys.fresh_keys().private_key_pem not in pooled
