"""Key material for local actors: generated once, stored in PostgreSQL, loaded once.

Loading an RSA private key from PEM costs tens of milliseconds, so loaded key objects are
kept in memory for the life of the process and PEM is never parsed per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bovine.crypto import generate_ed25519_private_key, generate_rsa_public_private_key
from bovine.crypto.multibase import encode_public_key_to_multibase, multibase_to_private_key
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


@dataclass(frozen=True)
class NewKeys:
    public_key_pem: str
    private_key_pem: str
    ed25519_private: str
    """multibase/multicodec-encoded Ed25519 private key (bovine's format)."""


def fresh_keys() -> NewKeys:
    public_pem, private_pem = generate_rsa_public_private_key()
    return NewKeys(public_pem, private_pem, generate_ed25519_private_key())


key_source: Callable[[], NewKeys] = fresh_keys
"""Where new actors' keys come from: always `fresh_keys` in production; the test suite swaps
in a pool of pre-made keys (tests/keypool.py), since RSA generation costs ~50 ms a key."""


def generate_keys() -> NewKeys:
    return key_source()


@lru_cache(maxsize=64)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("stored actor key is not an RSA key")
    return key


@lru_cache(maxsize=64)
def ed25519_public_multibase(ed25519_private: str) -> str:
    key = multibase_to_private_key(ed25519_private)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError("stored assertion key is not an Ed25519 key")
    return str(encode_public_key_to_multibase(key.public_key()))
