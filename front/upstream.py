"""The front's only conversation with the upstream issuer (Entra): its token endpoint.

The grants are authlib's OAuth 2.0 client (`OAuth2Session`), with the front's
own PKCE (RFC 7636) and its own client authentication: a secret (local use), or
a managed identity's token presented as a federated client assertion, so no
secret exists on Azure. That assertion is `outbound.ManagedIdentityAssertion`,
shared with the on-behalf-of example (obo/).

Everything here blocks on the network: callers run it off the event loop.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from auth.errors import Failure
from outbound import AssertionUnavailable, ManagedIdentityAssertion

from .settings import FrontSettings

__all__ = ["Upstream", "UpstreamRefused", "UpstreamUnavailable"]

_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_TIMEOUT_SECONDS = 10.0


class UpstreamRefused(Exception):
    """The issuer answered with an RFC 6749 §5.2 error; its code and description are kept for the client."""

    def __init__(self, error: str, description: str | None) -> None:
        super().__init__(error)
        self.error = error
        self.description = description


class UpstreamUnavailable(Failure[Literal["token_endpoint", "managed_identity"]]):
    """The issuer (or the managed-identity endpoint) could not be reached or answered 5xx."""


class Upstream:
    """The upstream client registration and how it authenticates."""

    def __init__(self, settings: FrontSettings) -> None:
        self.settings = settings
        identity = settings.managed_identity
        self._assertion = None if identity is None else ManagedIdentityAssertion(identity, settings.assertion_audience)

    def authorization_url(self, *, redirect_uri: str, scope: str, state: str, code_challenge: str) -> str:
        """Where the browser goes next. No `resource`: Entra v2 refuses one that is not an
        identifier URI of the API (AADSTS9010010); the scope names the API instead."""
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "response_mode": "query",
                "scope": scope,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.settings.authorization_endpoint}?{query}"

    def redeem(self, *, code: str, redirect_uri: str, code_verifier: str, scope: str) -> dict[str, Any]:
        """RFC 6749 §4.1.3 with RFC 7636 §4.5: the upstream code for tokens."""
        return self._call(
            lambda session: session.fetch_token(
                self.settings.token_endpoint,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
                scope=scope,
                timeout=_TIMEOUT_SECONDS,
            )
        )

    def refresh(self, *, refresh_token: str, scope: str) -> dict[str, Any]:
        """RFC 6749 §6: a new access token (and, from Entra, a new refresh token)."""
        return self._call(
            lambda session: session.refresh_token(
                self.settings.token_endpoint, refresh_token=refresh_token, scope=scope, timeout=_TIMEOUT_SECONDS
            )
        )

    # -- plumbing -----------------------------------------------------------------

    def _call(self, grant: Any) -> dict[str, Any]:
        import requests
        from authlib.integrations.base_client import OAuthError

        try:
            with self._session() as session:
                token = grant(session)
        except OAuthError as exc:
            raise UpstreamRefused(str(exc.error or "invalid_grant"), exc.description) from exc
        except (requests.RequestException, ValueError) as exc:
            raise UpstreamUnavailable("token_endpoint") from exc
        return dict(token)

    def _session(self) -> Any:
        from authlib.integrations.requests_client import OAuth2Session

        if self.settings.client_secret is not None:
            return OAuth2Session(
                self.settings.client_id,
                self.settings.client_secret,
                token_endpoint_auth_method="client_secret_post",
            )
        session = OAuth2Session(self.settings.client_id, token_endpoint_auth_method="federated_assertion")
        session.register_client_auth_method(("federated_assertion", self._add_assertion))
        return session

    def _add_assertion(self, auth: Any, method: str, uri: str, headers: dict[str, str], body: str) -> tuple[str, dict[str, str], str]:
        from authlib.common.urls import add_params_to_qs

        params = [
            ("client_id", self.settings.client_id),
            # RFC 7521 §4.2 / RFC 7523 §2.2: the managed identity's token is the assertion.
            ("client_assertion_type", _JWT_BEARER),
            ("client_assertion", self._assertion_value()),
        ]
        return uri, headers, add_params_to_qs(body or "", params)

    def _assertion_value(self) -> str:
        """The managed identity's token for the token-exchange audience (MSAL caches it)."""
        if self._assertion is None:  # FrontSettings requires a secret or an identity
            raise UpstreamUnavailable("managed_identity")
        try:
            return self._assertion()
        except AssertionUnavailable as exc:
            raise UpstreamUnavailable("managed_identity") from exc
