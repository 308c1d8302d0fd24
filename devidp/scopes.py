"""Entra-style interpretation of the `scope` parameter (RFC 6749 §3.3).

Entra's v2 endpoint names a resource's scope by its full string,
``{App ID URI}/{name}`` (or ``{client id}/{name}``); a bare name such as
``calculator.add`` is resolved against Microsoft Graph instead. Client
credentials ask for ``{resource}/.default`` and get the app roles an admin
granted. The errors below copy Entra's `error` codes and AADSTS numbers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, OAuth2Error

__all__ = ["OIDC_SCOPES", "Resource", "ScopeGrant", "app_scope", "user_scope"]

#: Scopes that name no resource: OpenID Connect's and `offline_access` (a refresh token).
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


class InvalidResourceError(OAuth2Error):  # type: ignore[misc]
    """Entra's `invalid_resource`: the scope names a resource unknown to the tenant."""

    error = "invalid_resource"


@dataclass(frozen=True)
class Resource:
    """The protected API as the provider knows it."""

    client_id: str
    app_id_uri: str
    scopes: tuple[str, ...]

    def prefixes(self) -> tuple[str, ...]:
        """The accepted resource prefixes of a full scope string."""
        return (self.app_id_uri.rstrip("/") + "/", self.client_id + "/")


@dataclass(frozen=True)
class ScopeGrant:
    """What a user's request resolves to: bare API scopes and `offline_access`."""

    api_scopes: tuple[str, ...]
    offline_access: bool
    requested: str

    def full_scopes(self, resource: Resource) -> str:
        """The scope string for the token response: full API scope strings, as Entra returns them."""
        prefix = resource.app_id_uri.rstrip("/") + "/"
        return " ".join(prefix + s for s in self.api_scopes)


def _split(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split(" ") if s]


def _resource_name(item: str, resource: Resource) -> str | None:
    for prefix in resource.prefixes():
        if item.startswith(prefix):
            return item[len(prefix) :]
    return None


def user_scope(scope: str | None, resource: Resource, allowed: Collection[str] | None) -> ScopeGrant:
    """Resolve a delegated request (authorization code flow) or raise an Entra-shaped error.

    `allowed` is the client's delegated permission list (bare names), or None for all.
    """
    items = _split(scope)
    if not items:
        raise InvalidRequestError("AADSTS900144: The request body must contain the following parameter: 'scope'.")
    permitted = resource.scopes if allowed is None else tuple(s for s in resource.scopes if s in allowed)
    chosen: list[str] = []
    for item in items:
        if item in OIDC_SCOPES:
            continue
        name = _resource_name(item, resource)
        if name is None:
            if "/" in item:
                raise InvalidResourceError(
                    f"AADSTS500011: The resource principal named {item.rsplit('/', 1)[0]} "
                    "was not found in the tenant."
                )
            # A bare name resolves to Microsoft Graph, which has no such scope.
            raise InvalidScopeError(
                f"AADSTS650053: The application asked for scope '{item}' that doesn't exist "
                f"on the resource '{_GRAPH_APP_ID}'."
            )
        if name == ".default":
            chosen.extend(permitted)
        elif name in permitted:
            chosen.append(name)
        else:
            raise InvalidScopeError(
                f"AADSTS70011: The provided value for the input parameter 'scope' is not valid. "
                f"The scope {item} is not valid."
            )
    if not chosen:
        raise InvalidScopeError(
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid. "
            "It names no scope of the API."
        )
    ordered = tuple(s for s in resource.scopes if s in chosen)
    return ScopeGrant(api_scopes=ordered, offline_access="offline_access" in items, requested=" ".join(items))


def app_scope(scope: str | None, resource: Resource) -> None:
    """Check a client credentials request: exactly one ``{resource}/.default``.

    Entra requires the `.default` suffix because application permissions are
    granted ahead of time; the token's `roles` are the granted app roles.
    """
    items = _split(scope)
    if not items:
        raise InvalidRequestError("AADSTS900144: The request body must contain the following parameter: 'scope'.")
    if len(items) != 1 or _resource_name(items[0], resource) != ".default":
        if len(items) == 1 and items[0].endswith("/.default") and _resource_name(items[0], resource) is None:
            raise InvalidResourceError(
                f"AADSTS500011: The resource principal named {items[0][: -len('/.default')]} "
                "was not found in the tenant."
            )
        raise InvalidScopeError(
            f"AADSTS1002012: The provided value for scope {' '.join(items)} is not valid. "
            "Client credential flows must have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI)."
        )
