"""The client's settings: flags first, then the environment, then the local dev provider's defaults.

With nothing set, every command talks to `python devserver.py` (the local
identity provider on 127.0.0.1:8001 and the server on localhost:8000), so a
fresh clone needs no configuration. Setting an issuer switches the defaults
off: then the client id (and, for `--app`, the secret) must be given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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

    @classmethod
    def resolve(cls, flags: Mapping[str, str | None], environ: Mapping[str, str], *, app: bool = False) -> ClientSettings:
        """Combine flags (None = not given) with `environ`; `app` selects the client credentials identity."""

        def get(name: str) -> str | None:
            value = flags.get(name)
            if value is None:
                value = environ.get(ENV[name], "").strip() or None
            return value

        issuer, metadata_url, token_endpoint = get("issuer"), get("metadata_url"), get("token_endpoint")
        dev_mode = not (issuer or metadata_url or token_endpoint) or (
            issuer is not None and not (metadata_url or token_endpoint) and _is_dev_issuer(issuer)
        )
        client_id, client_secret = get("client_id"), get("client_secret")
        scopes_value, app_scopes_value = get("scopes"), get("app_scopes")
        if dev_mode:
            issuer = issuer or dev.dev_issuer()
            if client_id is None:
                client_id = dev.DEV_APP_CLIENT_ID if app else dev.DEV_PUBLIC_CLIENT_ID
                if app and client_secret is None:
                    client_secret = dev.DEV_APP_CLIENT_SECRET
            if scopes_value is None:
                prefix = f"api://{dev.DEV_API_CLIENT_ID}/"
                scopes_value = " ".join([prefix + s for s in dev.API_SCOPES] + ["offline_access"])
        if not client_id:
            raise SettingsError(f"set {ENV['client_id']} or --client-id")
        if app and not client_secret:
            raise SettingsError(f"client credentials need a secret: set {ENV['client_secret']} or --client-secret")
        scopes = tuple((scopes_value or "").split())
        if not scopes and not app:
            raise SettingsError(f"set {ENV['scopes']} or --scopes (e.g. 'api://<api id>/calculator.add offline_access')")
        app_scopes = tuple(app_scopes_value.split()) if app_scopes_value else _default_app_scopes(scopes)
        if app and not app_scopes:
            raise SettingsError(f"set {ENV['app_scopes']} or --app-scopes (e.g. 'api://<api id>/.default')")
        return cls(
            mcp_url=get("mcp_url") or DEFAULT_MCP_URL,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            app_scopes=app_scopes,
            cache=Path(get("cache") or default_cache_path(environ)).expanduser(),
            issuer=issuer,
            metadata_url=metadata_url,
            token_endpoint=token_endpoint,
            authorization_endpoint=get("authorization_endpoint"),
            authority=get("authority"),
            redirect_uri=get("redirect_uri"),
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
