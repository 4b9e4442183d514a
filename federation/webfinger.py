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
_ACCT_RE = re.compile(r"^@?([^@\s]+)@([^@\s/]+)$")


class BadResource(ValueError):
    """The `resource` parameter is missing or not an acct: URI or http(s) URL."""


@dataclass(frozen=True)
class AcctQuery:
    username: str
    domain: str


@dataclass(frozen=True)
class UrlQuery:
    url: str


def parse_resource(resource: str | None) -> AcctQuery | UrlQuery:
    """`acct:brest@brest.example`, `brest@brest.example` or an actor/profile URL."""
    if resource is None or not resource.strip():
        raise BadResource("the query parameter 'resource' is required, e.g. acct:name@domain")
    value = unquote(resource.strip())
    if len(value) > 512:
        raise BadResource("the 'resource' parameter is too long")
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        if not parts.netloc:
            raise BadResource(f"{value!r} is not a URL with a host")
        return UrlQuery(value)
    if value.startswith("acct:"):
        value = value[len("acct:") :]
    match = _ACCT_RE.match(value)
    if not match:
        raise BadResource(f"{resource!r} is not of the form acct:name@domain")
    return AcctQuery(match.group(1).lower(), match.group(2).lower())


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
