"""The MCP tools: typed functions (async: none blocks), each declaring the permission it needs.

Knows nothing of HTTP or Azure; the caller's identity arrives through
`auth.current_principal`.
"""

from __future__ import annotations

from .server import SPECS, PermissionAwareServer, build_server, permission_for, permissions, tool_names

__all__ = ["SPECS", "PermissionAwareServer", "build_server", "permission_for", "permissions", "tool_names"]
