"""Hosts in one normal form, and the one block matcher (pure)."""

from __future__ import annotations

import pytest

from federation.domains import (
    authority_of,
    hostname_of,
    is_blocked,
    normalise_domain,
    normalise_host,
)

BLOCKED = frozenset({"blocked.example", "xn--bcher-kva.example"})


@pytest.mark.parametrize(
    "written",
    [
        "blocked.example",
        "blocked.example.",
        "Blocked.EXAMPLE",
        "blocked.example:8443",
        "blocked.example.:443",
        " blocked.example ",
    ],
)
def test_every_way_of_writing_a_host_has_one_normal_form(written: str) -> None:
    assert normalise_host(written) == "blocked.example"


def test_idn_hosts_compare_as_punycode() -> None:
    assert normalise_host("Bücher.example") == "xn--bcher-kva.example"
    assert is_blocked("bücher.example.", BLOCKED)


def test_ipv6_literals_lose_brackets_and_port_only() -> None:
    assert normalise_host("[2001:db8::1]:443") == "2001:db8::1"
    assert normalise_host("2001:db8::1") == "2001:db8::1"


def test_a_blocked_domain_written_with_a_trailing_dot_is_blocked_with_its_subdomains() -> None:
    assert is_blocked("blocked.example.", BLOCKED)
    assert is_blocked("social.blocked.example.", BLOCKED)
    assert is_blocked("SOCIAL.Blocked.Example:8443", BLOCKED)
    assert not is_blocked("notblocked.example", BLOCKED)
    assert not is_blocked("blocked.example.org", BLOCKED)
    assert not is_blocked("anything.example", frozenset())


def test_urls_give_their_normalised_host_and_authority() -> None:
    assert hostname_of("https://Social.Blocked.Example.:8443/users/a") == "social.blocked.example"
    assert authority_of("https://Masto.Example./inbox") == "masto.example"
    assert authority_of("https://masto.example:443/inbox") == "masto.example"
    assert authority_of("http://127.0.0.1:8001/inbox") == "127.0.0.1:8001"
    assert authority_of("//brest.example") == "brest.example"
    assert hostname_of("not a url") == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("spam.example", "spam.example"),
        ("Spam.Example.", "spam.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("spam.example:8080", None),
        ("https://spam.example", None),
        ("spam.example/path", None),
        ("localhost", None),
        ("10.0.0.1", None),
        ("-bad.example", None),
        ("", None),
    ],
)
def test_block_entries_are_validated_and_stored_normalised(
    value: str, expected: str | None
) -> None:
    assert normalise_domain(value) == expected
