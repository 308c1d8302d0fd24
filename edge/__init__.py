"""HTTP in front of the MCP server: routing, cheap checks, authentication and every error answer."""

from __future__ import annotations

from .app import MAX_BODY_BYTES, Edge, Handler, api_scopes, build_asgi_app

__all__ = ["MAX_BODY_BYTES", "Edge", "Handler", "api_scopes", "build_asgi_app"]
