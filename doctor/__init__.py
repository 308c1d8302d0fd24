"""`python -m doctor <MCP URL>`: will each kind of MCP client be able to sign in to this deployment?

It reads what a client can read (the protected resource metadata, the authorization
server's metadata, the 401 challenge, a CORS preflight) and, when the Azure CLI is
signed in, the API's app registration. Every rule it applies is the server's own
(`auth.settings`, `edge.metadata`, `edge.challenge`, `mcp_tools`), imported rather than
restated, so the doctor and the server cannot disagree. Development tool: listed in
.funcignore, never shipped.
"""

from __future__ import annotations

from .cli import main

__all__ = ["main"]
