"""The baseline: the MCP SDK's server with the same tools, no auth, wrapped the same way for Functions.

Imports only `azure.functions` and the SDK's server (pydantic comes with the SDK),
so the cold-start baseline pays for nothing our server adds.
"""

from __future__ import annotations

import azure.functions as func
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, StrictFloat, StrictInt

from sdk_app import new_server, stateless_app

Number = StrictInt | StrictFloat


def add(a: Number, b: Number) -> Number:
    """Return the sum a + b."""
    return a + b


def subtract(a: Number, b: Number) -> Number:
    """Return the difference a - b."""
    return a - b


class Identity(BaseModel):
    """The same shape as the product's `get_me` answer, with nobody signed in."""

    kind: str
    subject: str | None
    object_id: str | None
    tenant_id: str | None
    client_id: str | None
    name: str | None
    username: str | None
    permissions: list[str]
    parent_app_id: str | None


def get_me() -> Identity:
    """Describe the caller (the bare server has none)."""
    return Identity(
        kind="app", subject=None, object_id=None, tenant_id=None, client_id=None, name=None, username=None, permissions=[],
        parent_app_id=None,
    )


def build_server() -> MCPServer:
    """A bare MCPServer with the product's arithmetic tools, configured like the product."""
    server = new_server(MCPServer, name="calculator")
    server.add_tool(add, name="add", title="Add two numbers")
    server.add_tool(subtract, name="subtract", title="Subtract two numbers")
    server.add_tool(get_me, name="get_me", title="Who am I?")
    return server


# Served exactly as the product's SDK app is (sdk_app.stateless_app imports only the SDK).
asgi_app = stateless_app(build_server()).app
app = func.AsgiFunctionApp(app=asgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)
