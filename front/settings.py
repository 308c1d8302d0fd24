"""The OAuth front's configuration, read once from the environment into a frozen object.

`FrontSettings.from_env(environ, auth_settings)` returns None when the front is
off (the default). When it is on, every problem is collected and raised as one
`auth.ConfigError`, so `function_app.py` can name them with the server's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from auth import ConfigError, Settings
from auth.env import comma_separated, fernet_key_problem, is_guid, setting, switch
from auth.settings import https_url_problem, is_loopback_host
from outbound import TOKEN_EXCHANGE_AUDIENCE

__all__ = ["DEFAULT_REFRESH_WINDOW_HOURS", "MAX_REFRESH_WINDOW_HOURS", "FrontSettings", "front_problems"]

# The refresh window: Entra caps a single-page app's refresh tokens at 24 hours ("Refresh tokens in
# the Microsoft identity platform"), and every client of the front is public (RFC 9700 §4.14.2);
# never longer than Entra's own 90-day inactivity lifetime.
DEFAULT_REFRESH_WINDOW_HOURS = 24
MAX_REFRESH_WINDOW_HOURS = 90 * 24


@dataclass(frozen=True)
class FrontSettings:
    """The upstream client, how it authenticates, and the keys that seal the front's values."""

    client_id: str
    authorization_endpoint: str
    token_endpoint: str
    sealing_keys: tuple[str, ...] = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    #: The user-assigned managed identity's client id.
    managed_identity: str | None = None
    assertion_audience: str = TOKEN_EXCHANGE_AUDIENCE
    #: Local development only: CIMD documents on loopback or private addresses, and over http.
    dev_mode: bool = False
    #: How long one sign-in's refresh tokens work, however often they are used (absolute, not sliding).
    refresh_window_seconds: int = DEFAULT_REFRESH_WINDOW_HOURS * 3600
    #: The Table Storage endpoint for refresh-token reuse detection and revocation; None: stateless.
    token_store: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], auth_settings: Settings | None) -> FrontSettings | None:
        """None when OAUTH_FRONT is off; raise ConfigError naming every bad OAUTH_FRONT_* value."""
        problems: list[str] = []
        if not switch(environ, "OAUTH_FRONT", problems):
            if problems:
                raise ConfigError(problems)
            return None
        settings = _read(environ, auth_settings, problems)
        if problems or settings is None:
            raise ConfigError(problems)
        return settings


def front_problems(environ: Mapping[str, str], auth_settings: Settings | None) -> tuple[FrontSettings | None, list[str]]:
    """The settings, or the problems: for callers that report them with other settings' problems."""
    try:
        return FrontSettings.from_env(environ, auth_settings), []
    except ConfigError as error:
        return None, error.problems


def _read(environ: Mapping[str, str], auth_settings: Settings | None, problems: list[str]) -> FrontSettings | None:
    client_id = setting(environ, "OAUTH_FRONT_CLIENT_ID")
    secret = setting(environ, "OAUTH_FRONT_CLIENT_SECRET")
    identity = setting(environ, "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID")
    keys_value = setting(environ, "OAUTH_FRONT_SEALING_KEYS")
    authorize = setting(environ, "OAUTH_FRONT_AUTHORIZATION_ENDPOINT")
    token = setting(environ, "OAUTH_FRONT_TOKEN_ENDPOINT")
    audience = setting(environ, "OAUTH_FRONT_ASSERTION_AUDIENCE") or TOKEN_EXCHANGE_AUDIENCE
    window_hours = _refresh_window_hours(setting(environ, "OAUTH_FRONT_REFRESH_WINDOW_HOURS"), problems)
    token_store = setting(environ, "OAUTH_FRONT_TOKEN_STORE")

    if client_id is None:
        problems.append("OAUTH_FRONT_CLIENT_ID is required (the upstream app registration of the front)")
    if (secret is None) == (identity is None):
        problems.append("set exactly one of OAUTH_FRONT_CLIENT_SECRET or OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID")
    # Microsoft, "Configure an application to trust a managed identity": "Only user-assigned managed
    # identities can be used as a federated credential for apps. system-assigned identities aren't supported."
    if identity is not None and identity.lower() == "system":
        problems.append(
            "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID must be a user-assigned identity's client id: "
            "an app's federated credential cannot trust a system-assigned identity"
        )
    elif identity is not None and not is_guid(identity):
        problems.append("OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID must be a client id (GUID)")
    keys = comma_separated(keys_value)
    if not keys:
        problems.append("OAUTH_FRONT_SEALING_KEYS is required (comma-separated Fernet keys, the first seals)")
    for position, key in enumerate(keys, start=1):
        problem = fernet_key_problem(key)
        if problem:
            problems.append(f"OAUTH_FRONT_SEALING_KEYS key {position} {problem}")
    dev_mode = switch(environ, "OAUTH_FRONT_DEV_MODE", problems)

    if authorize is None or token is None:
        # Entra's v2.0 endpoints sit beside its v2.0 issuer, `{authority}/{tenant}/oauth2/v2.0/…`
        # ("Microsoft identity platform and OAuth 2.0 authorization code flow"), in every cloud, in
        # External ID (`https://{tid}.ciamlogin.com/{tid}`) and for the multi-tenant `organizations`
        # and `common` authorities alike; any other issuer names them explicitly.
        entra = _entra_tenant_authority(auth_settings) if auth_settings is not None else None
        if entra is not None:
            authorize = authorize or f"{entra}/oauth2/v2.0/authorize"
            token = token or f"{entra}/oauth2/v2.0/token"
        elif auth_settings is not None:
            problems.append(
                "OAUTH_FRONT_AUTHORIZATION_ENDPOINT and OAUTH_FRONT_TOKEN_ENDPOINT are required "
                "when OAUTH_ISSUER is not an Entra v2.0 issuer"
            )
    for name, url in (("OAUTH_FRONT_AUTHORIZATION_ENDPOINT", authorize), ("OAUTH_FRONT_TOKEN_ENDPOINT", token)):
        problem = https_url_problem(url) if url is not None else None
        if problem:
            problems.append(f"{name} {problem}")
    if token_store is not None:
        problems.extend(_token_store_problems(token_store, identity))
    if problems or client_id is None or authorize is None or token is None:
        return None
    return FrontSettings(
        client_id=client_id,
        authorization_endpoint=authorize,
        token_endpoint=token,
        sealing_keys=keys,
        client_secret=secret,
        managed_identity=identity,
        assertion_audience=audience,
        dev_mode=dev_mode,
        refresh_window_seconds=window_hours * 3600,
        token_store=token_store.rstrip("/") if token_store is not None else None,
    )


def _refresh_window_hours(value: str | None, problems: list[str]) -> int:
    if value is None:
        return DEFAULT_REFRESH_WINDOW_HOURS
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_REFRESH_WINDOW_HOURS:
        problems.append(f"OAUTH_FRONT_REFRESH_WINDOW_HOURS must be a whole number of hours from 1 to {MAX_REFRESH_WINDOW_HOURS}")
        return DEFAULT_REFRESH_WINDOW_HOURS
    return int(value)


def _token_store_problems(url: str, identity: str | None) -> list[str]:
    """The store is Table Storage over https with the managed identity, or Azurite on loopback."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.query or parts.fragment or parts.username or parts.password:
        return ["OAUTH_FRONT_TOKEN_STORE must be a Table Storage URL, e.g. https://{account}.table.core.windows.net"]
    if parts.scheme == "http" and is_loopback_host(host):
        # Azurite's path-style URL names its account: http://127.0.0.1:10002/devstoreaccount1.
        return [] if parts.path.strip("/") == "devstoreaccount1" else [
            "OAUTH_FRONT_TOKEN_STORE on loopback must be Azurite's http://127.0.0.1:{port}/devstoreaccount1"
        ]
    if parts.scheme != "https":
        return ["OAUTH_FRONT_TOKEN_STORE must be an https:// URL (plain http only for Azurite on loopback)"]
    if parts.path.strip("/"):
        return ["OAUTH_FRONT_TOKEN_STORE must be the account's table endpoint, with no path"]
    if identity is None:
        # No account key is ever configured: the app's managed identity holds Storage Table Data Contributor.
        return ["OAUTH_FRONT_TOKEN_STORE over https needs OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID (its managed identity reads and writes the table)"]
    return []


def _entra_tenant_authority(settings: Settings) -> str | None:
    """`{authority}/{tenant}` of an Entra v2.0 OAUTH_ISSUER, the base of its OAuth endpoints; else None."""
    if not settings.is_entra or not settings.issuer.endswith("/v2.0"):
        return None
    return settings.issuer.removesuffix("/v2.0")
