"""Who is calling: the identity carried by a validated access token."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .callers import CallerKind, caller_kind, parent_app_id
from .permissions import granted_permissions

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """The caller, as the token's issuer vouched for it. Absent claims are None."""

    #: user, app, or an agent: acting for a user, autonomous, or its own user account (auth.callers).
    kind: CallerKind
    subject: str | None
    object_id: str | None
    tenant_id: str | None
    client_id: str | None
    name: str | None
    username: str | None
    permissions: frozenset[str]
    #: An agent's parent application (`xms_par_app_azp`): for audit only, never for authorization.
    parent_app_id: str | None = None

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], client_id: str | None) -> Principal:
        """Read a validated token's claims; `client_id` is what auth.claims.client_id_of read for its issuer."""
        return cls(
            kind=caller_kind(claims, client_id),
            subject=_text(claims, "sub"),
            object_id=_text(claims, "oid"),
            tenant_id=_text(claims, "tid"),
            client_id=client_id,
            name=_text(claims, "name"),
            username=_text(claims, "preferred_username", "upn"),
            permissions=granted_permissions(claims),
            parent_app_id=parent_app_id(claims),
        )


def _text(claims: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str):
            return value
    return None
