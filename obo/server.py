"""The MCP server with the on-behalf-of example on: the composition root calls this when OBO_EXAMPLE=on."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from mcp.server.context import ServerMiddleware

import mcp_tools
from auth.refusals import NO_REFUSALS, CallerRefusals
from mcp_tools.registry import ToolSpec

from .exchange import OnBehalfOf
from .settings import OboSettings
from .state import request_state_security
from .tool import ProfileTool

__all__ = ["build_example_server", "profile_spec"]


def profile_spec(exchange: OnBehalfOf) -> ToolSpec:
    """`get_my_profile`: any valid token may call it; the tool itself refuses an app caller."""
    return ToolSpec(
        fn=ProfileTool(exchange).get_my_profile,
        name="get_my_profile",
        title="Read my profile (on my behalf)",
        permission=None,
        read_only=True,
        idempotent=True,
        open_world=True,
    )


def build_example_server(
    settings: OboSettings,
    exchange: OnBehalfOf | None = None,
    *,
    clock: Callable[[], float] = time.time,
    refusals: CallerRefusals = NO_REFUSALS,
    list_every_tool: bool = False,
    middleware: Sequence[ServerMiddleware[Any]] = (),
) -> mcp_tools.PermissionAwareServer:
    """add, subtract, get_me and get_my_profile, with `requestState` sealed by OBO_STATE_KEYS.

    `clock` judges the token cache's expiries (the composition root's clock); `exchange` lets a
    test keep hold of the cache; `refusals` are MCP_REFUSED_CALLERS (auth.refusals);
    `list_every_tool` is MCP_TOOLS_LISTED=all.
    """
    exchange = exchange or OnBehalfOf(settings, clock=clock)
    return mcp_tools.build_server(
        (profile_spec(exchange),),
        request_state_security=request_state_security(settings.state_keys),
        refusals=refusals,
        list_every_tool=list_every_tool,
        middleware=middleware,
    )
