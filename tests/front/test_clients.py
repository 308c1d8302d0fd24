"""The pure parts: sealing with rotation, redirect URI matching, and the bounded document cache;
plus the address rule, against literal addresses (no network needed to refuse them)."""

from __future__ import annotations

import sys
import threading

import anyio
import pytest
from cryptography.fernet import Fernet

from front.clients import Client, ClientDocuments, UnknownClient, redirect_uri_allowed
from front.fetch import DocumentFetcher, DocumentRefused
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


def load(documents: ClientDocuments, url: str) -> Client:
    return anyio.run(documents.load, url)


def refusal_of(documents: ClientDocuments, url: str) -> str:
    with pytest.raises(UnknownClient) as refused:
        load(documents, url)
    return refused.value.reason


def test_documents_and_failures_are_cached_each_for_their_time_within_bounds() -> None:
    fetched: list[str] = []
    clock = Clock()
    fail = {"https://c.example/bad"}

    async def fetch(url: str) -> bytes:
        fetched.append(url)
        if url in fail:
            raise DocumentRefused("http_500")
        return document_for(url)

    documents = ClientDocuments(dev_mode=False, fetch=fetch, ttl=300, failure_ttl=30, capacity=3, clock=clock)
    for url in ("https://c.example/a", "https://c.example/a", "https://c.example/b", "https://c.example/c", "https://c.example/a"):
        assert load(documents, url).client_id == url
    for _ in range(2):
        assert refusal_of(documents, "https://c.example/bad") == "document_http_500"
    clock.now += 30
    assert refusal_of(documents, "https://c.example/bad") == "document_http_500"
    clock.now += 271
    load(documents, "https://c.example/c")

    # a (cached), b, c, then a again (evicted by bad: capacity 3); bad once per 30 s; c after its 300 s.
    assert fetched == ["https://c.example/a", "https://c.example/b", "https://c.example/c",
                       "https://c.example/bad", "https://c.example/bad", "https://c.example/c"]


def test_busy_is_never_remembered() -> None:
    fetched: list[str] = []

    async def fetch(url: str) -> bytes:
        fetched.append(url)
        if len(fetched) == 1:
            raise DocumentRefused("busy")
        return document_for(url)

    documents = ClientDocuments(dev_mode=False, fetch=fetch)

    assert refusal_of(documents, "https://c.example/a") == "document_busy"
    assert load(documents, "https://c.example/a").client_id == "https://c.example/a"
    assert len(fetched) == 2


def test_one_fetch_at_a_time_per_url_and_everyone_waiting_gets_its_answer() -> None:
    fetched: list[str] = []
    results: list[str] = []

    async def main() -> None:
        release = anyio.Event()

        async def fetch(url: str) -> bytes:
            fetched.append(url)
            await release.wait()
            if url.endswith("/bad"):
                raise DocumentRefused("deadline")
            return document_for(url)

        documents = ClientDocuments(dev_mode=False, fetch=fetch)

        async def ask(url: str) -> None:
            try:
                results.append((await documents.load(url)).client_id)
            except UnknownClient as exc:
                results.append(exc.reason)

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(ask, "https://c.example/good")
                group.start_soon(ask, "https://c.example/bad")
            await anyio.wait_all_tasks_blocked()
            release.set()

    anyio.run(main)

    assert sorted(fetched) == ["https://c.example/bad", "https://c.example/good"]
    assert sorted(results) == ["document_deadline"] * 20 + ["https://c.example/good"] * 20


def test_the_cache_holds_under_threads_and_the_event_loop_at_once() -> None:
    # The cache is read by the event loop and by worker threads; an OrderedDict moved and
    # evicted from both at once loses entries or raises KeyError without its lock.
    urls = [f"https://c.example/{i}" for i in range(64)]
    errors: list[BaseException] = []
    stop = threading.Event()

    async def fetch(url: str) -> bytes:
        return document_for(url)

    documents = ClientDocuments(dev_mode=False, fetch=fetch, capacity=8)

    def reader(offset: int) -> None:
        try:
            while not stop.is_set():
                for url in urls[offset:] + urls[:offset]:
                    client = documents.cached(url)
                    assert client is None or client.client_id == url
        except BaseException as exc:  # noqa: BLE001 - any failure in a thread is the finding
            errors.append(exc)

    async def loop_side() -> None:
        for _ in range(30):
            for url in urls:
                assert (await documents.load(url)).client_id == url
                assert documents.cached(url) is not None

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to meet the races
    threads = [threading.Thread(target=reader, args=(i * 8,)) for i in range(4)]
    try:
        for thread in threads:
            thread.start()
        anyio.run(loop_side)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        sys.setswitchinterval(switch)

    assert errors == []
    assert len(documents._cache) == 8  # the bound held


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://c.example/doc", "client_id_not_https"),
        ("https://c.example", "client_id_bad_path"),
        ("https://c.example/", "client_id_bad_path"),
        ("https://c.example/a/../doc", "client_id_bad_path"),
        ("https://user:pw@c.example/doc", "client_id_bad_host"),
        ("https://c.example/doc#f", "client_id_fragment"),
        ("https://c.example:99999/doc", "client_id_bad_port"),
        ("https://c.example:abc/doc", "client_id_bad_port"),
        ("https://c.example:0/doc", "client_id_bad_port"),
        ("https://[c.example/doc", "client_id_not_a_url"),
    ],
)
def test_a_client_id_url_must_be_a_plain_https_url_with_a_path(url: str, reason: str) -> None:
    async def never(url: str) -> bytes:
        pytest.fail("fetched")

    assert refusal_of(ClientDocuments(dev_mode=False, fetch=never), url) == reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 5000 + b"]" * 5000, "document_too_deep"),
        (b'{"client_id": ' * 5000, "document_too_deep"),
        (b'{"client_id": 1' + b"0" * 5000 + b"}", "document_not_json"),  # past int_max_str_digits
        (b"\xff{}", "document_not_json"),
        (b"[]", "document_not_json"),
        (b'{"client_id": "https://c.example/doc", "client_name": "\\ud800"}', "document_unpaired_surrogate"),
    ],
    ids=["nested-arrays", "nested-objects", "huge-integer", "not-utf8", "not-an-object", "lone-surrogate"],
)
def test_a_document_that_breaks_the_parser_is_refused(body: bytes, reason: str) -> None:
    async def fetch(url: str) -> bytes:
        return body

    assert refusal_of(ClientDocuments(dev_mode=False, fetch=fetch), "https://c.example/doc") == reason


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "[::1]", "[fd00::1]", "[fe80::1]", "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "localhost",
     "[::7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[fec0::1]", "[::ffff:0:7f00:1]", "192.0.0.8"],
)
def test_documents_on_private_loopback_or_link_local_addresses_are_refused(host: str) -> None:
    async def fetch() -> str:
        with pytest.raises(DocumentRefused) as refused:
            await DocumentFetcher(allow_private=False)(f"https://{host}/client.json")
        return refused.value.reason

    assert anyio.run(fetch) == "private_address"
