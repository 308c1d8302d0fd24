"""The composition root's one builder: the edge, and the OAuth front beside it when it is on.

With the on-behalf-of example on, it also builds the MCP server with that tool (obo/) and
hands it to the edge; `obo/` is imported only then.

The edge and the front never import each other (STYLE: the composition root assembles).
This module builds the front's routes and hands them to the edge as it is built, with
the switch that makes the RFC 9728 document name this origin as the authorization server.
`function_app.py` calls it with the settings read from the environment; tests call it
with their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import mcp_tools
from auth import JwksCache, Settings
from edge import Edge, api_scopes, build_asgi_app

if TYPE_CHECKING:
    from front.settings import FrontSettings
    from mcp_tools import PermissionAwareServer
    from obo.settings import OboSettings
    from telemetry.record import Telemetry

__all__ = ["build_app"]


def build_app(
    settings: Settings,
    keys: JwksCache | None = None,
    front_settings: FrontSettings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    telemetry: Telemetry | None = None,
    obo_settings: OboSettings | None = None,
) -> Edge:
    """The whole application as ASGI; `front_settings` turns the OAuth front on, `obo_settings`
    the on-behalf-of example.

    Each package is imported only then, so with them off the cold start pays nothing for them.
    `clock` (seconds since the epoch) is what token lifetimes, the front's sealed expiries and the
    example's token cache are judged by; tests pass a settable one instead of sleeping.
    `telemetry` (telemetry.setup.configure's, when telemetry is on) reaches the edge and, as a
    middleware, the MCP server.
    """
    server: PermissionAwareServer | None = None
    if obo_settings is not None:
        from obo.server import build_example_server

        middleware = [telemetry.middleware()] if telemetry is not None else []
        server = build_example_server(
            obo_settings,
            clock=clock,
            refusals=settings.refused_callers,
            middleware=middleware,
            list_every_tool=settings.tools_listed == "all",
        )
    if front_settings is None:
        return build_asgi_app(settings, keys, clock=clock, server=server, telemetry=telemetry)
    from front.routes import build_front, front_routes

    # The consent page describes each scope in the words of the tools' own declaration.
    scope_texts = {settings.scope_string(p): text for p, text in mcp_tools.permission_texts().items()}
    front = build_front(
        settings, front_settings, api_scopes(settings), clock=clock, scope_texts=scope_texts, server_name=mcp_tools.SERVER_NAME
    )
    return build_asgi_app(settings, keys, authorization_server=front_routes(front), clock=clock, server=server, telemetry=telemetry)
