"""The one place where auth errors become HTTP answers (RFC 6750 §3, RFC 9728 §5.1)."""

from __future__ import annotations

from auth import AuthError, InsufficientScope, KeysUnavailable

__all__ = ["auth_error_answer"]


def auth_error_answer(
    error: AuthError, *, metadata_url: str, all_scopes: str, scope_of: str | None = None
) -> tuple[int, dict[str, str], dict[str, str]]:
    """Status, headers and JSON body for an auth failure.

    `scope_of` is the full scope string of the permission an InsufficientScope lacks.
    """
    if isinstance(error, KeysUnavailable):
        # Not the client's fault and not a verdict on its token: 503, not 401.
        return (
            503,
            {"Retry-After": str(error.retry_after)},
            {"error": "temporarily_unavailable", "error_description": "Signing keys are unavailable; retry shortly"},
        )
    params: list[tuple[str, str]] = []
    if error.error is not None:
        params.append(("error", error.error))
    if isinstance(error, InsufficientScope):
        # RFC 6750 §3.1: the scope needed to access the resource.
        params.append(("scope", scope_of or error.permission))
    elif error.description is not None:
        params.append(("error_description", error.description))
    # RFC 9728 §5.1: point the client at the metadata that says how to get a token.
    params.append(("resource_metadata", metadata_url))
    if error.error is None:
        # No token at all (RFC 6750 §3: no error code): say which scopes to ask for.
        params.append(("scope", all_scopes))
    challenge = "Bearer " + ", ".join(f'{name}="{value}"' for name, value in params)
    body = {
        "error": error.error or "unauthorized",
        "error_description": error.description
        or (f"The token lacks the {scope_of} permission" if isinstance(error, InsufficientScope) else "A bearer token is required"),
    }
    return error.status, {"WWW-Authenticate": challenge}, body
