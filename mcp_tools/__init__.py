"""The MCP tools: typed functions (async: none blocks), each declaring the permission it needs.

Knows nothing of HTTP or Azure; the caller's identity arrives through
`auth.current_principal`.
"""

from __future__ import annotations

from .server import SERVER_NAME, SPECS, PermissionAwareServer, build_server, permission_for, permission_texts, permissions, tool_names

__all__ = ["SERVER_NAME", "SPECS", "PermissionAwareServer", "build_server", "permission_for", "permission_texts", "permissions", "tool_names"]
