"""An image sent by one Maillage instance reaches the other: our attachments carry a
`mediaType`, and an image `Document` without one (Gancio and others send that) is kept."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from federation.objects import parse_remote
from server.publish.objects import local_object

FIXTURES = Path(__file__).parents[1] / "fixtures"


def gancio_event(**changes: Any) -> dict[str, Any]:
    doc = json.loads((FIXTURES / "gancio" / "create-event.json").read_text("utf-8"))["object"]
    doc = copy.deepcopy(doc)
    doc.update(changes)
    return doc


def test_an_image_document_without_media_type_is_kept() -> None:
    doc = gancio_event(attachment=[
        {"type": "Document", "url": "https://demo.gancio.org/media/affiche.jpg",
         "name": "Affiche"},
    ])
    image = parse_remote(doc).image
    assert image is not None and image.url == "https://demo.gancio.org/media/affiche.jpg"
    assert image.alt == "Affiche"


def test_a_document_without_media_type_that_is_no_picture_is_not_taken_for_one() -> None:
    doc = gancio_event(attachment=[
        {"type": "Document", "url": "https://demo.gancio.org/media/programme.pdf"},
    ])
    assert parse_remote(doc).image is None


def test_our_attachments_say_their_media_type() -> None:
    obj = local_object(
        "event",
        {"title": "Atelier", "start": "2026-12-12T10:00", "timezone": "Europe/Paris",
         "image": {"url": "https://brest.example/media/velo.png", "alt": "Un vélo"}},
        iri="https://brest.example/objects/1", actor="https://brest.example/actors/brest",
        followers="https://brest.example/actors/brest/followers",
        published=datetime(2026, 12, 1, tzinfo=UTC), updated=None,
    )
    assert obj.image is not None and obj.image.media_type == "image/png"
