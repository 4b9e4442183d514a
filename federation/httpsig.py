"""HTTP Signatures for server-to-server ActivityPub traffic.

Why this module exists: every POST to a remote inbox (and every "authorized fetch" GET)
must be signed, and every request reaching our inbox must be checked before its
activity is trusted. Two schemes coexist on the fediverse:

* draft-cavage-http-signatures-12 (``Signature: keyId=...,headers=...,signature=...``),
  which Mastodon, Lemmy, Misskey, Pleroma... send and expect;
* RFC 9421 (``Signature-Input`` + ``Signature``), which newer software is adopting.

Signing is an ``httpx.Auth`` so any client call can opt in with ``auth=``. Verification
is framework-free (method, raw target, headers, body) so the inbox, tests and tools can
share it. bovine supplies the message builder (`HttpSignature`), the key wrapper for
verification (`CryptographicIdentifier`) and the digest helpers; the signature itself is made
apart from the message (`sign_base`), so that a signing process can make it, and the
draft-cavage header is written here in the form bovine writes it; we do *not*
use bovine 0.5.19's request verifier because it (all four reproduced against 0.5.19;
the first is pinned by a test):

* rebuilds ``(request-target)`` from the path only, so a signed GET with a query
  string never verifies;
* cannot rebuild ``@target-uri`` for RFC 9421 and never checks ``created``;
* only checks ``Digest`` when both ``Digest`` and ``Content-Digest`` are present, so
  an unsigned, attacker-chosen ``Digest`` could vouch for a tampered body;
* parses ``Signature`` by splitting on commas, which breaks on unquoted parameters.

Keys: signing keeps the loaded private key; verification accepts a loaded public key
or a PEM that is parsed once and cached (`load_public_key`), because PEM parsing is
far slower than an RSA verification.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any, Literal, Protocol, cast
from urllib.parse import urlsplit

import http_sf
import httpx
from bovine.crypto.digest import validate_digest
from bovine.crypto.helper import content_digest_sha256, content_digest_sha256_rfc_9530
from bovine.crypto.http_signature import HttpSignature
from bovine.crypto.types import CryptographicIdentifier
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_public_key,
)

from federation.errors import (
    DigestMismatch,
    InvalidSignature,
    MissingSignature,
    StaleDate,
    UnknownKey,
)

__all__ = [
    "DEFAULT_MAX_SKEW",
    "RFC9421_ALGORITHM",
    "RFC9421_LABEL",
    "HttpSignatureAuth",
    "KeyResolver",
    "PublicKeyInfo",
    "UnsignedPost",
    "VerifiedSignature",
    "load_public_key",
    "parse_signature_key_id",
    "verify_request",
]

DEFAULT_MAX_SKEW = timedelta(hours=12)
"""Mastodon accepts signatures up to 12 hours old; being stricter would reject
legitimate retries from its delivery queue."""

RFC9421_LABEL = "sig1"
RFC9421_ALGORITHM = "rsa-v1_5-sha256"

_CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
"""``hs2019`` means "derive from the key"; with RSA keys it is rsa-sha256 (Lemmy sends it)."""

_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _has_body(method: str, body: bytes) -> bool:
    """A digest is demanded for any non-empty body and for body-carrying methods even
    when empty, so a POST cannot dodge the digest requirement by sending nothing."""
    return bool(body) or method.upper() in _METHODS_WITH_BODY


def _http_date(moment: datetime) -> str:
    """RFC 7231 IMF-fixdate, independent of the process locale (unlike strftime's %a/%b,
    which a French LC_TIME would turn into "jeu., 25 juil.")."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


# --------------------------------------------------------------------------- signing


@dataclass(frozen=True, slots=True)
class UnsignedPost:
    """A POST's headers but its signature (`HttpSignatureAuth.prepare_post`), the signature
    base to sign, and (draft-cavage) the names of the signed fields."""

    headers: dict[str, str]
    base: bytes
    names: str


class HttpSignatureAuth(httpx.Auth):
    """Sign outgoing requests as the actor owning ``key_id``.

    ``rfc9421=False`` (default) produces the draft-cavage signature every current
    fediverse server understands; ``rfc9421=True`` produces RFC 9421 headers for peers
    known to accept them. ``Date`` and ``Host`` are always set because both schemes'
    verifiers (ours included) insist on them.
    """

    requires_request_body = True

    def __init__(self, key_id: str, private_key: rsa.RSAPrivateKey, rfc9421: bool = False) -> None:
        self.key_id = key_id
        self.rfc9421 = rfc9421
        self._private_key = private_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """httpx hook: sign once, send once (no challenge/response round-trip)."""
        self.sign(request)
        yield request

    def sign(self, request: httpx.Request, *, now: datetime | None = None) -> None:
        """Add Date/Host/digest/signature headers to ``request`` in place.

        Public so callers that build requests by hand (or tests wanting a fixed clock)
        can sign without going through a client.
        """
        moment = now or datetime.now(UTC)
        request.headers["Date"] = _http_date(moment)
        host = request.headers.get("host") or request.url.netloc.decode("ascii")
        request.headers["Host"] = host
        unsigned = self._unsigned(
            request.method, request.url, host, moment, request.content,
            content_type=request.headers.get("content-type"),
            accept=request.headers.get("accept"),
        )
        request.headers.update(self.complete(unsigned, self.sign_base(unsigned.base)))

    def post_headers(
        self, url: str, body: bytes, content_type: str, *, now: datetime | None = None
    ) -> dict[str, str]:
        """The headers of a signed POST of `body` to `url`, for any HTTP client (the
        worker's deliveries): the same signature `sign` puts on an `httpx.Request`, built
        without one (httpx's header handling cost more than the RSA signature itself in
        the fan-out profile, bench/README.md). No Content-Length: the client sets it."""
        unsigned = self.prepare_post(url, body, content_type, now=now)
        return self.complete(unsigned, self.sign_base(unsigned.base))

    def prepare_post(
        self, url: str, body: bytes, content_type: str, *, now: datetime | None = None
    ) -> UnsignedPost:
        """`post_headers` in two steps, so that the RSA signature can be made elsewhere
        (the worker's signing process, server/deliver/signing.py): the headers but the
        signature, and the signature base to sign with `sign_base`'s algorithm."""
        moment = now or datetime.now(UTC)
        parsed = httpx.URL(url)
        host = parsed.netloc.decode("ascii")
        headers = {"Content-Type": content_type, "Date": _http_date(moment), "Host": host}
        added = self._unsigned("POST", parsed, host, moment, body, content_type=content_type,
                               accept=None)
        return UnsignedPost({**headers, **added.headers}, added.base, added.names)

    def _unsigned(
        self, method: str, url: httpx.URL, host: str, moment: datetime, body: bytes, *,
        content_type: str | None, accept: str | None,
    ) -> UnsignedPost:
        """What either scheme signs (the signature base), the headers it adds besides the
        signature (`Digest` or `Content-Digest`, `Signature-Input`) and, for draft-cavage,
        the names of the signed fields. Draft-cavage's field order is Mastodon's own (it
        does not matter to verifiers, but makes our traffic look unsurprising when
        debugging); RFC 9421's ``@target-uri`` covers scheme, authority, path and query."""
        added: dict[str, str] = {}
        message = HttpSignature()
        if self.rfc9421:
            components = [("@method", method.upper()), ("@target-uri", str(url))]
            if _has_body(method, body):
                name, value = content_digest_sha256_rfc_9530(body)
                added["Content-Digest"] = value
                components.append((name, value))
            member: tuple[list[tuple[str, dict[str, object]]], dict[str, object]] = (
                [(n, {}) for n, _ in components],
                {"created": int(moment.timestamp()), "keyid": self.key_id,
                 "alg": RFC9421_ALGORITHM},
            )
            signature_params = _serialize_member(RFC9421_LABEL, member)
            for n, v in components:
                message.with_field(n, v)
            message.with_field("@signature-params", signature_params)
            added["Signature-Input"] = f"{RFC9421_LABEL}={signature_params}"
            return UnsignedPost(added, message.build_message_quoted().encode("utf-8"), "")
        message.with_field("(request-target)", f"{method.lower()} {url.raw_path.decode('ascii')}")
        message.with_field("host", host).with_field("date", _http_date(moment))
        if _has_body(method, body):
            added["Digest"] = content_digest_sha256(body, prefix="SHA-256")
            message.with_field("digest", added["Digest"])
            if content_type is not None:
                message.with_field("content-type", content_type)
        elif accept is not None:
            message.with_field("accept", accept)
        names = " ".join(n for n, _ in message.fields)
        return UnsignedPost(added, message.build_message().encode("utf-8"), names)

    def sign_base(self, base: bytes) -> bytes:
        """RSA PKCS#1 v1.5 over SHA-256, what both schemes sign with."""
        return self._private_key.sign(base, padding.PKCS1v15(), hashes.SHA256())

    def complete(self, unsigned: UnsignedPost, signature: bytes) -> dict[str, str]:
        """The headers of `unsigned` with its signature (made by `sign_base` or by a
        process holding the same key)."""
        headers = dict(unsigned.headers)
        if self.rfc9421:
            headers["Signature"] = http_sf.ser({RFC9421_LABEL: (signature, {})})
        else:
            headers["Signature"] = (
                f'keyId="{self.key_id}",algorithm="rsa-sha256",headers="{unsigned.names}",'
                f'signature="{base64.standard_b64encode(signature).decode("ascii")}"'
            )
        return headers

    @functools.cached_property
    def private_pem(self) -> bytes:
        """The key as unencrypted PKCS#8 PEM, for a signing process."""
        return self._private_key.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )


def _serialize_member(label: str, member: object) -> str:
    """Serialize one Signature-Input member (inner list + parameters) canonically.

    http-sf only serializes top-level structures, so serialize a one-entry dictionary
    and drop the ``label=`` prefix.
    """
    return http_sf.ser(cast(Any, {label: member}))[len(label) + 1 :]


# ----------------------------------------------------------------------- keys


@lru_cache(maxsize=4096)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Parse an RSA public key PEM (SPKI ``PUBLIC KEY`` or PKCS#1 ``RSA PUBLIC KEY``,
    as Mobilizon publishes) once; later calls with the same PEM reuse the object.

    Raises ValueError for unparsable or non-RSA keys.
    """
    key = load_pem_public_key(pem.strip().encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"expected an RSA public key, got {type(key).__name__}")
    return key


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """What a key resolver knows about a keyId: the key and the actor owning it.

    ``public_key`` may be a loaded key (preferred: cache these) or a PEM string.
    """

    key_id: str
    owner: str
    public_key: rsa.RSAPublicKey | str

    def rsa_key(self) -> rsa.RSAPublicKey:
        """The loaded key; PEMs go through the `load_public_key` cache."""
        if isinstance(self.public_key, str):
            return load_public_key(self.public_key)
        return self.public_key


class KeyResolver(Protocol):
    """Look up a keyId. ``refresh=False`` may answer from cache; ``refresh=True`` must
    refetch (the remote may have rotated its key). Return None when the key cannot be
    obtained. Implementations should rate-limit refreshes per key, since a forged
    signature triggers one."""

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKeyInfo | None: ...


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """Proof that the request was signed by ``key_id``, controlled by ``owner``.

    The inbox must still check that ``owner`` may speak for the activity's actor.
    """

    key_id: str
    owner: str
    scheme: Literal["draft-cavage", "rfc9421"]


# ----------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class _SignedRequest:
    """A parsed signature: what must be verified, and which requirements it covers.

    ``covers`` uses scheme-neutral names: method, target, host, date, digest.
    """

    scheme: Literal["draft-cavage", "rfc9421"]
    key_id: str
    message: bytes
    signature: bytes
    covers: frozenset[str]
    signed_date: str | None
    created: int | None
    expires: int | None


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Case-insensitive view; repeated fields (Starlette's items() lists them all) are
    joined with ", " as both signature schemes prescribe."""
    merged: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        value = value.strip()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _parse_cavage_params(value: str) -> dict[str, str]:
    """Parse ``name="value",name=value`` lists, tolerating commas inside quotes and
    unquoted numbers (``created=1700000000``). Names are lower-cased."""
    params: dict[str, str] = {}
    i, end = 0, len(value)
    while i < end:
        while i < end and value[i] in " \t,":
            i += 1
        if i >= end:
            break
        eq = value.find("=", i)
        if eq < 0:
            raise ValueError("parameter without '='")
        name = value[i:eq].strip().lower()
        i = eq + 1
        if i < end and value[i] == '"':
            close = value.find('"', i + 1)
            if close < 0:
                raise ValueError("unterminated quoted value")
            param = value[i + 1 : close]
            i = close + 1
        else:
            comma = value.find(",", i)
            stop = end if comma < 0 else comma
            param = value[i:stop].strip()
            i = stop
        if not name or name in params:
            raise ValueError(f"empty or repeated parameter {name!r}")
        params[name] = param
    return params


def _cavage_header(h: Mapping[str, str]) -> str | None:
    """The draft allows the parameters in ``Signature`` or ``Authorization: Signature``."""
    if "signature" in h:
        return h["signature"]
    auth = h.get("authorization", "")
    if auth[:10].lower() == "signature ":
        return auth[10:]
    return None


def _int_param(params: Mapping[str, object], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValueError(f"{name} must be an integer")


def _parse_cavage(method: str, target: str, h: Mapping[str, str], raw: str) -> _SignedRequest:
    try:
        params = _parse_cavage_params(raw)
        created = _int_param(params, "created")
        expires = _int_param(params, "expires")
    except ValueError as exc:
        raise InvalidSignature(f"malformed Signature header: {exc}") from exc
    key_id = params.get("keyid")
    if not key_id or not params.get("signature"):
        raise InvalidSignature("Signature header lacks keyId or signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in _CAVAGE_ALGORITHMS:
        raise InvalidSignature(f"unsupported algorithm {algorithm!r}", key_id=key_id)
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except binascii.Error as exc:
        raise InvalidSignature("signature is not base64", key_id=key_id) from exc

    names = params.get("headers", "date").lower().split()
    message = HttpSignature()
    covers: set[str] = set()
    for name in names:
        if name == "(request-target)":
            message.with_field(name, f"{method.lower()} {target}")
            covers |= {"method", "target"}
        elif name in ("(created)", "(expires)"):
            stamp = created if name == "(created)" else expires
            if stamp is None:
                raise InvalidSignature(f"{name} signed but parameter missing", key_id=key_id)
            message.with_field(name, str(stamp))
            if name == "(created)":
                covers.add("date")
        elif name in h:
            message.with_field(name, h[name])
            covers.update(_HEADER_COVERS.get(name, ()))
        else:
            raise InvalidSignature(f"signed header {name!r} is absent", key_id=key_id)
    return _SignedRequest(
        scheme="draft-cavage",
        key_id=key_id,
        message=message.build_message().encode("utf-8"),
        signature=signature,
        covers=frozenset(covers),
        signed_date=h["date"] if "date" in names else None,
        created=created if "(created)" in names else None,
        expires=expires if "(expires)" in names else None,
    )


_HEADER_COVERS: dict[str, tuple[str, ...]] = {
    "host": ("host",),
    "date": ("date",),
    "digest": ("digest",),
    "content-digest": ("digest",),
}


def _rfc9421_member(
    h: Mapping[str, str],
) -> tuple[str, list[tuple[str, dict[str, object]]], dict[str, object], bytes]:
    """Pick the signature to check: the first Signature-Input label that has a matching
    Signature entry. Raises ValueError on anything malformed."""
    # http-sf's union return type cannot be narrowed member by member: checked by hand below.
    inputs: Any = http_sf.parse(h["signature-input"].encode("ascii"), tltype="dictionary")
    signatures: Any = http_sf.parse(h["signature"].encode("ascii"), tltype="dictionary")
    if not isinstance(inputs, dict) or not isinstance(signatures, dict):
        raise ValueError("Signature-Input and Signature must be dictionaries")
    for label, member in inputs.items():
        if label not in signatures:
            continue
        components, params = member
        signature = signatures[label][0]
        if not isinstance(components, list) or not isinstance(signature, bytes):
            raise ValueError(f"signature {label!r} is not an inner list with a byte sequence")
        return label, components, dict(params), signature
    raise ValueError("no Signature-Input label has a matching Signature")


def _parse_rfc9421(method: str, target: str, h: Mapping[str, str], scheme: str) -> _SignedRequest:
    try:
        label, components, params, signature = _rfc9421_member(h)
        created = _int_param(params, "created")
        expires = _int_param(params, "expires")
    except (ValueError, UnicodeError, TypeError) as exc:
        raise InvalidSignature(f"malformed Signature-Input/Signature: {exc}") from exc
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        raise InvalidSignature("Signature-Input lacks keyid")
    alg = params.get("alg")
    if alg is not None and alg != RFC9421_ALGORITHM:
        raise InvalidSignature(f"unsupported alg {alg!r}", key_id=key_id)

    split = urlsplit(target)
    host = h.get("host")
    message = HttpSignature()
    covers: set[str] = set()
    seen: set[str] = set()
    for name, component_params in components:
        if not isinstance(name, str) or name in seen:
            raise InvalidSignature("bad or repeated component", key_id=key_id)
        seen.add(name)
        if component_params:
            raise InvalidSignature(f"component parameters unsupported: {name}", key_id=key_id)
        if name.startswith("@"):
            if name in ("@target-uri", "@authority") and host is None:
                raise InvalidSignature("no Host header", key_id=key_id)
            match name:
                case "@method":
                    value, gained = method.upper(), {"method"}
                case "@target-uri":
                    value, gained = f"{scheme}://{host}{target}", {"target", "host"}
                case "@authority":
                    value, gained = (host or "").lower(), {"host"}
                case "@scheme":
                    value, gained = scheme, set()
                case "@request-target":
                    value, gained = target, {"target"}
                case "@path":
                    value, gained = split.path or "/", {"path"}
                case "@query":
                    value, gained = f"?{split.query}", {"query"}
                case _:
                    raise InvalidSignature(f"unsupported component {name}", key_id=key_id)
        elif name in h:
            value, gained = h[name], set(_HEADER_COVERS.get(name, ()))
        else:
            raise InvalidSignature(f"signed header {name!r} is absent", key_id=key_id)
        message.with_field(name, value)
        covers |= gained
    # @path alone leaves the query unsigned; accept it only when there is no query.
    if "path" in covers and ("query" in covers or not split.query):
        covers.add("target")
    if created is not None:
        covers.add("date")
    message.with_field("@signature-params", _serialize_member(label, (components, params)))
    return _SignedRequest(
        scheme="rfc9421",
        key_id=key_id,
        message=message.build_message_quoted().encode("utf-8"),
        signature=signature,
        covers=frozenset(covers),
        signed_date=h["date"] if "date" in seen else None,
        created=created,
        expires=expires,
    )


def _parse_signed_request(
    method: str, target: str, h: Mapping[str, str], scheme: str
) -> _SignedRequest:
    if "signature-input" in h and "signature" in h:
        return _parse_rfc9421(method, target, h, scheme)
    raw = _cavage_header(h)
    if raw is None:
        raise MissingSignature("request carries no HTTP signature")
    return _parse_cavage(method, target, h, raw)


def parse_signature_key_id(headers: Mapping[str, str]) -> str | None:
    """The keyId of either scheme, or None if unsigned or malformed.

    The inbox needs it before verifying (e.g. to drop requests from blocked domains
    without fetching their keys)."""
    h = _lower_headers(headers)
    try:
        if "signature-input" in h and "signature" in h:
            key_id = _rfc9421_member(h)[2].get("keyid")
            return key_id if isinstance(key_id, str) and key_id else None
        raw = _cavage_header(h)
        if raw is None:
            return None
        return _parse_cavage_params(raw).get("keyid") or None
    except (ValueError, UnicodeError, TypeError):
        return None


# ---------------------------------------------------------------------- checks


def _legacy_digest_ok(value: str, body: bytes) -> bool:
    """``Digest: SHA-256=<b64>[, SHA-512=<b64>]``: every known algorithm listed must
    match and SHA-256 must be among them. Done here because bovine compares the whole
    header string, so a multi-valued Digest would fail."""
    seen_sha256 = False
    for part in value.split(","):
        algorithm, sep, encoded = part.strip().partition("=")
        algorithm = algorithm.lower()
        if not sep or algorithm not in ("sha-256", "sha-512"):
            continue
        try:
            claimed = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return False
        hasher = hashlib.sha256 if algorithm == "sha-256" else hashlib.sha512
        if not hmac.compare_digest(claimed, hasher(body).digest()):
            return False
        seen_sha256 |= algorithm == "sha-256"
    return seen_sha256


def _check_digests(method: str, h: Mapping[str, str], body: bytes, key_id: str) -> None:
    """Every digest header present must match the body: checking only one (as bovine
    does) would let an unsigned one vouch for a tampered body."""
    present = [name for name in ("digest", "content-digest") if name in h]
    if _has_body(method, body) and not present:
        raise DigestMismatch("request has a body but no Digest/Content-Digest", key_id=key_id)
    if "digest" in h and not _legacy_digest_ok(h["digest"], body):
        raise DigestMismatch("Digest does not match the body", key_id=key_id)
    if "content-digest" in h and not validate_digest({"content-digest": h["content-digest"]}, body):
        raise DigestMismatch("Content-Digest does not match the body", key_id=key_id)


def _check_coverage(signed: _SignedRequest, needs_digest: bool) -> None:
    """Refuse signatures that leave replay-relevant parts unsigned: a signature over
    only ``date`` could be lifted onto any other request."""
    required = {"method", "target", "host", "date"} | ({"digest"} if needs_digest else set())
    missing = required - signed.covers
    if missing:
        raise InvalidSignature(
            f"signature does not cover: {', '.join(sorted(missing))}", key_id=signed.key_id
        )


def _check_dates(signed: _SignedRequest, now: datetime, max_skew: timedelta) -> None:
    """Every signed timestamp must be within ``max_skew`` of now (both directions, to
    tolerate clock drift while bounding replay), and ``expires`` must not be past."""
    stamps: list[datetime] = []
    if signed.signed_date is not None:
        try:
            when = parsedate_to_datetime(signed.signed_date)
        except (TypeError, ValueError) as exc:
            raise InvalidSignature("unparsable Date", key_id=signed.key_id) from exc
        stamps.append(when if when.tzinfo else when.replace(tzinfo=UTC))
    if signed.created is not None:
        stamps.append(datetime.fromtimestamp(signed.created, UTC))
    for when in stamps:
        if abs(now - when) > max_skew:
            raise StaleDate(
                f"signed at {when.isoformat()}, now {now.isoformat()}", key_id=signed.key_id
            )
    if signed.expires is not None and datetime.fromtimestamp(signed.expires, UTC) < now:
        raise StaleDate("signature expired", key_id=signed.key_id)


def _usable_key(info: PublicKeyInfo, key_id: str) -> rsa.RSAPublicKey:
    try:
        return info.rsa_key()
    except ValueError as exc:
        raise UnknownKey(f"key {key_id} is not a usable RSA key", key_id=key_id) from exc


def _signature_ok(key: rsa.RSAPublicKey, owner: str, signed: _SignedRequest) -> bool:
    identity = CryptographicIdentifier(controller=owner, public_key=key)
    return identity.verify(signed.message, signed.signature) is not None


# ----------------------------------------------------------------------- entry


async def verify_request(
    method: str,
    path_with_query: str,
    headers: Mapping[str, str],
    body: bytes,
    resolve_key: KeyResolver,
    *,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
    now: datetime | None = None,
    scheme: str = "https",
) -> VerifiedSignature:
    """Check an incoming request's HTTP signature (draft-cavage or RFC 9421).

    ``path_with_query`` is the raw request target as received (``/inbox`` or
    ``/outbox?page=2``, still percent-encoded); ``scheme`` is the public scheme, used
    to rebuild RFC 9421 ``@target-uri`` (the ``Host`` header must reach us unchanged
    through any proxy). Cheap local checks (digest, coverage, dates) run before the
    key is resolved so forged traffic costs no fetch.

    If the key from ``resolve_key(refresh=False)`` does not verify, it is refetched
    once with ``refresh=True`` (the sender may have rotated its key).

    Raises MissingSignature, InvalidSignature, DigestMismatch, StaleDate, UnknownKey.
    """
    h = _lower_headers(headers)
    moment = now or datetime.now(UTC)
    signed = _parse_signed_request(method, path_with_query, h, scheme)
    needs_digest = _has_body(method, body)
    _check_digests(method, h, body, signed.key_id)
    _check_coverage(signed, needs_digest)
    _check_dates(signed, moment, max_skew)

    key_id = signed.key_id
    info = await resolve_key(key_id, refresh=False)
    if info is None:
        raise UnknownKey(f"cannot resolve key {key_id}", key_id=key_id)
    key = _usable_key(info, key_id)
    if _signature_ok(key, info.owner, signed):
        return VerifiedSignature(key_id=key_id, owner=info.owner, scheme=signed.scheme)

    fresh = await resolve_key(key_id, refresh=True)
    if fresh is None:
        raise UnknownKey(f"key {key_id} vanished on refresh", key_id=key_id)
    fresh_key = _usable_key(fresh, key_id)
    if fresh_key.public_numbers() != key.public_numbers() and _signature_ok(
        fresh_key, fresh.owner, signed
    ):
        return VerifiedSignature(key_id=key_id, owner=fresh.owner, scheme=signed.scheme)
    raise InvalidSignature(f"signature does not verify with key {key_id}", key_id=key_id)
