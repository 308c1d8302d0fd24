"""What a validated token lets its bearer do: `scp` or `roles` as a set of permission names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidToken

__all__ = ["granted_permissions", "is_unscoped_app_token"]

_UNSCOPED = frozenset({"", "/"})


def is_unscoped_app_token(claims: Mapping[str, Any]) -> bool:
    """An app-only token (idtyp=app) whose `scp` is empty or `/`, as an autonomous agent's is.

    Only with idtyp=app: a delegated token with an empty `scp` still grants nothing, not its roles.
    """
    scp = claims.get("scp")
    return claims.get("idtyp") == "app" and isinstance(scp, str) and scp.strip(" ") in _UNSCOPED


def granted_permissions(claims: Mapping[str, Any]) -> frozenset[str]:
    """The permission names a token grants, matched later exactly and case-sensitively.

    Delegated tokens carry `scp`: Entra writes a space-separated string (RFC 6749 §3.3
    scope syntax), Okta a JSON array. App-only tokens from the client-credentials grant
    carry `roles`. When `scp` is present, `roles` holds the signed-in user's app roles,
    not permissions granted to the client, so it is ignored. An agent identity's app-only token
    (idtyp=app) carries `scp` "Empty or `/`" beside its `roles` ("Token claims reference for
    agents", claim table), which is no delegation: its permissions are its `roles`.
    """
    if "scp" in claims and not is_unscoped_app_token(claims):
        return _names(claims["scp"], "scp", allow_string=True)
    if "roles" in claims:
        return _names(claims["roles"], "roles", allow_string=False)
    return frozenset()


def _names(value: Any, claim: str, *, allow_string: bool) -> frozenset[str]:
    if allow_string and isinstance(value, str):
        # Split on the space character only: a tab, comma or newline is part of a
        # name, so "calculator.add\tcalculator.subtract" grants nothing.
        return frozenset(name for name in value.split(" ") if name)
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return frozenset(value)
    raise InvalidToken(f"malformed_{claim}")
