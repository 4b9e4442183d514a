"""Actor documents, built from plain data: what Mastodon and other servers read from an actor.

Pure functions: no I/O. The same builder serves the territory (`Group`) and the instance
actor (`Application`, FEP-2677), so both carry every field peers rely on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federation.objects.model import Place

ACTOR_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://w3id.org/security/data-integrity/v1",
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "featured": {"@id": "toot:featured", "@type": "@id"},
        "discoverable": "toot:discoverable",
        "schema": "http://schema.org#",
        "PropertyValue": "schema:PropertyValue",
        "value": "schema:value",
    },
]


@dataclass(frozen=True)
class ActorUrls:
    """Where an actor and its collections live; derived from the instance base URL."""

    id: str
    url: str
    inbox: str
    outbox: str
    followers: str
    following: str
    featured: str
    shared_inbox: str

    @classmethod
    def _under(cls, actor: str, url: str, base_url: str) -> ActorUrls:
        """Collections live under the actor's id; the shared inbox is the instance's."""
        return cls(
            id=actor,
            url=url,
            inbox=f"{actor}/inbox",
            outbox=f"{actor}/outbox",
            followers=f"{actor}/followers",
            following=f"{actor}/following",
            featured=f"{actor}/featured",
            shared_inbox=f"{base_url}/inbox",
        )

    @classmethod
    def territory(cls, base_url: str, slug: str) -> ActorUrls:
        return cls._under(f"{base_url}/actors/{slug}", f"{base_url}/@{slug}", base_url)

    @classmethod
    def instance(cls, base_url: str) -> ActorUrls:
        return cls._under(f"{base_url}/actor", f"{base_url}/about", base_url)


@dataclass(frozen=True)
class ActorProfile:
    type: str
    username: str
    name: str
    summary_html: str
    urls: ActorUrls
    public_key_pem: str
    ed25519_multibase: str
    icon_url: str
    image_url: str
    published: str
    manually_approves: bool = False
    discoverable: bool = True
    place: Place | None = None
    fields: tuple[tuple[str, str], ...] = ()
    """Profile fields (name, value as HTML), sent as `PropertyValue` attachments: what
    Mastodon shows as the table under a profile (website, contact…)."""


def main_key_id(actor_id: str) -> str:
    return f"{actor_id}#main-key"


def ed25519_key_id(actor_id: str) -> str:
    return f"{actor_id}#ed25519-key"


def _image(url: str) -> dict[str, str]:
    media = {"png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(
        url.rsplit(".", 1)[-1].lower(), "image/jpeg"
    )
    return {"type": "Image", "mediaType": media, "url": url}


def actor_document(profile: ActorProfile) -> dict[str, Any]:
    """The AS2 document of a local actor, as served to `Accept: application/activity+json`."""
    urls = profile.urls
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": urls.id,
        "type": profile.type,
        "preferredUsername": profile.username,
        "name": profile.name,
        "summary": profile.summary_html,
        "url": urls.url,
        "inbox": urls.inbox,
        "outbox": urls.outbox,
        "followers": urls.followers,
        "following": urls.following,
        "featured": urls.featured,
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": profile.manually_approves,
        "discoverable": profile.discoverable,
        "published": profile.published,
        "icon": _image(profile.icon_url),
        "image": _image(profile.image_url),
        "publicKey": {
            "id": main_key_id(urls.id),
            "owner": urls.id,
            "publicKeyPem": profile.public_key_pem,
        },
        "assertionMethod": [
            {
                "id": ed25519_key_id(urls.id),
                "type": "Multikey",
                "controller": urls.id,
                "publicKeyMultibase": profile.ed25519_multibase,
            }
        ],
    }
    if profile.place is not None:
        doc["location"] = profile.place.as_json()
    if profile.fields:
        doc["attachment"] = [
            {"type": "PropertyValue", "name": name, "value": value}
            for name, value in profile.fields
        ]
    return doc
