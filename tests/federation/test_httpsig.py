"""HTTP signatures: what we send must verify, what we accept must be what was signed.

Signed requests are produced by `HttpSignatureAuth` through a real httpx client
(MockTransport captures what would go on the wire), then fed to `verify_request`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.http_signature import HttpSignature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.errors import (
    DigestMismatch,
    InvalidSignature,
    MissingSignature,
    SignatureError,
    StaleDate,
    UnknownKey,
)
from federation.httpsig import (
    HttpSignatureAuth,
    PublicKeyInfo,
    VerifiedSignature,
    load_public_key,
    parse_signature_key_id,
    verify_request,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
ACTOR = "https://maillage.example/actors/alice"
KEY_ID = f"{ACTOR}#main-key"
INBOX = "https://remote.example/inbox"
BODY = json.dumps({"type": "Create", "actor": ACTOR, "object": {"content": "é"}}).encode()


@cache
def private_key(name: str) -> rsa.RSAPrivateKey:
    """One key per name for the whole run: RSA generation is the slow part of these tests."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_info(name: str, *, as_pem: bool = False) -> PublicKeyInfo:
    public = private_key(name).public_key()
    if as_pem:
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return PublicKeyInfo(key_id=KEY_ID, owner=ACTOR, public_key=pem)
    return PublicKeyInfo(key_id=KEY_ID, owner=ACTOR, public_key=public)


class Resolver:
    """Answers `cached` for ordinary lookups and `fresh` for refreshes; records calls."""

    def __init__(self, cached: PublicKeyInfo | None, fresh: PublicKeyInfo | None = None) -> None:
        self.cached = cached
        self.fresh = cached if fresh is None else fresh
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, *, refresh: bool) -> PublicKeyInfo | None:
        self.calls.append((key_id, refresh))
        return self.fresh if refresh else self.cached


async def send(
    method: str, url: str, auth: httpx.Auth | None = None, **kwargs: Any
) -> httpx.Request:
    """Run a real client request through `auth` and return what hit the transport."""
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(202)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        await client.request(method, url, **kwargs)
    return captured[0]


async def verify(
    request: httpx.Request, resolver: Resolver, body: bytes | None = None, **kwargs: Any
) -> VerifiedSignature:
    return await verify_request(
        request.method,
        request.url.raw_path.decode("ascii"),
        request.headers,
        request.content if body is None else body,
        resolver,
        **kwargs,
    )


def auth(rfc9421: bool = False, name: str = "alice") -> HttpSignatureAuth:
    return HttpSignatureAuth(KEY_ID, private_key(name), rfc9421=rfc9421)


async def post(rfc9421: bool = False, name: str = "alice") -> httpx.Request:
    return await send(
        "POST",
        INBOX,
        auth(rfc9421, name),
        content=BODY,
        headers={"Content-Type": "application/activity+json"},
    )


# ------------------------------------------------------------------ round trips


async def test_cavage_post_round_trip() -> None:
    request = await post()
    signature = request.headers["signature"]
    assert signature.startswith(f'keyId="{KEY_ID}",algorithm="rsa-sha256",')
    assert 'headers="(request-target) host date digest content-type"' in signature
    assert request.headers["digest"].startswith("SHA-256=")
    assert request.headers["date"].endswith(" GMT")
    assert request.headers["host"] == "remote.example"
    resolver = Resolver(key_info("alice"))

    verified = await verify(request, resolver)

    assert verified == VerifiedSignature(key_id=KEY_ID, owner=ACTOR, scheme="draft-cavage")
    assert resolver.calls == [(KEY_ID, False)]


async def test_rfc9421_post_round_trip() -> None:
    request = await post(rfc9421=True)
    signature_input = request.headers["signature-input"]
    assert signature_input.startswith('sig1=("@method" "@target-uri" "content-digest");created=')
    assert f'keyid="{KEY_ID}"' in signature_input
    assert 'alg="rsa-v1_5-sha256"' in signature_input
    assert request.headers["signature"].startswith("sig1=:")
    assert request.headers["content-digest"].startswith("sha-256=:")

    verified = await verify(request, Resolver(key_info("alice")))

    assert verified == VerifiedSignature(key_id=KEY_ID, owner=ACTOR, scheme="rfc9421")


@pytest.mark.parametrize("rfc9421", [False, True])
async def test_signed_get_with_query_string(rfc9421: bool) -> None:
    url = "https://remote.example/users/bob/outbox?page=true&min_id=5%2F2"
    request = await send("GET", url, auth(rfc9421), headers={"Accept": "application/activity+json"})
    if not rfc9421:
        assert 'headers="(request-target) host date accept"' in request.headers["signature"]
    assert "digest" not in request.headers

    verified = await verify(request, Resolver(key_info("alice")))

    assert verified.owner == ACTOR
    with pytest.raises(InvalidSignature):  # the query is part of what was signed
        await verify_request(
            "GET",
            "/users/bob/outbox?page=true&min_id=6",
            request.headers,
            b"",
            Resolver(key_info("alice")),
        )


async def test_bovine_verifier_drops_the_query_string() -> None:
    """Why we do not use bovine 0.5.19's verifier: it signs-checks `get /path` only."""
    request = await send("GET", "https://remote.example/outbox?page=2", auth())
    identity = CryptographicIdentifier(
        controller=ACTOR, public_key=private_key("alice").public_key()
    )

    async def retrieve(key_id: str) -> CryptographicIdentifier:
        return identity

    check = build_validate_http_signature_raw(retrieve)
    assert await check("get", str(request.url), dict(request.headers), None) is None
    assert (await verify(request, Resolver(key_info("alice")))).owner == ACTOR


async def test_sign_a_bare_request_and_case_insensitive_headers() -> None:
    """`sign()` works without a client; verifiers may hand us any header casing."""
    request = httpx.Request("PUT", "http://localhost:8000/inbox", content=BODY)
    auth().sign(request)
    headers = {name.title(): value for name, value in request.headers.items()}

    verified = await verify_request(
        "PUT", "/inbox", headers, BODY, Resolver(key_info("alice")), scheme="http"
    )

    assert verified.owner == ACTOR
    assert request.headers["host"] == "localhost:8000"


async def test_rfc9421_with_non_default_port_and_http_scheme() -> None:
    request = await send("POST", "http://localhost:8000/inbox", auth(True), content=BODY)
    verified = await verify(request, Resolver(key_info("alice")), scheme="http")
    assert verified.scheme == "rfc9421"


async def test_pem_public_key_is_accepted_and_cached() -> None:
    request = await post()
    assert (await verify(request, Resolver(key_info("alice", as_pem=True)))).owner == ACTOR
    pem = key_info("alice", as_pem=True).public_key
    assert isinstance(pem, str)
    assert load_public_key(pem) is load_public_key(pem)


def test_load_public_key_reads_pkcs1_and_rejects_garbage() -> None:
    """Mobilizon publishes `BEGIN RSA PUBLIC KEY` (PKCS#1) with a trailing blank line."""
    public = private_key("alice").public_key()
    pkcs1 = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    loaded = load_public_key(pkcs1.decode() + "\n")
    assert loaded.public_numbers() == public.public_numbers()
    with pytest.raises(ValueError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")


# --------------------------------------------------------------------- failures


@pytest.mark.parametrize("rfc9421", [False, True])
async def test_tampered_body_is_a_digest_mismatch(rfc9421: bool) -> None:
    request = await post(rfc9421)
    with pytest.raises(DigestMismatch):
        await verify(request, Resolver(key_info("alice")), body=BODY.replace(b"Create", b"Delete"))


async def test_recomputed_digest_does_not_rescue_a_tampered_body() -> None:
    request = await post()
    tampered = BODY.replace(b"Create", b"Delete")
    headers = dict(request.headers)
    probe = httpx.Request("POST", INBOX, content=tampered)
    auth().sign(probe)
    headers["digest"] = probe.headers["digest"]
    with pytest.raises(InvalidSignature):
        await verify_request("POST", "/inbox", headers, tampered, Resolver(key_info("alice")))


async def test_unsigned_digest_cannot_vouch_for_a_tampered_body() -> None:
    """RFC 9421 signs Content-Digest; an extra, unsigned Digest matching a forged body
    must not be enough (bovine's `validate_digest` would only look at Digest)."""
    request = await post(rfc9421=True)
    tampered = BODY.replace(b"Create", b"Delete")
    probe = httpx.Request("POST", INBOX, content=tampered)
    auth().sign(probe)
    headers = {**request.headers, "digest": probe.headers["digest"]}
    with pytest.raises(DigestMismatch):
        await verify_request("POST", "/inbox", headers, tampered, Resolver(key_info("alice")))


async def test_body_without_digest_header() -> None:
    """A body must come with a digest even if the signature never mentions one."""
    request = await post()
    headers = {k: v for k, v in request.headers.items() if k != "digest"}
    fields = [("(request-target)", "post /inbox"), ("host", headers["host"])]
    headers["signature"] = _cavage_signed([*fields, ("date", headers["date"])])
    with pytest.raises(DigestMismatch):
        await verify_request("POST", "/inbox", headers, BODY, Resolver(key_info("alice")))
    # ...and a signature naming a header that is not there is simply invalid.
    unsigned = {k: v for k, v in request.headers.items() if k != "digest"}
    with pytest.raises(InvalidSignature, match="absent"):
        await verify_request("POST", "/inbox", unsigned, BODY, Resolver(key_info("alice")))


@pytest.mark.parametrize("rfc9421", [False, True])
async def test_wrong_key_is_invalid_after_one_refresh(rfc9421: bool) -> None:
    request = await post(rfc9421, name="mallory")
    resolver = Resolver(key_info("alice"))
    with pytest.raises(InvalidSignature) as caught:
        await verify(request, resolver)
    assert caught.value.key_id == KEY_ID
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize("rfc9421", [False, True])
@pytest.mark.parametrize("offset", [timedelta(hours=13), -timedelta(hours=13)])
async def test_stale_or_future_date(rfc9421: bool, offset: timedelta) -> None:
    request = await post(rfc9421)
    resolver = Resolver(key_info("alice"))
    with pytest.raises(StaleDate):
        await verify(request, resolver, now=datetime.now(UTC) + offset)
    assert resolver.calls == []  # no key fetch for a replay
    await verify(request, resolver, now=datetime.now(UTC) + timedelta(hours=11))


async def test_missing_signature() -> None:
    request = await send("POST", INBOX, content=BODY)
    with pytest.raises(MissingSignature):
        await verify(request, Resolver(key_info("alice")))
    assert parse_signature_key_id(request.headers) is None


@pytest.mark.parametrize("rfc9421", [False, True])
async def test_key_rotation_refetches_once(rfc9421: bool) -> None:
    request = await post(rfc9421, name="alice-rotated")
    resolver = Resolver(key_info("alice"), fresh=key_info("alice-rotated"))

    verified = await verify(request, resolver)

    assert verified.owner == ACTOR
    assert resolver.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_unknown_key() -> None:
    request = await post()
    resolver = Resolver(None)
    with pytest.raises(UnknownKey):
        await verify(request, resolver)
    assert resolver.calls == [(KEY_ID, False)]


def _cavage_signed(fields: list[tuple[str, str]], name: str = "alice") -> str:
    message = HttpSignature()
    for field, value in fields:
        message.with_field(field, value)
    return message.sign_for_http_draft(CryptographicSecret(KEY_ID, private_key(name)))


@pytest.mark.parametrize(
    "signed",
    [
        ["(request-target)", "host", "date"],  # body not covered
        ["(request-target)", "date", "digest"],  # host not covered
        ["host", "date", "digest"],  # method/path not covered
        ["(request-target)", "host", "digest"],  # no date
    ],
)
async def test_signature_must_cover_target_host_date_and_digest(signed: list[str]) -> None:
    request = await post()
    values = {"(request-target)": "post /inbox", **request.headers}
    headers = {**request.headers, "signature": _cavage_signed([(f, values[f]) for f in signed])}
    with pytest.raises(InvalidSignature, match="does not cover"):
        await verify_request("POST", "/inbox", headers, BODY, Resolver(key_info("alice")))


@pytest.mark.parametrize(
    "header",
    [
        'keyId="k",algorithm="rsa-sha512",headers="date",signature="AAAA"',
        'keyId="k",headers="date",signature="not base64!"',
        'keyId="k",headers="date"',
        'keyId="k",headers="(request-target) host date x-missing",signature="AAAA"',
        'keyId="k,headers="date"',
    ],
)
async def test_malformed_cavage_signature(header: str) -> None:
    request = await send("GET", INBOX, auth())
    headers = {**request.headers, "signature": header}
    with pytest.raises(InvalidSignature):
        await verify_request("GET", "/inbox", headers, b"", Resolver(key_info("alice")))


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        ('sig1=("@method");keyid="k";alg="rsa-pss-sha512"', "sig1=:AAAA:"),
        ('sig1=("@method" "@query-param";name="a");keyid="k"', "sig1=:AAAA:"),
        ('sig1=("@method");created=1', "sig1=:AAAA:"),
        ('sig1=("@method");keyid="k"', "sig2=:AAAA:"),
        ("sig1=(", "sig1=:AAAA:"),
    ],
)
async def test_malformed_rfc9421_signature(signature_input: str, signature: str) -> None:
    headers = {"host": "remote.example", "signature-input": signature_input, "signature": signature}
    with pytest.raises(InvalidSignature):
        await verify_request("GET", "/inbox", headers, b"", Resolver(key_info("alice")))


def test_errors_share_one_root() -> None:
    assert issubclass(DigestMismatch, SignatureError)


# -------------------------------------------------------------------- key ids


def test_parse_signature_key_id_variants() -> None:
    assert parse_signature_key_id({"Signature": f'keyId="{KEY_ID}",signature="x"'}) == KEY_ID
    unquoted = 'keyId="https://a.example/k,1",headers="(created)",created=1700000000,signature="x"'
    assert parse_signature_key_id({"signature": unquoted}) == "https://a.example/k,1"
    authorization = {"Authorization": f'Signature keyId="{KEY_ID}",signature="x"'}
    assert parse_signature_key_id(authorization) == KEY_ID
    rfc9421 = {"Signature-Input": f'sig1=("@method");keyid="{KEY_ID}"', "Signature": "sig1=:AA==:"}
    assert parse_signature_key_id(rfc9421) == KEY_ID
    assert parse_signature_key_id({"signature": "garbage"}) is None
    assert parse_signature_key_id({}) is None


async def test_parse_key_id_of_signed_requests() -> None:
    assert parse_signature_key_id((await post()).headers) == KEY_ID
    assert parse_signature_key_id((await post(rfc9421=True)).headers) == KEY_ID


# ------------------------------------------------------------ captured traffic


def _captured(relative: str) -> tuple[dict[str, Any], dict[str, str]]:
    capture = json.loads((FIXTURES / relative).read_text("utf-8"))
    pairs = capture.get("headers") or capture["req_headers"]
    return capture, {name: value for name, value in pairs}


async def test_lemmy_capture_passes_every_check_before_the_key() -> None:
    """Real Lemmy 0.19 POST (hs2019, headers in Lemmy's order, exact body bytes).

    The capture's host is redacted and the community key is not in the capture, so the
    RSA check itself cannot run: reaching UnknownKey proves digest, coverage, date and
    parsing all accepted it.
    """
    capture, headers = _captured("lemmy/signed-request-announce.json")
    body = capture["body"].encode("utf-8")
    sent_at = parsedate_to_datetime(headers["date"])
    key_id = "https://lemmy.world/c/artshare#main-key"
    assert parse_signature_key_id(headers) == key_id

    resolver = Resolver(None)
    with pytest.raises(UnknownKey):
        await verify_request("POST", "/inbox", headers, body, resolver, now=sent_at)
    assert resolver.calls == [(key_id, False)]

    with pytest.raises(InvalidSignature):  # a key that is not lemmy.world's
        await verify_request(
            "POST", "/inbox", headers, body, Resolver(key_info("alice")), now=sent_at
        )
    with pytest.raises(DigestMismatch):
        await verify_request("POST", "/inbox", headers, body + b" ", resolver, now=sent_at)
    with pytest.raises(StaleDate):
        later = sent_at + timedelta(days=1)
        await verify_request("POST", "/inbox", headers, body, resolver, now=later)


async def test_mastodon_capture_header_is_understood() -> None:
    """Real Mastodon 4.3 inbox POST. Its body was re-indented upstream (Digest no longer
    matches) and the signer's key is not available, so only parsing and the digest
    check are exercised."""
    capture, headers = _captured("mastodon/signed-request-forwarded.json")
    assert (
        parse_signature_key_id(headers) == "https://mastodon.social/users/bastianallgeier#main-key"
    )
    resolver = Resolver(None)
    with pytest.raises(DigestMismatch):
        await verify_request(
            capture["method"],
            capture["request_path"],
            headers,
            b"{}",
            resolver,
            now=parsedate_to_datetime(headers["date"]),
        )
    assert resolver.calls == []
