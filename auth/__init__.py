"""Bearer-token authentication for an API protected by Entra ID, Okta or any OIDC issuer.

Knows nothing of MCP or Azure Functions: it turns an Authorization header into a
Principal, or raises one of the errors in `auth.errors`.
"""

from __future__ import annotations

from .callers import AGENT_KINDS, CALLER_KINDS, CallerKind
from .context import current_principal
from .errors import AuthError, CallerRefused, Failure, InsufficientScope, InvalidRequest, InvalidToken, KeysUnavailable, MissingToken, TokenExpired
from .keys import JwksCache
from .principal import Principal
from .settings import ConfigError, Settings
from .verifier import TokenVerifier

__all__ = [
    "AGENT_KINDS",
    "CALLER_KINDS",
    "CallerKind",
    "AuthError",
    "CallerRefused",
    "ConfigError",
    "Failure",
    "InsufficientScope",
    "InvalidRequest",
    "InvalidToken",
    "JwksCache",
    "KeysUnavailable",
    "MissingToken",
    "Principal",
    "Settings",
    "TokenExpired",
    "TokenVerifier",
    "current_principal",
]
