"""One typed settings object, read from the environment once and passed explicitly.

Every field is documented in `.env.example`; nothing else in the code reads `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from federation.vocab import DEFAULT_TIMEZONE

_DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")


class SettingsError(ValueError):
    """A setting has a value the program cannot run with."""


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"MAILLAGE_TIMEZONE {value!r} is not an IANA time zone") from None
    return value.strip()


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    domain: str
    """Public host of the instance, with the port when it is not the default one."""
    data_dir: Path
    """Folder for the embedded PostgreSQL and uploaded files."""
    database_url: str | None
    """PostgreSQL DSN; when unset an embedded PostgreSQL runs under `data_dir/postgres`."""
    dev: bool
    """Development mode: plain http and private addresses allowed (local networks, tests)."""
    max_body_bytes: int = 1_000_000
    """Largest request body an endpoint accepts."""
    retry_base_seconds: float = 60.0
    """First delivery retry delay; doubles on each failure (tests make it short)."""
    worker_poll_seconds: float = 1.0
    """How often an idle worker looks for due work."""
    delivery_lease_seconds: float = 60.0
    """How long a claimed delivery stays reserved to its worker; after a crash, another
    worker takes it over once this has passed (it may then be sent twice: receivers
    de-duplicate by activity id)."""
    signing_processes: int | None = None
    """Processes beside each worker that sign its deliveries (server/deliver/signing.py);
    None: one when the machine has a second core, else none (0 signs in the worker)."""
    timezone: str = DEFAULT_TIMEZONE
    """The zone the reader's dates are read in (`from`/`to`, the month grid, "today")."""
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    """Map tiles the reader's browser loads (a Leaflet URL template)."""
    tile_attribution: str = "© OpenStreetMap contributors"
    """Credit shown on the map, as the tile provider requires."""
    geocoder_url: str = "https://api-adresse.data.gouv.fr/search/"
    """Address search for the editor's place field: the Base Adresse Nationale's API (or any
    server answering its GeoJSON shape), asked by this server, never by the browser."""

    @property
    def scheme(self) -> str:
        """Production instances are reached over https only; dev mode speaks plain http."""
        return "http" if self.dev else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dev = _flag(env.get("MAILLAGE_DEV"))
        domain = env.get("MAILLAGE_DOMAIN", "").strip().lower()
        if not domain:
            if not dev:
                raise SettingsError(
                    "MAILLAGE_DOMAIN is required (the public host, e.g. brest.example); "
                    "set MAILLAGE_DEV=1 to run locally on 127.0.0.1:8000"
                )
            domain = "127.0.0.1:8000"
        if not _DOMAIN_RE.match(domain):
            raise SettingsError(
                f"MAILLAGE_DOMAIN {domain!r} is not a host name (with optional :port)"
            )
        host = domain.rsplit(":", 1)[0]
        if not dev and (host in {"localhost"} or re.fullmatch(r"[0-9.]+", host)):
            raise SettingsError(
                f"MAILLAGE_DOMAIN {domain!r} is a local address; that needs MAILLAGE_DEV=1"
            )
        return cls(
            domain=domain,
            data_dir=Path(env.get("MAILLAGE_DATA", "./data")).resolve(),
            database_url=env.get("DATABASE_URL") or None,
            dev=dev,
            max_body_bytes=int(env.get("MAILLAGE_MAX_BODY_BYTES", "1000000")),
            retry_base_seconds=float(env.get("MAILLAGE_RETRY_BASE_SECONDS", "60")),
            worker_poll_seconds=float(env.get("MAILLAGE_WORKER_POLL_SECONDS", "1")),
            delivery_lease_seconds=float(env.get("MAILLAGE_DELIVERY_LEASE_SECONDS", "60")),
            signing_processes=_count_or_auto(env.get("MAILLAGE_SIGNING_PROCESSES", "auto")),
            timezone=_zone_name(env.get("MAILLAGE_TIMEZONE", DEFAULT_TIMEZONE)),
            tile_url=env.get("MAILLAGE_TILE_URL", cls.tile_url),
            tile_attribution=env.get("MAILLAGE_TILE_ATTRIBUTION", cls.tile_attribution),
            geocoder_url=env.get("MAILLAGE_GEOCODER_URL", cls.geocoder_url),
        )


def _count_or_auto(value: str) -> int | None:
    if value.strip().lower() in ("", "auto"):
        return None
    try:
        count = int(value)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(
            f"MAILLAGE_SIGNING_PROCESSES must be a count (0 or more) or 'auto', not {value!r}")
    return count
