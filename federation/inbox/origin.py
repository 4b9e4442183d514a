"""The same-origin rule, written once for the whole inbox.

A server speaks only for its own origin (scheme, host and port): an actor's activity ids,
the objects it may create, update or delete, the pages of its outbox, and the documents a
URL serves are believed only when they sit on the origin that vouches for them. Anything
else came through a third party and is fetched from its own origin before it is trusted.
"""

from __future__ import annotations

from federation.vocab import same_origin


def speaks_for(authority: str, iri: str) -> bool:
    """True when `authority` (an actor id, or the URL a document was served from) may
    speak for `iri`: both are on one origin."""
    return same_origin(authority, iri)
