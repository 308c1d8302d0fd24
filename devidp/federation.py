"""Workload identity federation, as Entra does it: a client authenticates with another issuer's token.

An app registration lists federated identity credentials (issuer, subject,
audience). A client presents a token from that issuer as `client_assertion`
(RFC 7521 §4.2, RFC 7523 §2.2, type jwt-bearer); the provider checks its
signature and that issuer, subject and audience match one credential exactly
("Workload identity federation", Microsoft identity platform; the managed
identity's token has audience api://AzureADTokenExchange). Here the managed
identity's tokens come from this very provider (devidp/managed_identity.py), as
on Azure they come from Entra itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from authlib.oauth2.rfc6749 import InvalidClientError

from .keys import SigningKey

__all__ = ["JWT_BEARER", "FederatedCredential", "FederatedAssertionRejected", "authenticate_federated"]

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class FederatedCredential:
    """One federated identity credential of an app registration; `issuer` None means this provider's own."""

    subject: str
    issuer: str | None = None
    audience: str = TOKEN_EXCHANGE_AUDIENCE


class FederatedAssertionRejected(InvalidClientError):  # type: ignore[misc]
    """A client assertion that matches no federated credential (Entra words each case with its AADSTS code)."""

    def __init__(self, description: str) -> None:
        super().__init__(status_code=401, description=description)


def authenticate_federated(key: SigningKey, own_issuer: str, client: Any, assertion: str) -> None:
    """Raise FederatedAssertionRejected unless `assertion` is a valid token matching one of `client`'s credentials."""
    try:
        claims = jwt.decode(
            assertion,
            key.private_key.public_key(),
            algorithms=["RS256"],
            options={"verify_aud": False, "require": ["iss", "sub", "aud", "exp", "iat"]},
            leeway=60,
        )
    except jwt.PyJWTError as exc:
        raise FederatedAssertionRejected(
            "AADSTS50027: JWT token is invalid or malformed (the client assertion)."
        ) from exc
    for credential in client.federated_credentials:
        issuer = credential.issuer or own_issuer
        if (claims.get("iss"), claims.get("sub"), claims.get("aud")) == (issuer, credential.subject, credential.audience):
            return
    raise FederatedAssertionRejected(
        "AADSTS70021: No matching federated identity record found for presented assertion. "
        f"Assertion Issuer: '{claims.get('iss')}'. Assertion Subject: '{claims.get('sub')}'. "
        f"Assertion Audience: '{claims.get('aud')}'."
    )
