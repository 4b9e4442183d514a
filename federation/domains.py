"""Host names in one normal form, and the one domain-block matcher.

A host reaches us written many ways: `Blocked.Example`, `blocked.example.` (the absolute DNS
form, which resolves to the same server), `bücher.example` or its punycode
`xn--bcher-kva.example`, with or without a port. Comparing them literally let a blocked peer
through by adding a dot, so every comparison goes through `normalise_host`, and blocks are
stored in that form too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split_port(value: str) -> str:
    """The host part of `host[:port]` or `[v6]:port` (an IPv6 literal keeps no brackets)."""
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def normalise_host(value: str) -> str:
    """Lower case, no port, no trailing dot, IDN labels as punycode.

    Never fails: a value that is not a valid IDN is returned lower-cased as is, so it can
    still be compared (and will match no block written in proper form)."""
    host = _split_port(value.strip()).rstrip(".").lower()
    if not host or ":" in host or host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def hostname_of(url: str) -> str:
    """The normalised host of a URL, without its port ('' when it has none)."""
    try:
        hostname = urlsplit(url).hostname
    except ValueError:
        return ""
    return normalise_host(hostname or "")


def authority_of(url: str) -> str:
    """Normalised `host[:port]` of a URL, the port kept only when not the scheme's default:
    the key of the `hosts` and `deliveries` tables, where two ports are two servers."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = normalise_host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


def normalise_domain(value: str) -> str | None:
    """A domain an administrator may block, normalised; None when `value` is not a host name
    (a URL, an IP address, a single label)."""
    if ":" in value or "[" in value:  # a port, a scheme or an IPv6 literal
        return None
    domain = normalise_host(value)
    if not domain or len(domain) > 253:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # an IP address, not a host name
        return None
    return domain


def is_blocked(host: str, blocked: Iterable[str] | frozenset[str]) -> bool:
    """True when `host` is a blocked domain or a subdomain of one (`social.spam.example`
    under `spam.example`). Both sides are compared in normal form."""
    domains = blocked if isinstance(blocked, frozenset) else frozenset(blocked)
    if not domains:
        return False
    labels = normalise_host(host).split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))
