"""Reading the bearer token from the Authorization header (RFC 6750 §2.1), and nowhere else.

RFC 6750 §2.2 and §2.3 (form body and `access_token` query parameter) are
deliberately not supported: tokens in URLs end up in logs and histories.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import InvalidRequest, InvalidToken, MissingToken

__all__ = ["MAX_AUTHORIZATION_BYTES", "bearer_token"]

MAX_AUTHORIZATION_BYTES = 16 * 1024
# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(rb"^[A-Za-z0-9._~+/-]+=*\Z")  # `\Z`: `$` also matches before a final newline


def bearer_token(values: Sequence[bytes]) -> str:
    """The token from the raw Authorization header values of one request."""
    if not values:
        raise MissingToken("missing_token")
    if len(values) > 1:
        # RFC 6750 §3.1 invalid_request: the request "repeats the same parameter".
        raise InvalidRequest("duplicate_authorization")
    value = values[0]
    if len(value) > MAX_AUTHORIZATION_BYTES:
        raise InvalidRequest("header_too_large")
    scheme, _, credentials = value.strip().partition(b" ")
    # RFC 7235 §2.1: the auth-scheme is case-insensitive.
    if scheme.lower() != b"bearer":
        # RFC 6750 §3.1: an unsupported authentication method gets a challenge with no error code.
        raise MissingToken("unsupported_scheme")
    credentials = credentials.strip(b" ")
    if not credentials:
        raise MissingToken("empty_token")
    if not _B64TOKEN.match(credentials):
        raise InvalidToken("malformed_token")
    return credentials.decode("ascii")
