"""Where this resource lives, as a request names it, and the headers of its public documents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from starlette.types import Scope, Send

from .asgi import header, send_json

__all__ = [
    "BAD_HOST_BODY",
    "MCP_PATH",
    "PRM_PREFIX",
    "BadHost",
    "Resource",
    "answer_bad_host",
    "document_headers",
    "request_host",
    "resource_for",
]

PRM_PREFIX = "/.well-known/oauth-protected-resource"
MCP_PATH = "/mcp"
# RFC 9110 §7.2 Host = uri-host [ ":" port ]: a name or an IP literal, nothing else.
# fullmatch: with `match`, `$` also matches before a final "\n", and "mcp.example\n" passed.
_HOST = re.compile(r"([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class PublicUrl(Protocol):
    """What the place needs of the settings: MCP_PUBLIC_URL, or None to read the request's Host."""

    @property
    def public_url(self) -> str | None: ...


class BadHost(Exception):
    """The Host header cannot name this resource."""


#: The 400 body for a BadHost, from every endpoint.
BAD_HOST_BODY = {"error": "invalid_host", "error_description": "The Host header is malformed"}


async def answer_bad_host(send: Send) -> None:
    """RFC 9110 §7.2: a Host field with an invalid value gets 400. The one answer, for every endpoint."""
    await send_json(send, 400, BAD_HOST_BODY)


@dataclass(frozen=True)
class Resource:
    """The public address of the MCP endpoint and of its metadata document."""

    url: str
    metadata_url: str

    @property
    def origin(self) -> str:
        """`scheme://host[:port]` of the MCP URL."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def request_host(scope: Scope) -> str | None:
    """The Host header; without one, the ASGI `server` entry (host, port), as Starlette's URL reads it.

    The ASGI HTTP scope's `server` is the address the request was received on; AsgiFunctionApp fills
    it from the invocation's URL, so a request built without a Host header still names its host.
    """
    host = header(scope, b"host")
    if host is not None:
        return host
    server = scope.get("server")
    if not server or not isinstance(server[0], str) or not isinstance(server[1], int):
        return None  # no server, or a unix socket (path, None)
    name, port = server
    name = f"[{name}]" if ":" in name else name  # RFC 3986 §3.2.2: an IPv6 literal in brackets
    return name if port == _DEFAULT_PORTS.get(scope.get("scheme", "https")) else f"{name}:{port}"


def resource_for(scope: Scope, settings: PublicUrl) -> Resource:
    """From MCP_PUBLIC_URL when set, else from the request's scheme and host (request_host)."""
    if settings.public_url:
        url = settings.public_url
    else:
        host = request_host(scope)
        if not host or not _HOST.fullmatch(host):
            raise BadHost
        url = f"{scope.get('scheme', 'https')}://{host}{MCP_PATH}"
    parts = urlsplit(url)
    # RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
    return Resource(url=url, metadata_url=f"{parts.scheme}://{parts.netloc}{PRM_PREFIX}{parts.path}")


def document_headers(settings: PublicUrl) -> dict[str, str]:
    """Headers of the public metadata documents: readable from any origin, cached for an hour.

    RFC 9110 §12.5.5: Vary names the request fields that select the representation. Without
    MCP_PUBLIC_URL the resource, and every URL derived from it, comes from the request's Host, so
    a shared cache must not serve one host's document to another: `Vary: Host`. With
    MCP_PUBLIC_URL the document is the same whatever the Host, and a Vary would only split the
    cache for nothing.
    """
    # Public metadata: any origin may read it, so browser-based clients can discover us.
    headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=3600"}
    if not settings.public_url:
        headers["Vary"] = "Host"
    return headers
