"""The composition root's one builder: the edge, and the OAuth front beside it when it is on.

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

__all__ = ["build_app"]


def build_app(
    settings: Settings,
    keys: JwksCache | None = None,
    front_settings: FrontSettings | None = None,
    *,
    clock: Callable[[], float] = time.time,
) -> Edge:
    """The whole application as ASGI; `front_settings` turns the OAuth front on.

    The front's package is imported only then, so with it off the cold start pays nothing for it.
    `clock` (seconds since the epoch) is what token lifetimes and the front's sealed expiries are
    judged by; tests pass a settable one instead of sleeping.
    """
    if front_settings is None:
        return build_asgi_app(settings, keys, clock=clock)
    from front.routes import build_front, front_routes

    # The consent page describes each scope in the words of the tools' own declaration.
    scope_texts = {settings.scope_string(p): text for p, text in mcp_tools.permission_texts().items()}
    front = build_front(
        settings, front_settings, api_scopes(settings), clock=clock, scope_texts=scope_texts, server_name=mcp_tools.SERVER_NAME
    )
    return build_asgi_app(settings, keys, authorization_server=front_routes(front), clock=clock)
