"""The client's one exception: a message fit to show the user, never carrying a token or secret."""

from __future__ import annotations

__all__ = ["ClientError", "OAuthFailure"]


class ClientError(Exception):
    """Something the user must fix or retry; the message says what."""


class OAuthFailure(ClientError):
    """The authorization server answered with an RFC 6749 §5.2 error."""

    def __init__(self, error: str, description: str | None = None, status: int | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        text = f"{error}: {description}" if description else error
        super().__init__(f"authorization server refused ({status}): {text}" if status else f"authorization server refused: {text}")
