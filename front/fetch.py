"""The one outbound GET an unauthenticated caller can trigger: a client's metadata document (CIMD).

The URL is the attacker's to choose, so (draft-ietf-oauth-client-id-metadata-document,
"Server-Side Request Forgery (SSRF) Attacks" and "Maximum Response Size"):
- the host is resolved once, every address must be public, and the connection is
  made to that vetted address (no second lookup an attacker's DNS could answer
  differently), with TLS still checked against the host name;
- no redirect is followed, only 200 is an answer (draft §4 / -02 §5);
- a timeout and a size cap bound the work.
Local-development mode lifts the address rule and allows plain http, for a
document served on loopback.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from auth.errors import Failure
from auth.fetch import tls_context

__all__ = ["DocumentRefused", "fetch_client_document"]

#: The draft suggests a small cap (5 KB); Claude's published document is larger than that
#: (cloudflare/mcp#45), so the cap is 32 KiB: still far below anything worth abusing.
MAX_DOCUMENT_BYTES = 32 * 1024
TIMEOUT_SECONDS = 5.0


class DocumentRefused(Failure[str]):
    """The document could not be fetched or was refused; `reason` is a short code."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private (RFC 1918, fc00::/7), loopback, link-local (169.254/16,
    # where the cloud metadata endpoints live), shared (100.64/10), reserved and unspecified.
    return ip.is_global and not ip.is_multicast


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a vetted address while TLS verifies the URL's host name."""

    def __init__(self, host: str, address: str, port: int, *, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def fetch_client_document(
    url: str, *, allow_private: bool, max_bytes: int = MAX_DOCUMENT_BYTES, timeout: float = TIMEOUT_SECONDS
) -> bytes:
    """GET `url` under the rules above; raise DocumentRefused with the reason."""
    parts = urlsplit(url)
    host = parts.hostname
    if host is None or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_private):
        raise DocumentRefused("not_https")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DocumentRefused("unresolvable") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise DocumentRefused("unresolvable")
    if not allow_private and not all(_public(a) for a in addresses):
        raise DocumentRefused("private_address")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(host, addresses[0], port, timeout=timeout, context=tls_context())
    else:
        connection = _PinnedHTTPConnection(host, addresses[0], port, timeout=timeout)
    try:
        connection.request("GET", target, headers={"Accept": "application/json", "Host": parts.netloc})
        response = connection.getresponse()
        if response.status != 200:
            # 3xx included: a redirect is an answer, never followed.
            raise DocumentRefused(f"http_{response.status}")
        declared = response.getheader("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise DocumentRefused("too_large")
        body = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise DocumentRefused("too_large")
        return body
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DocumentRefused("unreachable") from exc
    finally:
        connection.close()
