"""Keep tokens out of logs: authlib's grants log each issued token response at DEBUG.

authlib writes ``log.debug("Issue token %r to %r", token, client)``; with DEBUG
on (a test session's root logger, say) the access and refresh tokens would land
in the log. This filter keeps the line and replaces the token values.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["install"]

_SECRET_KEYS = frozenset({"access_token", "refresh_token", "id_token", "code", "client_secret"})
_GRANT_LOGGERS = (
    "authlib.oauth2.rfc6749.grants.authorization_code",
    "authlib.oauth2.rfc6749.grants.refresh_token",
    "authlib.oauth2.rfc6749.grants.client_credentials",
    "authlib.oauth2.rfc6749.grants.implicit",
    "authlib.oauth2.rfc6749.grants.resource_owner_password_credentials",
)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<redacted>" if k in _SECRET_KEYS else v) for k, v in value.items()}
    return value


class RedactTokens(logging.Filter):
    """Replace token values in a record's dict arguments with ``<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = _redact(record.args)
        return True


def install() -> None:
    """Attach the filter to authlib's grant loggers, once."""
    for name in _GRANT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
