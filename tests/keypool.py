"""Pre-made key pairs shared by the whole pytest run.

Generating an RSA-2048 key costs about 40-50 ms and loading its PEM about as much again; each
instance makes two actors (the instance actor and the territory) and each fake Mastodon one
key, so a suite of a few hundred tests spent tens of seconds on keys alone. Keys are made on
demand, once per run, and dealt out again to every test in the same order.

Within one test every key dealt is distinct (the dealer never goes back), so signatures
between two instances, or between an instance and a fake peer, still prove what they prove.
Across tests keys repeat, which is harmless: each test has its own databases and network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from server.actors import keys


@dataclass(frozen=True)
class PooledKey:
    material: keys.NewKeys
    private_key: rsa.RSAPrivateKey
    """The loaded RSA key, for fakes that sign with a key object rather than PEM."""


@dataclass
class KeyPool:
    """The run's keys, grown when a test needs more than any test before it."""

    made: list[PooledKey] = field(default_factory=list)

    def nth(self, index: int) -> PooledKey:
        while len(self.made) <= index:
            material = keys.fresh_keys()
            self.made.append(PooledKey(material, keys.load_private_key(material.private_key_pem)))
        return self.made[index]

    def dealer(self) -> KeyDealer:
        return KeyDealer(self)


@dataclass
class KeyDealer:
    """One test's view of the pool: each call hands out the next key, never one twice."""

    pool: KeyPool
    dealt: int = 0

    def next(self) -> PooledKey:
        key = self.pool.nth(self.dealt)
        self.dealt += 1
        return key

    def new_keys(self) -> keys.NewKeys:
        """Drop-in for `server.actors.keys.fresh_keys`."""
        return self.next().material

    def rsa_key(self) -> rsa.RSAPrivateKey:
        return self.next().private_key


POOL = KeyPool()
"""One pool per process (a pytest run, or one xdist worker)."""
