"""Attacks on the client metadata document fetch: a document that drips, a name server that hangs,
more slow documents than the fetch has slots, and addresses that `ipaddress.is_global` calls public.

Real sockets on loopback (tests/front/drip.py), a deadline set small, no sleeping: each test waits
for an event (the fetch's answer, the server seeing the client hang up), never for time to pass.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import anyio
import anyio.to_thread
import pytest

from front.fetch import DocumentFetcher, DocumentRefused, is_public_address

from .drip import DripServer

#: Small, so a test that meets it ends quickly; the drip below would take 100 times as long.
DEADLINE = 0.3


@pytest.fixture
def drip() -> Iterator[DripServer]:
    with DripServer(interval=0.05) as server:
        yield server


def refusal(fetcher: DocumentFetcher, url: str) -> str:
    async def fetch() -> str:
        with pytest.raises(DocumentRefused) as refused:
            await fetcher(url)
        return refused.value.reason

    return anyio.run(fetch)


def test_a_document_that_drips_is_cut_off_at_the_deadline(drip: DripServer) -> None:
    # Before: a timeout per read, so one byte every 50 ms kept the fetch alive until the whole document came.
    reason = refusal(DocumentFetcher(allow_private=True, deadline=DEADLINE), drip.url + "/clients/drip.json")

    hangup = drip.wait_for_hangups(1)["/clients/drip.json"]
    assert reason == "deadline"
    assert 0 < hangup.sent < hangup.total // 4  # the fetcher hung up early: ~6 of ~300 bytes, never the document


def test_a_name_server_that_never_answers_is_cut_off_at_the_deadline() -> None:
    release = threading.Event()
    asked: list[str] = []

    def hanging_resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        release.wait(30)  # the system resolver, stuck on an attacker's name server
        return ["93.184.215.14"]

    try:
        reason = refusal(DocumentFetcher(allow_private=False, deadline=DEADLINE, resolver=hanging_resolver), "https://slow-dns.example/client.json")
    finally:
        release.set()

    assert reason == "deadline"
    assert asked == ["slow-dns.example"]


def test_a_fetch_that_finds_every_slot_taken_is_refused_as_busy_at_its_deadline(drip: DripServer) -> None:
    fetcher = DocumentFetcher(allow_private=True, slots=2)
    reasons: list[str] = []

    async def fetch(path: str) -> None:
        try:
            await fetcher(drip.url + path)
        except DocumentRefused as exc:
            reasons.append(exc.reason)

    async def main() -> None:
        async with anyio.create_task_group() as holders:
            fetcher.deadline = 30.0  # two slow documents hold both slots for as long as this test runs
            for index in range(2):
                holders.start_soon(fetch, f"/clients/holder-{index}.json")
            await anyio.wait_all_tasks_blocked()
            fetcher.deadline = DEADLINE
            async with anyio.create_task_group() as waiters:
                for index in range(3):
                    waiters.start_soon(fetch, f"/clients/waiter-{index}.json")
            holders.cancel_scope.cancel()

    anyio.run(main)

    # The three never got a slot, so never connected; the two holders hung up when cancelled.
    assert reasons == ["busy", "busy", "busy"]
    assert sorted(drip.wait_for_hangups(2)) == ["/clients/holder-0.json", "/clients/holder-1.json"]


def test_a_fetch_whose_lookup_never_got_a_dns_thread_is_busy_not_the_documents_fault() -> None:
    # A refusal is remembered for 30 s; a legitimate document must not be, for an attacker's slow name server.
    release = threading.Event()

    def resolver(host: str, port: int) -> list[str]:
        if host == "slow-dns.example":
            release.wait(30)
        return ["93.184.215.14"]

    fetcher = DocumentFetcher(allow_private=False, deadline=DEADLINE, dns_threads=1, resolver=resolver)
    reasons: dict[str, str] = {}

    async def fetch(host: str) -> None:
        try:
            await fetcher(f"https://{host}/client.json")
        except DocumentRefused as exc:
            reasons[host] = exc.reason

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(fetch, "slow-dns.example")
            await anyio.wait_all_tasks_blocked()
            group.start_soon(fetch, "legitimate.example")

    try:
        anyio.run(main)
    finally:
        release.set()

    assert reasons == {"slow-dns.example": "deadline", "legitimate.example": "busy"}


def test_slow_documents_hold_none_of_the_worker_threads_the_token_endpoint_uses(drip: DripServer) -> None:
    # The token endpoint's upstream calls run on anyio's default worker-thread pool (40 threads).
    # Before: each CIMD fetch held one of those threads, so 40 slow documents starved every refresh.
    fetcher = DocumentFetcher(allow_private=True, deadline=DEADLINE)
    borrowed: list[int] = []

    async def main() -> None:
        async def slow(index: int) -> None:
            with pytest.raises(DocumentRefused):
                await fetcher(f"{drip.url}/clients/starve-{index}.json")

        async with anyio.create_task_group() as group:
            for index in range(40):
                group.start_soon(slow, index)
            await anyio.wait_all_tasks_blocked()
            borrowed.append(anyio.to_thread.current_default_thread_limiter().borrowed_tokens)
            # A refresh's upstream call gets a worker thread at once.
            assert await anyio.to_thread.run_sync(lambda: "refreshed") == "refreshed"

    anyio.run(main)

    assert borrowed == [0]


# -- addresses ----------------------------------------------------------------------------------

# Each of these is `is_global` in Python 3.11, and none is a public host a document may live on.
IS_GLOBAL_BUT_NOT_PUBLIC = [
    "::7f00:1",  # IPv4-compatible ::127.0.0.1 (::/96, deprecated: RFC 4291 §2.5.5.1)
    "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254, the cloud metadata endpoint
    "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix (RFC 6052 §2.1): a translator reaches 169.254.169.254
    "64:ff9b:1::a00:1",  # local-use NAT64 prefix (RFC 8215)
    "2002:7f00:1::1",  # 6to4 (RFC 3056): embeds 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 embedding 169.254.169.254
    "fec0::1",  # site-local (RFC 3879, deprecated)
    "::ffff:0:7f00:1",  # IPv4-translated (RFC 2765 §2.1)
    "::ffff:8.8.8.8",  # IPv4-mapped (RFC 4291 §2.5.5.2): never a real AAAA answer
    "192.0.0.8",  # IPv4 dummy address (RFC 7600), in 192.0.0.0/24 IETF protocol assignments
    "192.0.0.9",  # 192.0.0.0/24 (RFC 6890 §2.2.2)
    "192.88.99.1",  # 6to4 relay anycast (RFC 7526)
    "100::1",  # discard-only (RFC 6666)
]
NEVER_PUBLIC = [
    "127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fd00::1", "fe80::1", "fe80::1%2", "ff02::1",
    "2001:db8::1", "2001::1", "not-an-address",
]


@pytest.mark.parametrize("address", IS_GLOBAL_BUT_NOT_PUBLIC + NEVER_PUBLIC)
def test_special_purpose_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:82b::200e"])
def test_public_unicast_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("address", IS_GLOBAL_BUT_NOT_PUBLIC)
def test_a_name_that_resolves_to_an_address_python_calls_global_is_never_fetched(address: str) -> None:
    # The attacker's name server answers with one of these; the fetch must stop before connecting.
    fetcher = DocumentFetcher(allow_private=False, deadline=5.0, resolver=lambda host, port: ["93.184.215.14", address])

    assert refusal(fetcher, "https://attacker.example/client.json") == "private_address"


@pytest.mark.parametrize("url", ["https://c.example:99999/doc.json", "https://c.example:abc/doc.json", "https://c.example:0/doc.json"])
def test_a_port_that_is_no_port_is_refused_before_any_lookup(url: str) -> None:
    fetcher = DocumentFetcher(allow_private=False, resolver=lambda host, port: pytest.fail("resolved"))

    assert refusal(fetcher, url) == "bad_port"
