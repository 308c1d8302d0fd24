"""The front's refusals: one class per RFC 6749 error code, each knowing its status.

    FrontError
    ├── InvalidRequest          400 invalid_request          (§4.1.2.1, §5.2)
    ├── InvalidClient           401 invalid_client           (§5.2)
    ├── InvalidGrant            400 invalid_grant            (§5.2)
    ├── InvalidScope            400 invalid_scope            (§4.1.2.1, §5.2)
    ├── InvalidTarget           400 invalid_target           (RFC 8707 §2)
    ├── UnsupportedGrantType    400 unsupported_grant_type   (§5.2)
    ├── UnsupportedResponseType 400 unsupported_response_type (§4.1.2.1)
    ├── UnsupportedTokenType    400 unsupported_token_type   (RFC 7009 §2.2.1)
    ├── AccessDenied            400 access_denied            (§4.1.2.1)
    ├── ConsentRefused          403 invalid_request          (a consent POST failing its CSRF check)
    ├── InvalidClientMetadata   400 invalid_client_metadata  (RFC 7591 §3.2.2)
    │   └── InvalidRedirectUri  400 invalid_redirect_uri     (RFC 7591 §3.2.2)
    ├── UpstreamError           400 <the issuer's own code>  (its AADSTS description kept)
    └── TemporarilyUnavailable  503 temporarily_unavailable  (§4.1.2.1)

`reason` is a short code for the one log line; `description` goes to the client.
`front/answers.py` is the only place these become HTTP.
"""

from __future__ import annotations

import re

from auth.errors import Failure

__all__ = [
    "AccessDenied",
    "ConsentRefused",
    "FrontError",
    "InvalidClient",
    "InvalidClientMetadata",
    "InvalidGrant",
    "InvalidRedirectUri",
    "InvalidRequest",
    "InvalidScope",
    "InvalidTarget",
    "TemporarilyUnavailable",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
    "UnsupportedTokenType",
    "UpstreamError",
]

_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
# RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
_NOT_DESCRIPTION_CHARS = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


class FrontError(Failure[str]):
    """A refusal with an RFC 6749 error code; `reason` defaults to the code."""

    error = "invalid_request"
    status = 400

    def __init__(self, description: str, reason: str | None = None) -> None:
        super().__init__(reason or self.error)
        self.description = _NOT_DESCRIPTION_CHARS.sub(" ", description)[:400]


class InvalidRequest(FrontError):
    """A parameter is missing, repeated or malformed."""


class InvalidClient(FrontError):
    """The client id names no client we can trust."""

    error = "invalid_client"
    status = 401


class InvalidGrant(FrontError):
    """The code or refresh token is invalid, expired, used, or bound to another client."""

    error = "invalid_grant"


class InvalidScope(FrontError):
    """A requested scope is not one of the API's."""

    error = "invalid_scope"


class InvalidTarget(FrontError):
    """The `resource` is not this server."""

    error = "invalid_target"


class UnsupportedGrantType(FrontError):
    """Only authorization_code and refresh_token."""

    error = "unsupported_grant_type"


class UnsupportedResponseType(FrontError):
    """Only `code`."""

    error = "unsupported_response_type"


class UnsupportedTokenType(FrontError):
    """RFC 7009 §2.2.1: a token the front cannot revoke (the issuer's own access tokens)."""

    error = "unsupported_token_type"


class AccessDenied(FrontError):
    """The person declined."""

    error = "access_denied"


class InvalidClientMetadata(FrontError):
    """A registration request this server will not register."""

    error = "invalid_client_metadata"


class InvalidRedirectUri(InvalidClientMetadata):
    """A registration request with an unacceptable redirect URI."""

    error = "invalid_redirect_uri"


class UpstreamError(FrontError):
    """The issuer refused; its own error code and description (AADSTS…) reach the client."""

    def __init__(self, error: str, description: str | None) -> None:
        # The code arrives in a query string anyone can forge: only a plain code reaches the log line.
        code = error if _ERROR_CODE.fullmatch(error) else "invalid_grant"
        super().__init__(description or "The identity provider refused the request", reason=f"upstream_{code}")
        self.error = code


class TemporarilyUnavailable(FrontError):
    """The issuer cannot be reached; retry later."""

    error = "temporarily_unavailable"
    status = 503


class ConsentRefused(InvalidRequest):
    """A consent POST without its CSRF token, or with another transaction's."""

    status = 403
