"""Typed failures raised by federation code.

Callers (the inbox, the delivery worker, the fetcher) need to react differently to
"this request is forged" and "that server is down", so every failure gets its own
class instead of a bare ``ValueError`` or a ``None`` return::

    FederationError
    ├── SignatureError          an incoming request cannot be trusted
    │   ├── MissingSignature    no Signature / Signature-Input header at all
    │   ├── InvalidSignature    malformed, unsupported, not covering enough, or wrong
    │   ├── DigestMismatch      body does not match Digest / Content-Digest (or none sent)
    │   ├── StaleDate           Date / created / expires outside the allowed window
    │   └── UnknownKey          the keyId could not be resolved to a usable public key
    ├── FetchError              an outgoing fetch of a remote document failed
    │   ├── ForbiddenAddress    target resolves to a private / loopback / link-local address
    │   │   └── BlockedDomain   target is on a domain this instance blocks
    │   ├── ResponseTooLarge    body exceeds the configured size cap
    │   ├── TooManyRedirects    redirect chain longer than allowed
    │   └── BadResponse         non-2xx status, wrong media type, or unparsable body
    └── InvalidObject           a received object we refuse (the message names the field)
        └── UnsupportedType     neither an event nor an initiative: normal traffic to ignore

``MissingSignature`` is separate from ``InvalidSignature`` because an unsigned request
to a public endpoint is normal, whereas a badly signed one is worth logging.
``InvalidObject`` is final: the same document fails the same way, so it is dropped with a
log, never retried.
"""

from __future__ import annotations


class FederationError(Exception):
    """Root of every error raised by the ``federation`` package, so callers can catch them all."""


class SignatureError(FederationError):
    """An incoming request's HTTP signature cannot be accepted.

    ``key_id`` is kept when known so the inbox can log which remote key misbehaved.
    """

    def __init__(self, message: str, *, key_id: str | None = None) -> None:
        super().__init__(message)
        self.key_id = key_id


class MissingSignature(SignatureError):
    """The request carries no HTTP signature at all."""


class InvalidSignature(SignatureError):
    """The signature is malformed, uses an unsupported algorithm, does not cover the
    required components, or does not verify against the sender's key."""


class DigestMismatch(SignatureError):
    """The body is not the one the signature vouches for (or no digest was sent for it)."""


class StaleDate(SignatureError):
    """The signed date is too far from now, which would allow replaying old requests."""


class UnknownKey(SignatureError):
    """The keyId could not be resolved (fetch failed, actor gone, or key unusable)."""


class FetchError(FederationError):
    """Fetching a remote ActivityPub document failed."""


class ForbiddenAddress(FetchError):
    """The URL points at an address we refuse to contact (SSRF protection).

    A refusal is final: the same URL is refused the same way next time, so callers give up
    at once instead of retrying (a fetch, a delivery alike)."""


class BlockedDomain(ForbiddenAddress):
    """The URL is on a domain the administrator blocked: nothing is fetched from it."""


class ResponseTooLarge(FetchError):
    """The remote response exceeded the size limit; reading on would waste memory."""


class TooManyRedirects(FetchError):
    """The remote server redirected more times than allowed."""


class BadResponse(FetchError):
    """The remote server answered with an unusable response (status, type or body).

    `status` is the HTTP status when there was one, None for network, DNS or timeout
    failures: callers tell 410 Gone (drop the actor) from a transient failure by it."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InvalidObject(FederationError):
    """A received object we refuse: the message says which field and why."""


class UnsupportedType(InvalidObject):
    """A received object that is neither an event nor an initiative (a Note, a Lemmy Page…):
    normal traffic to ignore, not an error to log."""
