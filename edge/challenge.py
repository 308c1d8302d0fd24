"""The one place where auth errors become HTTP answers (RFC 6750 §3, RFC 9728 §5.1)."""

from __future__ import annotations

from auth import AuthError, CallerRefused, InsufficientScope, KeysUnavailable

__all__ = ["REFRESH_SCOPE", "auth_error_answer", "challenge_scope"]

#: OpenID Connect Core 1.0 §11: the scope that asks the authorization server for a refresh token.
#: Entra issues one only when it is requested ("Scopes and permissions in the Microsoft identity
#: platform", section offline_access: https://learn.microsoft.com/entra/identity-platform/scopes-oidc)
#: and accepts it beside one resource's scopes; Okta needs it too (docs/okta.md).
REFRESH_SCOPE = "offline_access"


def challenge_scope(scopes: list[str]) -> str:
    """The `scope=` of a 401: every permission scope of the API, then `offline_access`.

    A deliberate departure from a SHOULD NOT. The MCP authorization spec (SEP-2207,
    "OIDC-flavored refresh token guidance") asks resource servers to leave
    `offline_access` out of the challenge, since a refresh token is no requirement
    of the resource, and leaves it to clients to add it when the authorization
    server's metadata lists it. Clients that request exactly the challenged scope,
    as the TypeScript SDK 1.32 does, then get no refresh token from Entra and send
    their user through sign-in every hour. RFC 2119 §4 lets us deviate when the
    implications are understood: `offline_access` grants nothing here (no tool
    declares it, and Entra never puts it in `scp`), every issuer family this
    server supports (Entra, Okta, OIDC) defines it, and a client that adds it
    itself asks for the same set. The protected resource metadata's
    `scopes_supported` (RFC 9728 §2: scopes "used in authorization requests to
    request access to this protected resource") and the 403 keep to the rule.
    """
    return " ".join([*scopes, REFRESH_SCOPE])


def auth_error_answer(
    error: AuthError, *, metadata_url: str, all_scopes: str, scope_of: str | None = None
) -> tuple[int, dict[str, str], dict[str, str]]:
    """Status, headers and JSON body for an auth failure.

    `all_scopes` is the `scope=` of every 401 (see `challenge_scope`); `scope_of`
    is the full scope string of the permission an InsufficientScope lacks.
    """
    if isinstance(error, KeysUnavailable):
        # Not the client's fault and not a verdict on its token: 503, not 401.
        return (
            503,
            {"Retry-After": str(error.retry_after)},
            {"error": "temporarily_unavailable", "error_description": "Signing keys are unavailable; retry shortly"},
        )
    if isinstance(error, CallerRefused):
        # No challenge: no token the client could get would change its kind (auth.errors.CallerRefused).
        # Both names come from the server's own lists: a validated kind, a configured tool name.
        return (
            403,
            {},
            {
                "error": "caller_kind_refused",
                "error_description": f"This server does not accept {error.kind} callers for the tool {error.tool}",
            },
        )
    params: list[tuple[str, str]] = []
    if error.error is not None:
        params.append(("error", error.error))
    if isinstance(error, InsufficientScope):
        # RFC 6750 §3.1: "the scope necessary to access the protected resource", which is the
        # one permission this call lacks and nothing else. offline_access is not missing from the
        # token, a client that signed in through our 401 already holds a refresh token, and on
        # step-up MCP clients request the union of their earlier scope and this one (SEP-2350).
        params.append(("scope", scope_of or error.permission))
    elif error.description is not None:
        params.append(("error_description", error.description))
    # RFC 9728 §5.1: point the client at the metadata that says how to get a token.
    params.append(("resource_metadata", metadata_url))
    if error.status == 401:
        # RFC 6750 §3 allows `scope` on any challenge; the MCP spec (2025-11-25, "Scope Selection
        # Strategy") has clients request the 401's scope. On invalid_token as well, so a client whose
        # refresh token has lapsed signs in again for a set that includes offline_access.
        params.append(("scope", all_scopes))
    challenge = "Bearer " + ", ".join(f'{name}="{value}"' for name, value in params)
    body = {
        "error": error.error or "unauthorized",
        "error_description": error.description
        or (f"The token lacks the {scope_of} permission" if isinstance(error, InsufficientScope) else "A bearer token is required"),
    }
    return error.status, {"WWW-Authenticate": challenge}, body
