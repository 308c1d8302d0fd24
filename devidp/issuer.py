"""Mints signed access tokens: the one place where claims meet the signing key."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .claims import TokenShape, TokenVersion, app_claims, user_claims
from .keys import SigningKey
from .registry import ClientRegistration, DevUser

__all__ = ["TokenIssuer"]


@dataclass
class TokenIssuer:
    """Signs Entra-shaped access tokens and produces RFC 6749 §5.1 token responses."""

    shape: TokenShape
    key: SigningKey
    clock: Callable[[], float]
    access_token_lifetime: int = 3600
    refresh_token_lifetime: int = 86400
    access_token_version: TokenVersion = 2

    def user_token(
        self,
        client: ClientRegistration,
        user: DevUser,
        scopes: Iterable[str],
        *,
        version: TokenVersion | None = None,
        lifetime: int | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed delegated access token with `scp` = the bare `scopes`."""
        claims = user_claims(
            self.shape,
            version=version or self.access_token_version,
            client=client,
            user=user,
            scopes=scopes,
            now=self.clock(),
            lifetime=self.access_token_lifetime if lifetime is None else lifetime,
        )
        return self.key.sign({**claims, **(extra_claims or {})})

    def app_token(
        self,
        client: ClientRegistration,
        *,
        roles: Iterable[str] | None = None,
        version: TokenVersion | None = None,
        lifetime: int | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """A signed application access token with `roles` and `idtyp` = app."""
        claims = app_claims(
            self.shape,
            version=version or self.access_token_version,
            client=client,
            now=self.clock(),
            lifetime=self.access_token_lifetime if lifetime is None else lifetime,
            roles=roles,
        )
        return self.key.sign({**claims, **(extra_claims or {})})

    def token_response(self, access_token: str, *, scope: str | None = None, refresh: bool = False) -> dict[str, Any]:
        """The token endpoint's JSON body; Entra adds `ext_expires_in`."""
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
            "access_token": access_token,
        }
        if scope is not None:
            body["scope"] = scope
        if refresh:
            body["refresh_token"] = secrets.token_urlsafe(48)
        return body
