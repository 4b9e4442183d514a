"""A small network to read: Brest (local) with its items, and items received from Marseille
and Quimper, each chosen so that every filter keeps a different subset."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.conftest import Instance

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
MARSEILLE = "https://marseille.example/actors/marseille"
QUIMPER = "https://quimper.example/actors/quimper"
BREST_XY = (48.39, -4.49)
QUIMPER_XY = (47.996, -4.102)
MARSEILLE_XY = (43.30, 5.37)
NEW_YEAR_EVE = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Paris


@dataclass
class Item:
    title: str
    kind: str
    actor: str  # "brest", MARSEILLE or QUIMPER
    themes: list[str]
    where: tuple[float, float] | None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None
    summary: str = ""
    place: str | None = None
    timezone: str = "Europe/Paris"
    published: datetime = field(default_factory=lambda: NOW)


def items() -> list[Item]:
    """Published one hour apart, in this order (the last is the newest)."""
    listed = [
        Item("Jardins partagés de Kerinou", "initiative", "brest", ["alimentation-agriculture"],
             BREST_XY, summary="Un potager ouvert à tous, près de l'école.", place="Kerinou"),
        Item("Atelier vélo", "event", "brest", ["mobilite"], BREST_XY, NOW + 2 * DAY,
             NOW + 2 * DAY + timedelta(hours=3), "confirmed", "Réparez votre vélo.",
             "Maison des associations"),
        Item("Conférence santé", "event", "brest", ["sante"], BREST_XY, NOW + 5 * DAY,
             None, "cancelled", "Annulée faute de salle."),
        Item("Réunion de quartier", "event", "brest", ["democratie-gouvernance"], None,
             NOW + 3 * DAY, None, "tentative", "Date à confirmer."),
        Item("Fête de la musique passée", "event", "brest", ["culture-bibliotheques"],
             BREST_XY, NOW - 10 * DAY, NOW - 10 * DAY + timedelta(hours=5), "confirmed"),
        Item("Exposition des communs", "event", "brest", ["communs-numeriques"], BREST_XY,
             NOW - 3 * DAY, NOW + 20 * DAY, None, "Une exposition au long cours."),
        Item("Marché paysan", "event", MARSEILLE, ["alimentation-agriculture"], MARSEILLE_XY,
             NOW + DAY, NOW + DAY + timedelta(hours=4), "confirmed", "Légumes et fromages."),
        Item("Café des communs numériques", "initiative", MARSEILLE,
             ["communs-numeriques", "education"], MARSEILLE_XY,
             summary="Logiciels libres, le jeudi."),
        Item("École du numérique", "event", QUIMPER, ["education"], QUIMPER_XY,
             NOW + 4 * DAY, None, None, "Initiation à l'informatique."),
        Item("Réveillon solidaire", "event", QUIMPER, ["sante", "culture-bibliotheques"],
             QUIMPER_XY, NEW_YEAR_EVE, NEW_YEAR_EVE + timedelta(hours=3), "confirmed"),
    ]
    for n, item in enumerate(listed):
        item.published = NOW - timedelta(hours=len(listed) - n)
    return listed


async def remote_actors(instance: Instance) -> None:
    await instance.sql(
        """
        INSERT INTO actors (iri, local, type, username, domain, name, summary, url, inbox,
                            place_name, latitude, longitude)
        VALUES ($1, false, 'Group', 'marseille', 'marseille.example', 'Marseille',
                'Le territoire de Marseille.', 'https://marseille.example/@marseille',
                'https://marseille.example/inbox', 'Marseille', 43.30, 5.37),
               ($2, false, 'Group', 'quimper', 'quimper.example', 'Quimper',
                'Le territoire de Quimper.', 'https://quimper.example/@quimper',
                'https://quimper.example/inbox', 'Quimper', 47.996, -4.102)
        """,
        MARSEILLE, QUIMPER,
    )


async def insert(instance: Instance, item: Item, brest_iri: str, n: int) -> None:
    actor = brest_iri if item.actor == "brest" else item.actor
    host = actor.split("/")[2]
    await instance.sql(
        """
        INSERT INTO objects (iri, kind, local, actor_iri, url, title, summary, themes,
                             place_name, latitude, longitude, start_time, end_time, timezone,
                             status, document, published)
        VALUES ($1, $2, $3, $4, $1, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16)
        """,
        f"https://{host}/objects/seed-{n}", item.kind, item.actor == "brest", actor,
        item.title, item.summary, item.themes, item.place,
        item.where[0] if item.where else None, item.where[1] if item.where else None,
        item.start, item.end, item.timezone if item.kind == "event" else None, item.status,
        json.dumps({}), item.published,
    )


async def seed(instance: Instance) -> list[Item]:
    """Both remote territories followed (accepted), the items stored."""
    await remote_actors(instance)
    brest = (await instance.sql("SELECT iri FROM actors WHERE role = 'territory'"))[0]["iri"]
    for followee in (MARSEILLE, QUIMPER):
        await instance.sql(
            "INSERT INTO follows (follower_iri, followee_iri, state) VALUES ($1, $2, 'accepted')",
            brest, followee,
        )
    await instance.sql(
        "INSERT INTO follows (follower_iri, followee_iri, state) VALUES ($1, $2, 'accepted')",
        QUIMPER, brest,
    )
    listed = items()
    for n, item in enumerate(listed):
        await insert(instance, item, brest, n)
    return listed


def titles(html: str, marker: str = 'class="title"') -> list[str]:
    """The item titles of a rendered list, in order (marks and strikes removed)."""
    import re

    found = []
    for match in re.finditer(marker + r'[^>]*>(.*?)</a>', html, re.S):
        found.append(re.sub(r"<[^>]+>", "", match.group(1)).strip())
    return found


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


