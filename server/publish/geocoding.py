"""Address search for the editor, through the Base Adresse Nationale (api-adresse.data.gouv.fr).

The BAN answers `GET /search/?q=…&limit=5` with a GeoJSON FeatureCollection: each feature
has `geometry.coordinates` [longitude, latitude] and `properties` (`label` "8 Boulevard du
Port 80000 Amiens", `name`, `postcode`, `city`, `score`…). `parse_results` (pure) keeps what
the form needs and drops anything malformed; `search` asks the configured server (the
setting `geocoder_url`, so tests and other countries' services can stand in) with a short
timeout, and answers an empty list when it cannot: the editor can still type coordinates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from federation.errors import FetchError

log = logging.getLogger(__name__)

MAX_QUERY = 200
MAX_RESULTS = 5
TIMEOUT = 5.0


@dataclass(frozen=True)
class Address:
    label: str
    name: str
    postcode: str
    city: str
    latitude: float
    longitude: float

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "name": self.name, "postcode": self.postcode,
                "city": self.city, "latitude": self.latitude, "longitude": self.longitude}


def _number(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if -bound <= value <= bound else None


def _text(value: Any, limit: int = 300) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_results(document: Any) -> list[Address]:
    """The addresses of a BAN answer, best first; malformed features are skipped."""
    features = document.get("features") if isinstance(document, dict) else None
    found: list[Address] = []
    for feature in features if isinstance(features, list) else []:
        if not isinstance(feature, dict):
            continue
        geometry = feature.get("geometry") or {}
        properties = feature.get("properties") or {}
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(properties, dict) or not isinstance(coordinates, list):
            continue
        if len(coordinates) < 2:
            continue
        longitude, latitude = _number(coordinates[0], 180), _number(coordinates[1], 90)
        label = _text(properties.get("label"))
        if longitude is None or latitude is None or not label:
            continue
        found.append(Address(label, _text(properties.get("name")),
                             _text(properties.get("postcode"), 10),
                             _text(properties.get("city"), 100), latitude, longitude))
        if len(found) == MAX_RESULTS:
            break
    return found


async def search(http: httpx.AsyncClient, url: str, query: str) -> list[Address]:
    """Addresses matching `query` (3 characters at least, as the BAN requires)."""
    query = " ".join(query.split())[:MAX_QUERY]
    if len(query) < 3:
        return []
    try:
        response = await http.get(
            url, params={"q": query, "limit": str(MAX_RESULTS)}, timeout=TIMEOUT,
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200 or len(response.content) > 500_000:
            return []
        return parse_results(response.json())
    except (httpx.HTTPError, FetchError, ValueError) as exc:  # FetchError: ForbiddenAddress
        log.info("address search failed: %s", exc)
        return []
