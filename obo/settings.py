"""The on-behalf-of example's configuration, read once from the environment into a frozen object.

`OboSettings.from_env(environ, auth_settings)` returns None when OBO_EXAMPLE is off (the
default). When it is on, every problem is collected and raised as one `auth.ConfigError`,
so `function_app.py` names them with the server's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from auth import ConfigError, Settings
from auth.env import comma_separated, fernet_key_problem, is_guid, setting, switch
from auth.settings import https_url_problem
from outbound import TOKEN_EXCHANGE_AUDIENCE

__all__ = ["GRAPH_ME", "GRAPH_USER_READ", "OboSettings"]

#: Microsoft Graph's delegated User.Read and its /me, the example's defaults.
GRAPH_USER_READ = "https://graph.microsoft.com/User.Read"
GRAPH_ME = "https://graph.microsoft.com/v1.0/me"
#: App Service sets it on every instance in Azure ("Environment variables and app settings in
#: Azure App Service"); Core Tools and uvicorn on a workstation do not.
_ON_AZURE = "WEBSITE_INSTANCE_ID"


@dataclass(frozen=True)
class OboSettings:
    """The API's own registration (the middle tier), how it authenticates, and the downstream API."""

    #: The API's app registration: the audience of the caller's token, the client of the exchange.
    client_id: str
    #: `https://{host}/{tenant}`: MSAL's authority, and where the consent and sign-in URLs point.
    authority: str
    scopes: tuple[str, ...]
    api_url: str
    #: Where Entra sends the browser after consent or a step-up (a redirect URI of the API's registration).
    redirect_uri: str
    #: Fernet keys sealing the multi-round-trip `requestState`; the first seals, all open.
    state_keys: tuple[str, ...] = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    #: The user-assigned identity's client id, whose token is the federated credential's subject.
    managed_identity: str | None = None
    assertion_audience: str = TOKEN_EXCHANGE_AUDIENCE

    @property
    def authorization_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/authorize"

    @classmethod
    def from_env(cls, environ: Mapping[str, str], auth_settings: Settings | None) -> OboSettings | None:
        """None when OBO_EXAMPLE is off; raise ConfigError naming every bad OBO_* value."""
        problems: list[str] = []
        if not switch(environ, "OBO_EXAMPLE", problems):
            if problems:
                raise ConfigError(problems)
            return None
        settings = _read(environ, auth_settings, problems)
        if problems or settings is None:
            raise ConfigError(problems)
        return settings


def obo_problems(environ: Mapping[str, str], auth_settings: Settings | None) -> tuple[OboSettings | None, list[str]]:
    """The settings, or the problems: for callers that report them with other settings' problems."""
    try:
        return OboSettings.from_env(environ, auth_settings), []
    except ConfigError as error:
        return None, error.problems


def _read(environ: Mapping[str, str], auth_settings: Settings | None, problems: list[str]) -> OboSettings | None:
    client_id = setting(environ, "OBO_CLIENT_ID") or (auth_settings.audience if auth_settings else None)
    secret = setting(environ, "OBO_CLIENT_SECRET")
    identity = setting(environ, "OBO_MANAGED_IDENTITY_CLIENT_ID")
    authority = setting(environ, "OBO_AUTHORITY")
    scopes = tuple((setting(environ, "OBO_SCOPES") or GRAPH_USER_READ).split())
    api_url = setting(environ, "OBO_API_URL") or GRAPH_ME
    redirect_uri = setting(environ, "OBO_REDIRECT_URI")
    keys = comma_separated(setting(environ, "OBO_STATE_KEYS"))
    audience = setting(environ, "OBO_ASSERTION_AUDIENCE") or TOKEN_EXCHANGE_AUDIENCE

    if (client_id is None and auth_settings is not None) or (client_id is not None and not is_guid(client_id)):
        problems.append("OBO_CLIENT_ID (default OAUTH_AUDIENCE) must be the API registration's client id (a GUID)")
    if (secret is None) == (identity is None):
        problems.append("set exactly one of OBO_MANAGED_IDENTITY_CLIENT_ID or OBO_CLIENT_SECRET")
    if secret is not None and environ.get(_ON_AZURE):
        # No secret on Azure: the managed identity's federated credential replaces it.
        problems.append("OBO_CLIENT_SECRET is for local development only; on Azure set OBO_MANAGED_IDENTITY_CLIENT_ID")
    # Microsoft, "Configure an application to trust a managed identity": "Only user-assigned managed
    # identities can be used as a federated credential for apps. system-assigned identities aren't supported."
    if identity is not None and not is_guid(identity):
        problems.append("OBO_MANAGED_IDENTITY_CLIENT_ID must be a user-assigned identity's client id (GUID)")
    if authority is None and auth_settings is not None and auth_settings.issuer.endswith("/v2.0"):
        # Entra's v2.0 endpoints sit beside its v2.0 issuer: `{authority}/{tenant}/oauth2/v2.0/…`.
        authority = auth_settings.issuer.removesuffix("/v2.0")
    if authority is None and auth_settings is not None:
        problems.append("OBO_AUTHORITY is required when OAUTH_ISSUER is not an Entra v2.0 issuer")
    elif authority is not None and not _https(authority):
        # MSAL accepts only https authorities (msal.authority.canonicalize).
        problems.append("OBO_AUTHORITY must be an https:// URL with a tenant path (MSAL accepts no other)")
    if not scopes or any(" " in s or "," in s for s in scopes):
        problems.append("OBO_SCOPES must be the downstream API's scopes, space-separated")
    api_problem = https_url_problem(api_url)
    if api_problem is not None:
        problems.append(f"OBO_API_URL {api_problem}")
    if redirect_uri is None:
        problems.append("OBO_REDIRECT_URI is required: a redirect URI of the API's registration (https)")
    elif https_url_problem(redirect_uri) is not None:
        problems.append(f"OBO_REDIRECT_URI {https_url_problem(redirect_uri)}")
    if not keys:
        problems.append("OBO_STATE_KEYS is required (comma-separated Fernet keys, the first seals)")
    for position, key in enumerate(keys, start=1):
        if fernet_key_problem(key) is not None:
            problems.append(f"OBO_STATE_KEYS key {position} is not a Fernet key (32 bytes of url-safe base64)")
    if problems or client_id is None or authority is None or redirect_uri is None:
        return None
    return OboSettings(
        client_id=client_id,
        authority=authority.rstrip("/"),
        scopes=scopes,
        api_url=api_url,
        redirect_uri=redirect_uri,
        state_keys=keys,
        client_secret=secret,
        managed_identity=identity,
        assertion_audience=audience,
    )


def _https(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and parts.path.strip("/") != "" and not parts.query

