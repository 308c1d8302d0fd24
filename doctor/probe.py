"""The doctor's only HTTP: what an MCP client fetches, in the order the official Python SDK fetches it.

No redirect is followed (a 302 to a sign-in page is itself the finding), and a plain-http URL is
fetched only on loopback: the doctor never sends anything in clear text over a network, and what
it would have fetched is judged by the `https` check instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2
from mcp.client.auth.utils import (
    build_oauth_authorization_server_metadata_discovery_urls,
    build_protected_resource_metadata_discovery_urls,
    extract_field_from_www_auth,
)

from auth.settings import is_loopback_host
from edge.discovery import MAX_METADATA_BYTES

__all__ = ["Answer", "Observation", "Unfetched", "fetchable", "observe", "origin_of"]

#: The MCP revision the probe speaks (MCP-Protocol-Version, transport spec "Protocol Version Header").
PROTOCOL_VERSION = "2025-11-25"
#: An origin nobody lists, for the preflight when no --origin is given: the edge must refuse it.
UNLISTED_ORIGIN = "https://doctor.invalid"
#: The server's own bound on a metadata document it fetches; the documents here are the remote's to choose.
MAX_DOCUMENT_BYTES = MAX_METADATA_BYTES
_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "doctor", "version": "1"}},
}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, as received."""

    url: str
    status: int
    headers: httpx2.Headers
    body: bytes
    response: httpx2.Response = field(repr=False)

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: nesting a parser cannot hold
            return None

    def www_authenticate(self, name: str) -> str | None:
        """A WWW-Authenticate parameter, read by the Python SDK's own reader."""
        return extract_field_from_www_auth(self.response, name)


@dataclass(frozen=True)
class Unfetched:
    """A URL the doctor could not, or would not, fetch, and why."""

    url: str
    reason: str


Fetched = Answer | Unfetched


@dataclass
class Observation:
    """Everything a client would see, in the order it sees it."""

    mcp_url: str
    challenge: Fetched | None = None
    preflight: Fetched | None = None
    preflight_origin: str = UNLISTED_ORIGIN
    #: Each protected resource metadata URL tried, up to the first 200.
    prm: list[Fetched] = field(default_factory=list)
    #: Each authorization server metadata URL tried, up to the first 200.
    metadata: list[Fetched] = field(default_factory=list)

    @property
    def prm_answer(self) -> Answer | None:
        return _first_ok(self.prm)

    @property
    def metadata_answer(self) -> Answer | None:
        return _first_ok(self.metadata)


def fetchable(url: str) -> bool:
    """https anywhere, plain http only on loopback (the server's own rule: auth.settings)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return bool(host) and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host)))


def observe(mcp_url: str, *, origin: str | None = None, timeout: float = 15.0, verify: Any = True) -> Observation:
    """Meet the server as a client does: the 401, the metadata it points to, the issuer's metadata."""
    seen = Observation(mcp_url, preflight_origin=origin or UNLISTED_ORIGIN)
    if not fetchable(mcp_url):
        return seen
    with httpx2.Client(follow_redirects=False, timeout=timeout, verify=verify) as http:
        seen.challenge = _send(
            http,
            "POST",
            mcp_url,
            json=_INITIALIZE,
            headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": PROTOCOL_VERSION},
        )
        seen.preflight = _send(
            http,
            "OPTIONS",
            mcp_url,
            headers={
                "Origin": seen.preflight_origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
            },
        )
        hinted = seen.challenge.www_authenticate("resource_metadata") if isinstance(seen.challenge, Answer) else None
        for url in dict.fromkeys(build_protected_resource_metadata_discovery_urls(hinted, mcp_url)):
            if url == hinted and origin_of(url) != origin_of(mcp_url):
                # RFC 9728 §3.1 places the metadata at the resource's own origin; the doctor does not
                # follow a challenge elsewhere (the challenge check names it).
                seen.prm.append(Unfetched(url, "not fetched: another origin than the MCP URL"))
                continue
            seen.prm.append(_get(http, url))
            if seen.prm_answer is not None:
                break
        document = seen.prm_answer.json() if seen.prm_answer is not None else None
        servers = document.get("authorization_servers") if isinstance(document, dict) else None
        issuer = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], str) else None
        try:
            candidates = build_oauth_authorization_server_metadata_discovery_urls(issuer, mcp_url) if issuer else []
        except ValueError:  # an issuer that is no URL
            candidates, seen.metadata = [], [Unfetched(str(issuer), "not fetched: not a valid URL")]
        for url in candidates:
            answer = _get(http, url)
            seen.metadata.append(answer)
            # The SDK's rule: a 3xx or 4xx means "not here, try the next"; anything else stops.
            if isinstance(answer, Unfetched) or answer.status == 200 or not 300 <= answer.status < 500:
                break
    return seen


def _get(http: httpx2.Client, url: str) -> Fetched:
    return _send(http, "GET", url, headers={"MCP-Protocol-Version": PROTOCOL_VERSION})


def _send(http: httpx2.Client, method: str, url: str, *, headers: Mapping[str, str], json: Any = None) -> Fetched:
    if not fetchable(url):
        return Unfetched(url, "not fetched: plain http off loopback")
    try:
        with http.stream(method, url, headers=dict(headers), json=json) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    return Unfetched(url, f"answered more than {MAX_DOCUMENT_BYTES} bytes")
    except httpx2.InvalidURL:
        return Unfetched(url, "not fetched: not a valid URL")
    except httpx2.HTTPError as exc:
        return Unfetched(url, f"unreachable ({exc.__class__.__name__})")
    return Answer(url, response.status_code, response.headers, bytes(body), response)


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of a URL, or None when it cannot be parsed (a remote document's to choose)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port, as the hostname does on a bad IPv6 literal
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _first_ok(tried: list[Fetched]) -> Answer | None:
    return next((a for a in tried if isinstance(a, Answer) and a.status == 200), None)
