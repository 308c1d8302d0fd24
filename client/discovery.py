"""Find the authorization server's endpoints: explicit settings, or its metadata document.

RFC 8414 §3 and OIDC Discovery §4: metadata lives under the issuer at
``/.well-known/oauth-authorization-server`` (path-inserted) or
``{issuer}/.well-known/openid-configuration``. Entra serves the latter,
Okta both. RFC 8414 §3.3: the document's `issuer` MUST equal the issuer the
URL was built from.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from .errors import ClientError
from .settings import ClientSettings

__all__ = ["Endpoints", "discover", "from_protected_resource"]

TIMEOUT = 15


@dataclass(frozen=True)
class Endpoints:
    """The two endpoints the client talks to."""

    token_endpoint: str
    authorization_endpoint: str | None


def _candidates(issuer: str) -> list[str]:
    issuer = issuer.rstrip("/")
    parts = urlsplit(issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [
        f"{issuer}/.well-known/openid-configuration",
        f"{origin}/.well-known/oauth-authorization-server{parts.path}",
        f"{issuer}/.well-known/oauth-authorization-server",
    ]


def protected_resource_metadata_url(mcp_url: str) -> str:
    """RFC 9728 §3.1: the well-known segment goes between the host and the resource's path."""
    parts = urlsplit(mcp_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource{parts.path.rstrip('/')}"


def from_protected_resource(settings: ClientSettings, session: requests.Session | None = None) -> ClientSettings:
    """Learn the issuer and the scopes from the MCP server's protected resource metadata (RFC 9728).

    The first of `authorization_servers` is the issuer; `scopes_supported`
    stands in for unset scopes. RFC 9728 §3.3: the document's `resource`
    MUST be the URL it was requested for.
    """
    url = protected_resource_metadata_url(settings.mcp_url)
    http = session or requests.Session()
    try:
        response = http.get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ClientError(f"cannot reach the MCP server at {url}: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise ClientError(f"no protected resource metadata at {url} ({response.status_code}); set MCP_CLIENT_ISSUER")
    document = response.json()
    if str(document.get("resource", "")).rstrip("/") != settings.mcp_url.rstrip("/"):
        raise ClientError(f"the metadata at {url} describes {document.get('resource')!r}, not {settings.mcp_url!r}")
    servers = document.get("authorization_servers") or []
    if not servers:
        raise ClientError(f"the metadata at {url} names no authorization server; set MCP_CLIENT_ISSUER")
    return settings.completed(str(servers[0]), [str(s) for s in document.get("scopes_supported") or []])


def discover(settings: ClientSettings, session: requests.Session | None = None) -> Endpoints:
    """Endpoints from settings, else from the metadata document."""
    if settings.token_endpoint:
        return Endpoints(settings.token_endpoint, settings.authorization_endpoint)
    http = session or requests.Session()
    urls = [settings.metadata_url] if settings.metadata_url else _candidates(settings.issuer or "")
    tried: list[str] = []
    for url in urls:
        try:
            response = http.get(url, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ClientError(f"cannot reach the authorization server at {url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            tried.append(f"{url} ({response.status_code})")
            continue
        document = response.json()
        if settings.metadata_url is None and document.get("issuer", "").rstrip("/") != (settings.issuer or "").rstrip("/"):
            raise ClientError(
                f"metadata at {url} names issuer {document.get('issuer')!r}, not {settings.issuer!r} (RFC 8414 3.3)"
            )
        return Endpoints(
            token_endpoint=document["token_endpoint"],
            authorization_endpoint=settings.authorization_endpoint or document.get("authorization_endpoint"),
        )
    raise ClientError("no authorization server metadata found; tried " + ", ".join(tried))
