"""Tokens: the `TokenSet` value, client credentials (plain requests or MSAL) and refresh.

A `TokenSet` never shows its tokens in `repr`, and nothing in the client
prints them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from .discovery import Endpoints
from .errors import ClientError, OAuthFailure
from .settings import ClientSettings

__all__ = ["TokenSet", "client_credentials", "msal_client_credentials", "refresh"]

TIMEOUT = 15
#: Refresh this long before `expires_at`, so a token does not expire in flight.
EXPIRY_SKEW = 60


@dataclass(frozen=True)
class TokenSet:
    """An access token, when it expires (client clock), and the refresh token if any."""

    access_token: str = field(repr=False)
    expires_at: float
    token_type: str = "Bearer"
    scope: str | None = None
    refresh_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_response(cls, body: dict[str, Any], now: float, previous_refresh: str | None = None) -> TokenSet:
        """From an RFC 6749 §5.1 response; `expires_in` is relative to `now`."""
        if "access_token" not in body:
            raise ClientError("the token response has no access_token")
        return cls(
            access_token=body["access_token"],
            expires_at=now + float(body.get("expires_in", 3600)),
            token_type=body.get("token_type", "Bearer"),
            scope=body.get("scope"),
            # A server that does not rotate may omit it; keep the one we have (RFC 6749 §6).
            refresh_token=body.get("refresh_token") or previous_refresh,
        )

    def expired(self, now: float, skew: float = EXPIRY_SKEW) -> bool:
        """True once `now` is within `skew` seconds of expiry."""
        return now >= self.expires_at - skew

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenSet:
        return cls(
            access_token=str(data["access_token"]),
            expires_at=float(data["expires_at"]),
            token_type=str(data.get("token_type") or "Bearer"),
            scope=data.get("scope"),
            refresh_token=data.get("refresh_token"),
        )


def _failure(response: requests.Response) -> OAuthFailure:
    try:
        body = response.json()
    except ValueError:
        body = {}
    return OAuthFailure(body.get("error", "http_error"), body.get("error_description"), response.status_code)


def client_credentials(
    settings: ClientSettings, endpoints: Endpoints, now: Callable[[], float], session: requests.Session | None = None
) -> TokenSet:
    """RFC 6749 §4.4 with plain requests: one form POST, secret in the body (client_secret_post)."""
    http = session or requests.Session()
    data = {
        "grant_type": "client_credentials",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret or "",
        "scope": " ".join(settings.app_scopes),
    }
    try:
        response = http.post(endpoints.token_endpoint, data=data, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ClientError(f"cannot reach the token endpoint: {exc.__class__.__name__}") from exc
    if response.status_code != 200:
        raise _failure(response)
    return TokenSet.from_response(response.json(), now())


def authority_of(settings: ClientSettings) -> str:
    """MSAL's authority: the setting, else the issuer without Entra's ``/v2.0`` suffix."""
    if settings.authority:
        return settings.authority.rstrip("/")
    issuer = (settings.issuer or "").rstrip("/")
    return issuer[: -len("/v2.0")] if issuer.endswith("/v2.0") else issuer


def msal_client_credentials(
    settings: ClientSettings, now: Callable[[], float], http_client: requests.Session | None = None
) -> TokenSet:
    """Client credentials through MSAL's `ConfidentialClientApplication` (scope ``{resource}/.default``).

    MSAL accepts only https authorities. For one other than login.microsoftonline.com
    (a national cloud, or a local https provider) its instance discovery and
    authority validation are switched off.
    """
    import msal  # imported here: only this path needs it

    authority = authority_of(settings)
    if urlsplit(authority).scheme != "https":
        raise ClientError(
            f"MSAL needs an https authority, and {authority!r} is not; use the default (requests) path "
            "against the local development provider"
        )
    known = urlsplit(authority).hostname == "login.microsoftonline.com"
    app = msal.ConfidentialClientApplication(
        settings.client_id,
        client_credential=settings.client_secret,
        authority=authority,
        validate_authority=known,
        instance_discovery=None if known else False,
        http_client=http_client,
    )
    try:
        result = app.acquire_token_for_client(scopes=list(settings.app_scopes))
    except ValueError as exc:  # MSAL reports discovery failures this way
        raise ClientError(f"MSAL could not use the authority {authority!r}: {exc}") from exc
    if "access_token" not in result:
        raise OAuthFailure(result.get("error", "msal_error"), result.get("error_description"))
    return TokenSet.from_response(result, now())


def refresh(
    settings: ClientSettings, endpoints: Endpoints, tokens: TokenSet, now: Callable[[], float]
) -> TokenSet:
    """RFC 6749 §6 via authlib's OAuth2Session; the server may rotate the refresh token."""
    if not tokens.refresh_token:
        raise ClientError("the access token expired and there is no refresh token (ask for offline_access)")
    session = OAuth2Session(settings.client_id, settings.client_secret)
    try:
        # Entra's v2 endpoint documents `scope` as required on refresh; ask for the same scopes again.
        body = session.refresh_token(
            endpoints.token_endpoint,
            refresh_token=tokens.refresh_token,
            scope=" ".join(settings.scopes),
            timeout=TIMEOUT,
        )
    except OAuthError as exc:
        raise OAuthFailure(exc.error or "invalid_grant", exc.description) from None
    except requests.RequestException as exc:
        raise ClientError(f"cannot reach the token endpoint: {exc.__class__.__name__}") from exc
    return TokenSet.from_response(dict(body), now(), previous_refresh=None)


def unverified_claims(tokens: TokenSet) -> dict[str, Any]:
    """The access token's payload, for display; the signature is neither checked nor shown."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(tokens.access_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise ClientError("the access token is not a JWT (opaque to this client)") from exc
    return json.loads(json.dumps(claims))
