"""A command-line client for the calculator MCP server: tokens (client credentials, code + PKCE,
refresh) and tool calls through the official MCP SDK. Development tool; never deployed.
"""

from __future__ import annotations

from .cli import main
from .errors import ClientError, OAuthFailure
from .settings import ClientSettings
from .tokens import TokenSet

__all__ = ["ClientError", "ClientSettings", "OAuthFailure", "TokenSet", "main"]
