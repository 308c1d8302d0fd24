"""This resource's Protected Resource Metadata (RFC 9728); where it lives is web/place.py."""

from __future__ import annotations

from typing import Any

from auth import Settings
from web.place import Resource

__all__ = ["authorization_server", "protected_resource_metadata"]


def authorization_server(resource: Resource, settings: Settings, *, at_origin: bool = False) -> str:
    """The issuer identifier a client is sent to (RFC 9728 §2 `authorization_servers`).

    Multi-tenant: Entra's `organizations`/`common` metadata names the templated issuer
    `https://login.microsoftonline.com/{tenantid}/v2.0`, which never equals the URL it was
    fetched from, so clients that follow RFC 8414 §3.3 (the MCP Python SDK does) refuse it. We
    advertise our own origin instead and serve, there, Entra's document with that concrete
    issuer (edge/discovery.py); its endpoints stay Entra's, so the sign-in is Entra's own.
    With an authorization server of our own at this origin (`at_origin`: the OAuth front), it is that origin.
    """
    return resource.origin if at_origin or settings.is_multi_tenant else settings.issuer


def protected_resource_metadata(
    resource: Resource, settings: Settings, scopes: list[str], *, at_origin: bool = False
) -> dict[str, Any]:
    """The RFC 9728 §2 document. `scopes_supported` lists the full scope strings Entra's own metadata lacks."""
    return {
        "resource": resource.url,
        "authorization_servers": [authorization_server(resource, settings, at_origin=at_origin)],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "Calculator MCP server",
    }
