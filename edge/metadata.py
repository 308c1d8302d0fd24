"""Where this resource lives, and its Protected Resource Metadata (RFC 9728)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.types import Scope

from auth import Settings

from .http import header

__all__ = ["PRM_PREFIX", "Resource", "protected_resource_metadata", "resource_for"]

PRM_PREFIX = "/.well-known/oauth-protected-resource"
MCP_PATH = "/mcp"
# RFC 9110 §7.2 Host = uri-host [ ":" port ]: a name or an IP literal, nothing else.
_HOST = re.compile(r"^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


class BadHost(Exception):
    """The Host header cannot name this resource."""


@dataclass(frozen=True)
class Resource:
    """The public address of the MCP endpoint and of its metadata document."""

    url: str
    metadata_url: str

    @property
    def origin(self) -> str:
        """`scheme://host[:port]`: the OAuth front's issuer identifier."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def resource_for(scope: Scope, settings: Settings) -> Resource:
    """From MCP_PUBLIC_URL when set, else from the request's scheme and Host header."""
    if settings.public_url:
        url = settings.public_url
    else:
        host = header(scope, b"host")
        if not host or not _HOST.match(host):
            raise BadHost
        url = f"{scope.get('scheme', 'https')}://{host}{MCP_PATH}"
    parts = urlsplit(url)
    # RFC 9728 §3.1: the well-known segment goes between the host and the resource's path.
    return Resource(url=url, metadata_url=f"{parts.scheme}://{parts.netloc}{PRM_PREFIX}{parts.path}")


def protected_resource_metadata(resource: Resource, authorization_server: str, scopes: list[str]) -> dict[str, Any]:
    """The RFC 9728 §2 document. `scopes_supported` lists the full scope strings Entra's own metadata lacks.

    `authorization_server` is the issuer, or this origin when the OAuth front is on.
    """
    return {
        "resource": resource.url,
        "authorization_servers": [authorization_server],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "Calculator MCP server",
    }
