"""The OAuth front's configuration, read once from the environment into a frozen object.

`FrontSettings.from_env(environ, auth_settings)` returns None when the front is
off (the default). When it is on, every problem is collected and raised as one
`auth.ConfigError`, so `function_app.py` can name them with the server's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from auth import ConfigError, Settings
from auth.settings import https_url_problem

__all__ = ["ENTRA_TOKEN_EXCHANGE_AUDIENCE", "FrontSettings", "front_problems"]

_ON = frozenset({"on", "true", "1", "yes"})
_OFF = frozenset({"", "off", "false", "0", "no"})
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Microsoft docs, "Configure an app to trust a managed identity": the audience of the managed
# identity's token, and of the federated credential, for the public cloud.
ENTRA_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


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
    assertion_audience: str = ENTRA_TOKEN_EXCHANGE_AUDIENCE
    #: Local development only: CIMD documents on loopback or private addresses, and over http.
    dev_mode: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str], auth_settings: Settings | None) -> FrontSettings | None:
        """None when OAUTH_FRONT is off; raise ConfigError naming every bad OAUTH_FRONT_* value."""
        problems: list[str] = []
        front = _enabled(environ, problems)
        if not front:
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


def _value(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def _enabled(environ: Mapping[str, str], problems: list[str]) -> bool:
    switch = environ.get("OAUTH_FRONT", "").strip().lower()
    if switch in _ON:
        return True
    if switch not in _OFF:
        problems.append("OAUTH_FRONT must be on or off")
    return False


def _read(environ: Mapping[str, str], auth_settings: Settings | None, problems: list[str]) -> FrontSettings | None:
    client_id = _value(environ, "OAUTH_FRONT_CLIENT_ID")
    secret = _value(environ, "OAUTH_FRONT_CLIENT_SECRET")
    identity = _value(environ, "OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID")
    keys_value = _value(environ, "OAUTH_FRONT_SEALING_KEYS")
    authorize = _value(environ, "OAUTH_FRONT_AUTHORIZATION_ENDPOINT")
    token = _value(environ, "OAUTH_FRONT_TOKEN_ENDPOINT")
    audience = _value(environ, "OAUTH_FRONT_ASSERTION_AUDIENCE") or ENTRA_TOKEN_EXCHANGE_AUDIENCE
    dev_value = environ.get("OAUTH_FRONT_DEV_MODE", "").strip().lower()

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
    elif identity is not None and not _GUID.match(identity):
        problems.append("OAUTH_FRONT_MANAGED_IDENTITY_CLIENT_ID must be a client id (GUID)")
    keys = tuple(k.strip() for k in (keys_value or "").split(",") if k.strip())
    if not keys:
        problems.append("OAUTH_FRONT_SEALING_KEYS is required (comma-separated Fernet keys, the first seals)")
    else:
        from .sealing import key_problem

        for position, key in enumerate(keys, start=1):
            if key_problem(key):
                problems.append(f"OAUTH_FRONT_SEALING_KEYS key {position} {key_problem(key)}")
    if dev_value not in _ON | _OFF:
        problems.append("OAUTH_FRONT_DEV_MODE must be on or off")

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
        dev_mode=dev_value in _ON,
    )


def _entra_tenant_authority(settings: Settings) -> str | None:
    """`{authority}/{tenant}` of an Entra v2.0 OAUTH_ISSUER, the base of its OAuth endpoints; else None."""
    if not settings.is_entra or not settings.issuer.endswith("/v2.0"):
        return None
    return settings.issuer.removesuffix("/v2.0")
