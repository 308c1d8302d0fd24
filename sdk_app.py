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

    `subscriptions=False`: no `subscriptions/listen`. On the 2026-07-28 wire that request's answer
    IS an event stream that stays open until the client leaves (SEP-2575; the SDK's ListenHandler
    runs until it is cancelled), and change notifications reach a client only on such a stream.
    A Functions invocation must end to be answered (the host's adapter reports a disconnect only
    after the response ends), and the tool list never changes while the app runs. So the method
    is not served: it gets JSON-RPC -32601 (the spec's "Method not found" for a method the server
    does not offer), and `server/discover` advertises `listChanged: false`, which the SDK derives
    from this same switch (lowlevel Server.get_capabilities).
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
