"""Where this resource lives, and its Protected Resource Metadata (RFC 9728)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import Scope

from auth import Settings

from .http import header

__all__ = ["PRM_PREFIX", "Resource", "document_headers", "protected_resource_metadata", "request_host", "resource_for"]

PRM_PREFIX = "/.well-known/oauth-protected-resource"
MCP_PATH = "/mcp"
# RFC 9110 §7.2 Host = uri-host [ ":" port ]: a name or an IP literal, nothing else.
_HOST = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class BadHost(Exception):
    """The Host header cannot name this resource."""


@dataclass(frozen=True)
class Resource:
    """The public address of the MCP endpoint and of its metadata document."""

    url: str
    metadata_url: str


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


def resource_for(scope: Scope, settings: Settings) -> Resource:
    """From MCP_PUBLIC_URL when set, else from the request's scheme and host (request_host)."""
    if settings.public_url:
        url = settings.public_url
    else:
        host = request_host(scope)
        if not host or not _HOST.match(host):
            raise BadHost
        url = f"{scope.get('scheme', 'https')}://{host}{MCP_PATH}"
    parts = urlsplit(url)
    # RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
    return Resource(url=url, metadata_url=f"{parts.scheme}://{parts.netloc}{PRM_PREFIX}{parts.path}")


def document_headers(settings: Settings) -> dict[str, str]:
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


def protected_resource_metadata(resource: Resource, settings: Settings, scopes: list[str]) -> dict[str, Any]:
    """The RFC 9728 §2 document. `scopes_supported` lists the full scope strings Entra's own metadata lacks."""
    return {
        "resource": resource.url,
        "authorization_servers": [settings.issuer],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "Calculator MCP server",
    }
