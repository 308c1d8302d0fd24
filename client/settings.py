"""The client's settings: flags first, then the environment, then what discovery and the dev provider imply.

With nothing set, every command talks to `python devserver.py` (the local
identity provider on 127.0.0.1:8001 and the server on localhost:8000), so a
fresh clone needs no configuration. With only `MCP_URL` (and a client id),
the issuer and the scopes come from the server's protected resource metadata.
A non-development issuer needs the client id (and, for `--app`, the secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from devidp import defaults as dev

__all__ = ["ENV", "ClientSettings", "SettingsError", "default_cache_path"]

#: Flag name → environment variable.
ENV = {
    "mcp_url": "MCP_URL",
    "issuer": "MCP_CLIENT_ISSUER",
    "metadata_url": "MCP_CLIENT_METADATA_URL",
    "token_endpoint": "MCP_CLIENT_TOKEN_ENDPOINT",
    "authorization_endpoint": "MCP_CLIENT_AUTHORIZATION_ENDPOINT",
    "client_id": "MCP_CLIENT_ID",
    "client_secret": "MCP_CLIENT_SECRET",
    "scopes": "MCP_CLIENT_SCOPES",
    "app_scopes": "MCP_CLIENT_APP_SCOPES",
    "authority": "MCP_CLIENT_AUTHORITY",
    "redirect_uri": "MCP_CLIENT_REDIRECT_URI",
    "cache": "MCP_CLIENT_CACHE",
}
_OIDC = {"openid", "profile", "email", "offline_access"}
DEFAULT_MCP_URL = "http://localhost:8000/mcp"


class SettingsError(Exception):
    """A required setting is missing or two settings contradict each other."""


def default_cache_path(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/mcp-calculator-client/tokens.json`` (``~/.cache`` by default), outside the repo."""
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mcp-calculator-client" / "tokens.json"


@dataclass(frozen=True)
class ClientSettings:
    """Everything the CLI needs; `client_secret` is never part of the repr."""

    mcp_url: str
    client_id: str
    scopes: tuple[str, ...]
    app_scopes: tuple[str, ...]
    cache: Path
    issuer: str | None = None
    metadata_url: str | None = None
    token_endpoint: str | None = None
    authorization_endpoint: str | None = None
    authority: str | None = None
    redirect_uri: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    using_dev_defaults: bool = False

    #: Acting as the application (client credentials) rather than a signed-in user.
    app: bool = False

    @property
    def needs_resource_discovery(self) -> bool:
        """No authorization server configured: learn it from the MCP server (RFC 9728)."""
        return not (self.issuer or self.metadata_url or self.token_endpoint)

    @classmethod
    def resolve(cls, flags: Mapping[str, str | None], environ: Mapping[str, str], *, app: bool = False) -> ClientSettings:
        """Combine flags (None = not given) with `environ`; `app` selects the client credentials identity.

        With nothing at all set, the result targets `devserver.py`. With only an MCP
        URL, the issuer and scopes are left for `client.discovery` to learn from the
        server's protected resource metadata, after which `completed` is applied.
        """

        def get(name: str) -> str | None:
            value = flags.get(name)
            if value is None:
                value = environ.get(ENV[name], "").strip() or None
            return value

        issuer, metadata_url, token_endpoint, mcp_url = (
            get("issuer"), get("metadata_url"), get("token_endpoint"), get("mcp_url")
        )
        if not (issuer or metadata_url or token_endpoint or mcp_url):
            issuer = dev.dev_issuer()  # nothing configured: the devserver.py stack
        app_scopes = get("app_scopes")
        partial = cls(
            mcp_url=mcp_url or DEFAULT_MCP_URL,
            client_id=get("client_id") or "",
            client_secret=get("client_secret"),
            scopes=tuple((get("scopes") or "").split()),
            app_scopes=tuple(app_scopes.split()) if app_scopes else (),
            cache=Path(get("cache") or default_cache_path(environ)).expanduser(),
            issuer=issuer,
            metadata_url=metadata_url,
            token_endpoint=token_endpoint,
            authorization_endpoint=get("authorization_endpoint"),
            authority=get("authority"),
            redirect_uri=get("redirect_uri"),
            app=app,
        )
        return partial if partial.needs_resource_discovery else partial.completed(issuer, ())

    def completed(self, issuer: str | None, advertised_scopes: Sequence[str]) -> ClientSettings:
        """Fill in what the issuer implies and check that nothing required is missing.

        A loopback issuer of the development tenant brings the dev client ids,
        secret and scopes; `advertised_scopes` (the resource's `scopes_supported`)
        stand in for unset scopes, with `offline_access` added for refresh tokens.
        """
        dev_mode = issuer is not None and not (self.metadata_url or self.token_endpoint) and _is_dev_issuer(issuer)
        client_id, client_secret, scopes = self.client_id, self.client_secret, self.scopes
        if dev_mode:
            if not client_id:
                client_id = dev.DEV_APP_CLIENT_ID if self.app else dev.DEV_PUBLIC_CLIENT_ID
                if self.app and client_secret is None:
                    client_secret = dev.DEV_APP_CLIENT_SECRET
            if not scopes:
                prefix = f"api://{dev.DEV_API_CLIENT_ID}/"
                scopes = tuple([prefix + s for s in dev.API_SCOPES] + ["offline_access"])
        if not scopes and advertised_scopes:
            scopes = tuple(advertised_scopes) + ("offline_access",)
        if not client_id:
            raise SettingsError(f"set {ENV['client_id']} or --client-id")
        if self.app and not client_secret:
            raise SettingsError(f"client credentials need a secret: set {ENV['client_secret']} or --client-secret")
        if not scopes and not self.app:
            raise SettingsError(f"set {ENV['scopes']} or --scopes (e.g. 'api://<api id>/calculator.add offline_access')")
        app_scopes = self.app_scopes or _default_app_scopes(scopes)
        if self.app and not app_scopes:
            raise SettingsError(f"set {ENV['app_scopes']} or --app-scopes (e.g. 'api://<api id>/.default')")
        return replace(
            self,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            app_scopes=app_scopes,
            using_dev_defaults=dev_mode,
        )


def _is_dev_issuer(issuer: str) -> bool:
    """A loopback issuer of the development tenant: `devserver.py` on a port other than 8001."""
    parts = urlsplit(issuer)
    return (
        parts.scheme in ("http", "https")
        and parts.hostname in ("127.0.0.1", "localhost")
        and parts.path.rstrip("/") == f"/{dev.DEV_TENANT_ID}/v2.0"
    )


def _default_app_scopes(scopes: tuple[str, ...]) -> tuple[str, ...]:
    """Entra wants ``{resource}/.default`` for client credentials; elsewhere reuse the API scopes."""
    api = [s for s in scopes if s not in _OIDC]
    resources = {s.rsplit("/", 1)[0] for s in api if "/" in s}
    if len(resources) == 1 and all("/" in s for s in api):
        return (f"{resources.pop()}/.default",)
    return tuple(api)


def environ() -> Mapping[str, str]:
    """The process environment (a seam for tests)."""
    return os.environ
