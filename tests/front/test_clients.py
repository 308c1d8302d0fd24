"""The pure parts: sealing with rotation, redirect URI matching, and the bounded document cache;
plus the address rule, against literal addresses (no network needed to refuse them)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from front.clients import Client, ClientDocuments, UnknownClient, redirect_uri_allowed
from front.fetch import DocumentRefused, fetch_client_document
from front.sealing import Expired, Sealer, Unreadable, WrongPurpose

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_key_seals_and_every_key_opens() -> None:
    sealed_by_old = Sealer([OLD]).seal("code", {"x": 1}, 60)
    rotating = Sealer([NEW, OLD])

    assert rotating.open("code", sealed_by_old) == {"x": 1}
    assert Sealer([NEW]).open("code", rotating.seal("code", {"x": 2}, 60)) == {"x": 2}
    with pytest.raises(Unreadable):
        Sealer([NEW]).open("code", sealed_by_old)


def test_expiry_and_purpose_are_checked_on_opening() -> None:
    clock = Clock()
    sealer = Sealer([NEW], clock=clock)
    sealed = sealer.seal("state", {}, 60)

    assert sealer.open("state", sealed) == {}
    with pytest.raises(WrongPurpose):
        sealer.open("code", sealed)
    clock.now += 59.9
    assert sealer.open("state", sealed) == {}
    clock.now += 0.1
    with pytest.raises(Expired):
        sealer.open("state", sealed)


@pytest.mark.parametrize("value", [None, "", "not-a-token", "gAAAAA" + "A" * 9000, "gAAAAAé"])
def test_garbage_is_unreadable(value: str | None) -> None:
    with pytest.raises(Unreadable):
        Sealer([NEW]).open("code", value)


CLIENT = Client(
    "c", "n", ("http://127.0.0.1/callback", "https://app.example/cb?x=1", "cursor://anysphere/cb", "http://[::1]:33418"), verified=False
)


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("http://127.0.0.1/callback", True),
        ("http://127.0.0.1:51234/callback", True),  # RFC 8252 §7.3
        ("http://127.0.0.1:51234/callback?x=1", False),
        ("http://127.0.0.1:51234/other", False),
        ("http://localhost:51234/callback", False),
        ("https://127.0.0.1:51234/callback", False),
        ("https://app.example/cb?x=1", True),
        ("https://app.example:443/cb?x=1", False),  # exact string comparison, no normalisation
        ("https://app.example/cb", False),
        ("cursor://anysphere/cb", True),
        ("cursor://anysphere/cb/", False),
        ("http://[::1]:40000/", True),  # VS Code's registration has no path; "/" is the same (RFC 3986 §6.2.3)
        ("http://[::1]:40000", True),
        ("http://[::1]:40000/x", False),
    ],
)
def test_redirect_uris_match_exactly_but_for_loopback_ports(uri: str, allowed: bool) -> None:
    assert redirect_uri_allowed(CLIENT, uri) is allowed


def document_for(url: str) -> bytes:
    return ('{"client_id": "%s", "client_name": "Doc", "redirect_uris": ["http://127.0.0.1/callback"]}' % url).encode()


def test_good_documents_are_cached_within_bounds_and_failures_are_not() -> None:
    fetched: list[str] = []
    clock = Clock()
    fail = {"https://c.example/bad"}

    def fetch(url: str) -> bytes:
        fetched.append(url)
        if url in fail:
            raise DocumentRefused("http_500")
        return document_for(url)

    documents = ClientDocuments(dev_mode=False, fetch=fetch, ttl=300, capacity=2, clock=clock)
    for url in ("https://c.example/a", "https://c.example/a", "https://c.example/b", "https://c.example/c", "https://c.example/a"):
        assert documents.load(url).client_id == url
    for _ in range(2):
        with pytest.raises(UnknownClient):
            documents.load("https://c.example/bad")
    clock.now += 301
    documents.load("https://c.example/c")

    # a (cached), b, c, then a again (evicted by c: capacity 2), bad twice (never cached), c after its TTL.
    assert fetched == ["https://c.example/a", "https://c.example/b", "https://c.example/c", "https://c.example/a",
                       "https://c.example/bad", "https://c.example/bad", "https://c.example/c"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://c.example/doc", "client_id_not_https"),
        ("https://c.example", "client_id_bad_path"),
        ("https://c.example/", "client_id_bad_path"),
        ("https://c.example/a/../doc", "client_id_bad_path"),
        ("https://user:pw@c.example/doc", "client_id_bad_host"),
        ("https://c.example/doc#f", "client_id_fragment"),
    ],
)
def test_a_client_id_url_must_be_a_plain_https_url_with_a_path(url: str, reason: str) -> None:
    documents = ClientDocuments(dev_mode=False, fetch=lambda url: pytest.fail("fetched"))

    with pytest.raises(UnknownClient) as refused:
        documents.load(url)

    assert refused.value.reason == reason


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "[::1]", "[fd00::1]", "[fe80::1]", "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "localhost"],
)
def test_documents_on_private_loopback_or_link_local_addresses_are_refused(host: str) -> None:
    with pytest.raises(DocumentRefused) as refused:
        fetch_client_document(f"https://{host}/client.json", allow_private=False)

    assert refused.value.reason == "private_address"
