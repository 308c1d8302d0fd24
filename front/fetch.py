"""The one outbound GET an unauthenticated caller can trigger: a client's metadata document (CIMD).

The URL is the attacker's to choose, so (draft-ietf-oauth-client-id-metadata-document,
"Server-Side Request Forgery (SSRF) Attacks" and "Maximum Response Size"):
- the host is resolved once, every address must be public (`is_public_address`), and the
  connection is made to that vetted address (no second lookup an attacker's DNS could answer
  differently), with TLS still checked against the host name;
- no redirect is followed, only 200 is an answer (draft §4 / -02 §5);
- one deadline bounds the whole fetch: waiting for a slot, the DNS lookup, connecting, TLS,
  the headers and the body. A document that drips one byte at a time is cut off at the
  deadline, not after a timeout per read;
- a size cap bounds the body.

The fetch never borrows the worker threads that the token endpoint's upstream calls run on:
the HTTP exchange is async (no thread at all), at most `FETCH_SLOTS` run at once, and the DNS
lookup, the one blocking call, runs on its own `DNS_THREADS` threads. Many slow documents at
once therefore slow down only other CIMD fetches, never a token refresh.

Local-development mode lifts the address rule and allows plain http, for a
document served on loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import SplitResult, urlsplit

import anyio
import httpcore2

from auth.errors import Failure
from auth.fetch import tls_context

__all__ = [
    "DEADLINE_SECONDS",
    "DNS_THREADS",
    "FETCH_SLOTS",
    "MAX_DOCUMENT_BYTES",
    "DocumentFetcher",
    "DocumentRefused",
    "is_public_address",
]

#: The draft suggests a small cap (5 KB); Claude's published document is larger than that
#: (cloudflare/mcp#45), so the cap is 32 KiB: still far below anything worth abusing.
MAX_DOCUMENT_BYTES = 32 * 1024
#: The whole fetch, from the wait for a slot to the last byte. A document host that answers at all
#: answers a 32 KiB GET in well under a second; 5 s leaves room for a cold DNS lookup and a TLS
#: handshake across continents while a person waits on the sign-in page.
DEADLINE_SECONDS = 5.0
#: CIMD fetches in flight at once. They hold no thread, only a socket each; more than this wait
#: (within their deadline) instead of opening more connections for an attacker.
FETCH_SLOTS = 8
#: Threads for the blocking DNS lookups: a lookup past its deadline is abandoned, and its thread
#: stays busy only until the system resolver gives up, so this bounds what a slow name server can hold.
DNS_THREADS = 4

Resolver = Callable[[str, int], list[str]]


class DocumentRefused(Failure[str]):
    """The document could not be fetched or was refused; `reason` is a short code."""


# -- which addresses are public --------------------------------------------------------------
# `ipaddress.is_global` alone is not enough: Python 3.11 calls ::7f00:1, 64:ff9b::/96, 2002::/16,
# fec0::/10, ::ffff:0:0:0/96 and 192.0.0.8 global. So an address must pass both `is_global` and
# the rules below, written from the IANA IPv4 and IPv6 Special-Purpose Address Registries
# (RFC 6890, updated by RFC 8190) and the IANA IPv6 Address Space registry.

_NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network" (RFC 791)
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space, carrier NAT (RFC 6598)
        "127.0.0.0/8",  # loopback (RFC 1122)
        "169.254.0.0/16",  # link local (RFC 3927): the cloud metadata endpoints live here
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890 §2.2.2), 192.0.0.8 dummy address (RFC 7600) included
        "192.0.2.0/24",  # documentation (RFC 5737)
        "192.88.99.0/24",  # 6to4 relay anycast (RFC 3068, deprecated by RFC 7526)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # documentation (RFC 5737)
        "203.0.113.0/24",  # documentation (RFC 5737)
        "224.0.0.0/4",  # multicast (RFC 5771)
        "240.0.0.0/4",  # reserved (RFC 1112), 255.255.255.255 limited broadcast included
    )
)
# IANA IPv6 Address Space: only 2000::/3 is global unicast (RFC 4291 §2.4). Everything outside it
# is refused, which covers ::/96 IPv4-compatible (::7f00:1, deprecated, RFC 4291 §2.5.5.1),
# ::ffff:0:0/96 IPv4-mapped (RFC 4291 §2.5.5.2), ::ffff:0:0:0/96 IPv4-translated (RFC 2765 §2.1),
# 64:ff9b::/96 and 64:ff9b:1::/48 NAT64 (RFC 6052 §2.1, RFC 8215), 100::/64 discard (RFC 6666),
# fc00::/7 unique local (RFC 4193), fe80::/10 link local, fec0::/10 site local (deprecated,
# RFC 3879) and ff00::/8 multicast. Each of those either embeds an IPv4 address that a
# translator would reach, or is not routed on the internet.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "2001::/23",  # IETF protocol assignments (RFC 2928), Teredo 2001::/32 (RFC 4380) included
        "2001:db8::/32",  # documentation (RFC 3849)
        "2002::/16",  # 6to4 (RFC 3056, deprecated by RFC 7526): embeds an IPv4 address
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs (RFC 9602)
    )
)


def is_public_address(address: str) -> bool:
    """True only for an address on the public internet, by the registries above and `is_global`."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not any(ip in network for network in _NOT_PUBLIC_V4)
    return ip in _GLOBAL_UNICAST_V6 and ip.is_global and not any(ip in network for network in _NOT_PUBLIC_V6)


# -- the fetch -----------------------------------------------------------------------------------


def _system_resolver(host: str, port: int) -> list[str]:
    """The system resolver's addresses for `host` (blocking: runs on the DNS threads)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _PinnedBackend(httpcore2.AsyncNetworkBackend):
    """Connects to the vetted address whatever host the URL names; TLS still verifies that host."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._network = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        return await self._network.connect_tcp(self._address, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class DocumentFetcher:
    """GETs client metadata documents under the rules above. One per front; safe to share."""

    def __init__(
        self,
        *,
        allow_private: bool,
        deadline: float = DEADLINE_SECONDS,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        slots: int = FETCH_SLOTS,
        dns_threads: int = DNS_THREADS,
        resolver: Resolver = _system_resolver,
    ) -> None:
        self.allow_private = allow_private
        self.deadline = deadline
        self.max_bytes = max_bytes
        self._slots = anyio.CapacityLimiter(slots)
        self._dns = ThreadPoolExecutor(max_workers=dns_threads, thread_name_prefix="cimd-dns")
        self._resolver = resolver

    async def __call__(self, url: str) -> bytes:
        """The document's bytes; DocumentRefused with the reason otherwise."""
        parts, host, port = self._target(url)
        started = threading.Event()  # set once a DNS thread works on this fetch: its own time has begun
        try:
            with anyio.fail_after(self.deadline):
                async with self._slots:
                    address = await self._vetted_address(host, port, started)
                    return await self._get(parts, host, port, address)
        except TimeoutError as exc:
            # Out of time still waiting for a slot or a DNS thread: "busy" is this server's state,
            # not the document's, and callers do not remember it as the document's refusal.
            raise DocumentRefused("deadline" if started.is_set() else "busy") from exc

    def _target(self, url: str) -> tuple[SplitResult, str, int]:
        try:
            parts = urlsplit(url)
            explicit_port = parts.port
        except ValueError as exc:  # a port that is not a number from 0 to 65535
            raise DocumentRefused("bad_port") from exc
        if parts.hostname is None or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not self.allow_private):
            raise DocumentRefused("not_https")
        if explicit_port == 0:
            raise DocumentRefused("bad_port")
        try:
            host = parts.hostname.encode("idna").decode("ascii")  # IDNA 2003, as the resolver does
        except UnicodeError as exc:
            raise DocumentRefused("unresolvable") from exc
        return parts, host, explicit_port or (443 if parts.scheme == "https" else 80)

    async def _vetted_address(self, host: str, port: int, started: threading.Event) -> str:
        def lookup() -> list[str]:
            started.set()
            return self._resolver(host, port)

        try:
            # Abandoned at the deadline: a lookup still queued never runs, a running one ends in its thread.
            addresses = await asyncio.get_running_loop().run_in_executor(self._dns, lookup)
        except (OSError, UnicodeError) as exc:
            raise DocumentRefused("unresolvable") from exc
        if not addresses:
            raise DocumentRefused("unresolvable")
        if not self.allow_private and not all(is_public_address(a) for a in addresses):
            raise DocumentRefused("private_address")
        return addresses[0]

    async def _get(self, parts: SplitResult, host: str, port: int, address: str) -> bytes:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        bracketed = f"[{host}]" if ":" in host else host
        host_header = bracketed if parts.port is None else f"{bracketed}:{port}"
        try:
            request_url = httpcore2.URL(scheme=parts.scheme.encode(), host=host.encode(), port=port, target=target.encode("ascii"))
        except UnicodeError as exc:
            raise DocumentRefused("bad_url") from exc
        context: ssl.SSLContext | None = tls_context() if parts.scheme == "https" else None
        headers = [(b"Host", host_header.encode()), (b"Accept", b"application/json")]
        try:
            pool = httpcore2.AsyncConnectionPool(ssl_context=context, network_backend=_PinnedBackend(address), max_connections=1)
            async with pool, pool.stream("GET", request_url, headers=headers) as response:
                if response.status != 200:
                    # 3xx included: a redirect is an answer, never followed.
                    raise DocumentRefused(f"http_{response.status}")
                for name, value in response.headers:
                    if name.lower() == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                        raise DocumentRefused("too_large")
                body = bytearray()
                async for chunk in response.aiter_stream():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise DocumentRefused("too_large")
                return bytes(body)
        except (OSError, httpcore2.NetworkError, httpcore2.ProtocolError, httpcore2.TimeoutException, httpcore2.UnsupportedProtocol, ValueError) as exc:
            # Refused, reset, TLS failure, a malformed answer or a truncated body.
            raise DocumentRefused("unreachable") from exc
