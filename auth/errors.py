"""Every way a request can fail authentication or authorization, and the base of every reasoned failure.

    Failure[R]              any failure with a short, stable `reason` for its log line (STYLE 12)
    └── AuthError

        ├── MissingToken        401  no bearer credentials at all (RFC 6750 §3.1: no error code)
        ├── InvalidRequest      400  malformed credentials: repeated or oversized header
        ├── InvalidToken        401  the token is not acceptable (expired, bad signature, wrong iss, ...)
        │   └── TokenExpired    401  the only failure a client can fix by refreshing
        ├── InsufficientScope   403  a valid token that lacks the tool's permission
        ├── CallerRefused       403  a valid token of a caller kind the operator refuses this tool
        └── KeysUnavailable     503  no signing keys could be had, so no verdict is possible

Each error carries a `reason`, a stable code for the log line, and knows the
status and the RFC 6750 §3 challenge parameters it turns into. Only the edge
turns them into HTTP responses.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = [
    "AuthError",
    "CallerRefused",
    "Failure",
    "InsufficientScope",
    "InvalidRequest",
    "InvalidToken",
    "KeysUnavailable",
    "MissingToken",
    "TokenExpired",
]


R = TypeVar("R", bound=str)


class Failure(Exception, Generic[R]):
    """A failure that says what failed as a short, stable code, for the one log line about it.

    `R` is the set of codes: a Literal where the set is closed, `str` where a code carries a
    number (`http_404`) or another failure's code. A reason never holds a value from the request.
    """

    def __init__(self, reason: R) -> None:
        super().__init__(reason)
        self.reason: R = reason


class AuthError(Failure[str]):
    """Base of every authentication or authorization failure."""

    status: int = 401
    error: str | None = None
    description: str | None = None


class MissingToken(AuthError):
    """The request carries no bearer token (or uses another scheme)."""

    status = 401


class InvalidRequest(AuthError):
    """The credentials are malformed in a way no token can fix (RFC 6750 §3.1)."""

    status = 400
    error = "invalid_request"
    description = "The Authorization header is malformed"


class InvalidToken(AuthError):
    """The bearer token is not acceptable here (RFC 6750 §3.1 invalid_token)."""

    status = 401
    error = "invalid_token"
    description = "The access token is invalid"


class TokenExpired(InvalidToken):
    """The token's `exp` has passed, beyond the allowed leeway."""

    description = "The access token expired"


class InsufficientScope(AuthError):
    """The token is valid but does not grant the permission the call needs."""

    status = 403
    error = "insufficient_scope"

    def __init__(self, permission: str) -> None:
        super().__init__("insufficient_scope")
        self.permission = permission


class CallerRefused(AuthError):
    """The token is valid, but the operator refuses its caller kind this tool (MCP_REFUSED_CALLERS).

    No RFC 6750 §3.1 error code fits, so none is sent: `insufficient_scope` would send the client
    to ask for the scope again (MCP step-up), and the new token would be the same kind of caller;
    `invalid_token` would have it throw away a good token and sign in again, to the same end. It is
    RFC 9110 §15.5.4's plain 403: the credentials are understood and not enough, and "the client
    SHOULD NOT automatically repeat the request with the same credentials".
    """

    status = 403
    description = "This server does not accept this kind of caller for this tool"

    def __init__(self, kind: str, tool: str) -> None:
        super().__init__("caller_kind_refused")
        self.kind = kind
        self.tool = tool


class KeysUnavailable(AuthError):
    """The issuer's signing keys could not be fetched and none are cached."""

    status = 503

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
