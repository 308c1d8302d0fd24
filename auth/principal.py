"""Who is calling: the identity carried by a validated access token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .permissions import granted_permissions

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """The caller, as the token's issuer vouched for it. Absent claims are None."""

    kind: Literal["user", "app"]
    subject: str | None
    object_id: str | None
    tenant_id: str | None
    client_id: str | None
    name: str | None
    username: str | None
    permissions: frozenset[str]

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], client_id: str | None) -> Principal:
        """Read a validated token's claims; `client_id` is what auth.claims.client_id_of read for its issuer."""
        return cls(
            kind=_kind(claims, client_id),
            subject=_text(claims, "sub"),
            object_id=_text(claims, "oid"),
            tenant_id=_text(claims, "tid"),
            client_id=client_id,
            name=_text(claims, "name"),
            username=_text(claims, "preferred_username", "upn"),
            permissions=granted_permissions(claims),
        )


def _kind(claims: Mapping[str, Any], client_id: str | None) -> Literal["user", "app"]:
    # Entra: a delegated token has `scp`, an app-only one never does (and may say idtyp=app).
    # Okta: client-credentials tokens carry `scp` too, but their subject is the client itself.
    if "scp" not in claims or claims.get("idtyp") == "app":
        return "app"
    if client_id is not None and claims.get("sub") == client_id:
        return "app"
    return "user"


def _text(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str):
            return value
    return None
