"""The one place the MCP SDK's server and its stateless HTTP app are configured.

Production (edge.build_asgi_app), the parity suite's reference app, the parse-error attack
test and the benchmark's bare baseline all build the SDK's side here, so a setting changed
once changes everywhere, and the parity suite always compares against what ships.

Imports only the SDK, so the benchmark's bare baseline pays for nothing of this project's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette

__all__ = ["MCP_PATH", "StatelessApp", "new_server", "stateless_app"]

MCP_PATH = "/mcp"

ServerT = TypeVar("ServerT", bound=MCPServer)


def new_server(cls: type[ServerT], **options: Any) -> ServerT:
    """An MCPServer (or subclass) with what every server of this project shares.

    `subscriptions=False`: `subscriptions/listen` is not served. MCP 2026-07-28, basic/patterns/
    subscriptions: it "opens a long-lived notification stream ... the stream stays open and
    delivers notifications until the client cancels it"; the SDK's ListenHandler runs until it is
    cancelled. A Functions invocation is answered only when it ends (the host's adapter reports
    a disconnect only after the response ends), and this server's tool list never changes while
    it runs, so there is nothing such a stream could carry. Not served, the method gets what
    2026-07-28 streamable-http ("Sending Messages") prescribes for "the requested RPC method" the
    server does not implement: "404 Not Found and a JSON-RPC error with code -32601". And
    `server/discover` advertises `listChanged: false`: `"tools": {"listChanged": true}` would
    promise that the server "can honor a toolsListChanged filter in subscriptions/listen"
    (2026-07-28 learn/architecture); the SDK derives the flag from this same switch
    (lowlevel Server.get_capabilities).
    """
    return cls(subscriptions=False, log_level="WARNING", **options)


@dataclass(frozen=True)
class StatelessApp:
    """The SDK's stateless JSON app over `server`, and the transport security it was given."""

    server: MCPServer
    app: Starlette
    security: TransportSecuritySettings


def stateless_app(server: MCPServer) -> StatelessApp:
    """`server` served by the SDK's stateless streamable-HTTP app, JSON answers only, at MCP_PATH."""
    # The SDK's DNS-rebinding guard allows only localhost Host headers and answers 421 to
    # *.azurewebsites.net. Every request here needs a bearer token, which a rebinding page cannot
    # attach, and the edge validates Origin itself (edge/cors.py).
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH, stateless_http=True, json_response=True, transport_security=security
    )
    return StatelessApp(server=server, app=app, security=security)
