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

__all__ = ["Endpoints", "discover"]

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
