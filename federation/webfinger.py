"""WebFinger (RFC 7033) as Mastodon uses it: parse the `resource`, answer a JRD.

Pure functions. Parsing decides which local account a resource names, or why it names none,
so the route only has to look the account up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

AS_JSON = "application/activity+json"
MAX_RESOURCE = 512
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_ACCT_RE = re.compile(r"^([^@\s/?#]+)@([^@\s/?#]+)$")
_HANDLE_RE = re.compile(r"^@?([^@\s/?#]+)@([^@\s/?#]+)$")


class BadResource(ValueError):
    """The `resource` parameter is missing or not a well-formed URI (RFC 7033 §4.2: 400)."""


@dataclass(frozen=True)
class AcctQuery:
    username: str
    domain: str


@dataclass(frozen=True)
class UrlQuery:
    url: str


@dataclass(frozen=True)
class OtherUri:
    """A well-formed URI of a scheme we describe nothing for (mailto:, urn:, did: …): 404."""

    scheme: str


def parse_resource(resource: str | None) -> AcctQuery | UrlQuery | OtherUri:
    """What a server receives as `resource`: an `acct:` URI, an http(s) URL, or another URI.

    Strict, as RFC 7033 asks: a bare `name@domain` or `=acct:…` is not a URI and is refused
    (Mastodon, Pleroma and Misskey always send `acct:` or the actor URL). Starlette has already
    percent-decoded the query string once; nothing is decoded twice.
    """
    if resource is None or not resource.strip():
        raise BadResource("the query parameter 'resource' is required, e.g. acct:name@domain")
    value = resource.strip()
    if len(value) > MAX_RESOURCE:
        raise BadResource("the 'resource' parameter is too long")
    scheme_match = _SCHEME_RE.match(value)
    if scheme_match is None or any(c.isspace() for c in value):
        raise BadResource(f"{resource!r} is not a URI such as acct:name@domain")
    scheme = scheme_match.group(1).lower()
    rest = value[scheme_match.end() :]
    if scheme == "acct":
        return _acct(rest, resource)
    if scheme in ("http", "https"):
        parts = urlsplit(value)
        if not parts.hostname:
            raise BadResource(f"{value!r} is not a URL with a host")
        return UrlQuery(f"{scheme}:{rest}")
    return OtherUri(scheme)


def parse_handle(handle: str) -> AcctQuery:
    """What a person types to follow someone: `@name@domain`, `name@domain` or `acct:…`.

    Lenient on purpose, unlike `parse_resource`: this is our own input to a WebFinger client.
    """
    value = handle.strip()
    if value[:5].lower() == "acct:":
        value = value[5:]
    match = _HANDLE_RE.match(value)
    if not match:
        raise BadResource(f"{handle!r} is not of the form @name@domain")
    return AcctQuery(unquote(match.group(1)).lower(), _domain(match.group(2)))


def _acct(rest: str, resource: str) -> AcctQuery:
    """RFC 7565: `acct:userpart@host`, one `@`, the userpart possibly percent-encoded."""
    match = _ACCT_RE.match(rest)
    if not match:
        raise BadResource(f"{resource!r} is not of the form acct:name@domain")
    return AcctQuery(unquote(match.group(1)).lower(), _domain(match.group(2)))


def _domain(host: str) -> str:
    return host.lower().rstrip(".")


def select_links(document: dict[str, Any], rels: list[str]) -> dict[str, Any]:
    """RFC 7033 §4.3: with `rel` parameters, only the links of those relations (none when no
    relation matches); subject and aliases are kept. Without, the whole document."""
    if not rels:
        return document
    wanted = set(rels)
    links = [link for link in document.get("links", []) if link.get("rel") in wanted]
    return {**document, "links": links}


def jrd(
    *, username: str, domain: str, actor_id: str, profile_url: str, aliases: list[str]
) -> dict[str, Any]:
    """The JRD Mastodon expects: `subject`, aliases and a `self` link to the AS2 actor."""
    return {
        "subject": f"acct:{username}@{domain}",
        "aliases": aliases,
        "links": [
            {"rel": "self", "type": AS_JSON, "href": actor_id},
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile_url,
            },
        ],
    }


def host_meta_xml(base_url: str) -> str:
    template = f"{base_url}/.well-known/webfinger?resource={{uri}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )


def host_meta_json(base_url: str) -> dict[str, Any]:
    template = f"{base_url}/.well-known/webfinger?resource={{uri}}"
    return {"links": [{"rel": "lrdd", "template": template}]}
