"""Remote actor documents parsed once into a typed record; the raw JSON is kept beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from federation.errors import BadResponse
from federation.validation import is_http_url
from federation.vocab import ACTOR_TYPES, id_of, same_origin, type_of


@dataclass(frozen=True)
class RemoteActor:
    iri: str
    type: str
    username: str
    domain: str
    name: str
    summary: str
    url: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    following: str | None
    icon_url: str | None
    public_key_id: str | None
    public_key_pem: str | None
    manually_approves: bool
    document: dict[str, Any] = field(compare=False, repr=False)

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}"


def _text(value: Any, limit: int) -> str:
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, dict):  # nameMap / contentMap-like shapes
        for text in value.values():
            if isinstance(text, str):
                return text[:limit]
    return ""


def _public_key(doc: dict[str, Any], actor_id: str) -> tuple[str | None, str | None]:
    """The RSA key this actor signs with: `publicKey` as an object or a list of them."""
    keys = doc.get("publicKey")
    candidates = keys if isinstance(keys, list) else [keys]
    for key in candidates:
        if not isinstance(key, dict):
            continue
        pem = key.get("publicKeyPem")
        key_id = key.get("id")
        owner = id_of(key.get("owner")) or actor_id
        if isinstance(pem, str) and isinstance(key_id, str) and owner == actor_id:
            return key_id, pem
    return None, None


def _url(value: Any) -> str | None:
    """The first http(s) URL in a string, a Link (`href`/`url`) or a list of them: these
    become links and images on our pages, so `javascript:` or `data:` never get through."""
    if isinstance(value, str):
        return value if is_http_url(value) else None
    if isinstance(value, dict):
        return _url(value.get("href") or value.get("url"))
    if isinstance(value, list):
        for item in value:
            if found := _url(item):
                return found
    return None


def parse_actor(doc: dict[str, Any], fetched_from: str) -> RemoteActor:
    """Accept an actor only from its own origin, with an inbox on that origin too."""
    actor_id = doc.get("id")
    kind = type_of(doc)
    if not isinstance(actor_id, str) or kind not in ACTOR_TYPES:
        raise BadResponse(f"{fetched_from}: not an actor document (type {kind!r})")
    if not same_origin(actor_id, fetched_from):
        raise BadResponse(f"{fetched_from}: actor id {actor_id} is on another origin")
    inbox = doc.get("inbox")
    if not isinstance(inbox, str) or not same_origin(inbox, actor_id):
        raise BadResponse(f"{actor_id}: inbox missing or on another origin")
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    if not isinstance(shared, str) or not same_origin(shared, actor_id):
        shared = None
    username = doc.get("preferredUsername")
    domain = urlsplit(actor_id).netloc.lower()
    key_id, pem = _public_key(doc, actor_id)

    def link(name: str) -> str | None:
        value = id_of(doc.get(name))
        return value if value and same_origin(value, actor_id) else None

    icon = doc.get("icon")
    return RemoteActor(
        iri=actor_id,
        type=kind,
        username=username if isinstance(username, str) and username else domain,
        domain=domain,
        name=_text(doc.get("name"), 200),
        summary=_text(doc.get("summary"), 5000),
        url=_url(doc.get("url")),
        inbox=inbox,
        shared_inbox=shared,
        outbox=link("outbox"),
        followers=link("followers"),
        following=link("following"),
        icon_url=_url(icon.get("url")) if isinstance(icon, dict) else _url(icon),
        public_key_id=key_id,
        public_key_pem=pem,
        manually_approves=doc.get("manuallyApprovesFollowers") is True,
        document=doc,
    )


def key_owner(doc: dict[str, Any], key_id: str) -> str | None:
    """A standalone key document (`{id, owner, publicKeyPem}`) names its owner."""
    if doc.get("id") == key_id and isinstance(doc.get("publicKeyPem"), str):
        return id_of(doc.get("owner"))
    return None
