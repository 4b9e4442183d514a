"""Realistic activities: a `Create{Event}` of about 2 KB, in French, at a `Place`, shaped
like what Mobilizon and Gancio send; and the `Follow` Mastodon sends."""

from __future__ import annotations

import uuid
from typing import Any

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

PLACES = [
    ("Maison de quartier de Bellevue", "12 rue Jules Lesven", "29200", "Brest", 48.4043, -4.5037),
    ("Jardin partagé des Capucins", "25 rue de Pontaniou", "29200", "Brest", 48.3853, -4.4989),
    ("Tiers-lieu La Fabrique", "3 place de la Mairie", "29280", "Plouzané", 48.3812, -4.6197),
    ("Salle des fêtes", "1 rue de l'Église", "29470", "Plougastel-Daoulas", 48.3724, -4.3698),
]

CONTENT = (
    "<p>Venez réparer votre vélo avec l'aide des bénévoles de l'atelier participatif : "
    "outils, pièces de récupération et conseils sont à disposition de toutes et tous, "
    "débutants comme confirmés. Apportez votre vélo, même en mauvais état !</p>"
    "<p>Au programme : réglage des freins et des dérailleurs, changement de chambre à air, "
    "entretien de la chaîne, et un atelier « premiers pas » pour les enfants à partir de "
    "huit ans, accompagnés d'un adulte. Un goûter sera offert par l'association des "
    "habitants à seize heures ; les boissons chaudes sont à prix libre.</p>"
    "<p>Accès : arrêt de tram « Europe », parking vélo couvert devant la maison de quartier. "
    "Lieu accessible aux personnes à mobilité réduite. Pour toute question, écrivez-nous "
    "ou passez nous voir le mercredi soir.</p>"
)


def create_event(actor: str, n: int, activity_uuid: str | None = None) -> dict[str, Any]:
    """A fresh `Create{Event}` by `actor`, with a new id unless one is given."""
    ident = activity_uuid or str(uuid.uuid4())
    name, street, postcode, town, lat, lon = PLACES[n % len(PLACES)]
    event_id = f"{actor.rsplit('/users/', 1)[0]}/events/{ident}"
    event = {
        "id": event_id,
        "type": "Event",
        "name": f"Atelier de réparation de vélos n° {n % 97 + 1} au {name.lower()}",
        "summary": "Atelier participatif et gratuit : on répare ensemble !",
        "content": CONTENT,
        "mediaType": "text/html",
        "url": event_id,
        "attributedTo": actor,
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "published": "2026-03-02T09:15:00Z",
        "startTime": "2026-03-14T14:00:00+01:00",
        "endTime": "2026-03-14T18:00:00+01:00",
        "timezone": "Europe/Paris",
        "category": "WORKSHOP",
        "joinMode": "free",
        "location": {
            "type": "Place",
            "name": name,
            "address": {
                "type": "PostalAddress",
                "streetAddress": street,
                "postalCode": postcode,
                "addressLocality": town,
                "addressRegion": "Bretagne",
                "addressCountry": "FR",
            },
            "latitude": lat,
            "longitude": lon,
        },
        "tag": [{"type": "Hashtag", "name": "#vélo", "href": "https://example.org/tags/velo"},
                {"type": "Hashtag", "name": "#réparation",
                 "href": "https://example.org/tags/reparation"}],
    }
    return {
        "@context": ["https://www.w3.org/ns/activitystreams",
                     {"mz": "https://joinmobilizon.org/ns#", "joinMode": "mz:joinMode",
                      "timezone": "mz:timezone", "category": "mz:category"}],
        "id": f"{event_id}/activity",
        "type": "Create",
        "actor": actor,
        "published": "2026-03-02T09:15:00Z",
        "to": [PUBLIC],
        "cc": [f"{actor}/followers"],
        "object": event,
    }


def follow(actor: str, target: str) -> dict[str, Any]:
    origin = actor.rsplit("/users/", 1)[0]
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{origin}/{uuid.uuid4()}", "type": "Follow", "actor": actor,
            "object": target}
