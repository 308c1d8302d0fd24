"""The MCP server: the SDK's MCPServer, listing each caller the tools it may call (or every tool it
could step up to), and re-checking permissions and caller kinds before any tool runs.

Two things decide whether a caller may call a tool: the permission its token grants, and whether
the operator refuses its caller kind that tool (MCP_REFUSED_CALLERS, auth.refusals). A refused
tool is left out of `tools/list` in every listing mode: no token the caller could get changes its
kind, so unlike a missing permission it is never something to step up to.

What `tools/list` shows of the rest is a deployment's choice (MCP_TOOLS_LISTED):
- `callable` (the default): only the tools this caller's token may call. Least disclosure: an app or a
  person never learns of a tool outside its grant, and an AI host is never offered a tool that can only
  fail. An application token (client credentials, `roles`) cannot step up at all: its roles change
  only when an admin assigns them, so for it a listed-but-forbidden tool is only a 403.
- `all`: every tool. A `tools/call` outside the grant then meets the edge's 403 `insufficient_scope`
  naming the missing scope, and a client that implements the MCP authorization spec's scope challenge
  ("Scope Challenge Handling", "Step-Up Authorization Flow", 2025-11-25) signs in again for it. Clients
  and AI hosts that call only what `tools/list` showed them need this to ever meet that 403: a grant
  made before a permission existed (a sealed refresh token keeps its scope list) otherwise never widens.
The MCP tools spec ("Listing Tools") leaves the list to the server; the 403 is the same either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from mcp.server.context import ServerMiddleware
from mcp.server.mcpserver import MCPServer, RequestStateSecurity
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import Tool, ToolAnnotations

from auth import ConfigError, current_principal
from auth.refusals import NO_REFUSALS, CallerRefusals
from sdk_app import new_server

from .calculator import add, subtract
from .identity import get_me
from .registry import ToolSpec, spec_of

__all__ = ["SERVER_NAME", "SPECS", "PermissionAwareServer", "build_server", "permission_for", "permission_texts", "permissions", "tool_names"]

#: The server's name in `initialize` / `server/discover`, and on the OAuth front's consent page.
SERVER_NAME = "calculator"

SPECS: tuple[ToolSpec, ...] = (spec_of(add), spec_of(subtract), spec_of(get_me))
_BY_NAME = {spec.name: spec for spec in SPECS}


def permission_for(tool_name: str) -> str | None:
    """The permission a tool needs; None for tools any caller may use and for unknown names."""
    spec = _BY_NAME.get(tool_name)
    return spec.permission if spec else None


def permissions() -> tuple[str, ...]:
    """Every permission some tool needs, in declaration order."""
    return tuple(dict.fromkeys(spec.permission for spec in SPECS if spec.permission))


def permission_texts() -> dict[str, str]:
    """Each permission some tool needs, with the words its declaration gives it, in declaration order."""
    return {spec.permission: spec.permission_text for spec in SPECS if spec.permission and spec.permission_text}


def _allowed(spec: ToolSpec) -> bool:
    principal = current_principal.get()
    return spec.permission is None or (principal is not None and spec.permission in principal.permissions)


class PermissionAwareServer(MCPServer):
    """Filters `tools/list` per caller (by permission unless `list_every_tool`, always by caller kind) and
    re-checks permissions and caller kinds before any tool runs."""

    def __init__(
        self, *, specs: Sequence[ToolSpec] = SPECS, refusals: CallerRefusals = NO_REFUSALS, list_every_tool: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.specs = {spec.name: spec for spec in specs}
        self.refusals = refusals
        self.list_every_tool = list_every_tool

    @property
    def tool_names(self) -> tuple[str, ...]:
        """The name of every tool served, in declaration order."""
        return tuple(self.specs)

    def _refused(self, spec: ToolSpec) -> bool:
        principal = current_principal.get()
        return principal is not None and self.refusals.refuses(principal.kind, spec.name)

    async def list_tools(self) -> list[Tool]:
        specs = self.specs
        return [
            tool
            for tool in await super().list_tools()
            if tool.name in specs and not self._refused(specs[tool.name]) and (self.list_every_tool or _allowed(specs[tool.name]))
        ]

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        spec = self.specs.get(name)
        # The edge answers 403 before we get here; these guard any path around it.
        if spec is not None and self._refused(spec):
            raise ToolError(f"This server does not accept this kind of caller for {name}")
        if spec is not None and not _allowed(spec):
            raise ToolError(f"Permission {spec.permission} is required to call {name}")
        return await super().call_tool(name, arguments, context)


def tool_names() -> tuple[str, ...]:
    """The name of every tool the default server serves, in declaration order."""
    return tuple(spec.name for spec in SPECS)


def build_server(
    examples: Sequence[ToolSpec] = (),
    *,
    request_state_security: RequestStateSecurity | None = None,
    refusals: CallerRefusals = NO_REFUSALS,
    list_every_tool: bool = False,
    middleware: Sequence[ServerMiddleware[Any]] = (),
) -> PermissionAwareServer:
    """An MCP server with every tool registered, and the opt-in `examples` after them.

    `request_state_security` seals the 2026-07-28 `requestState` of tools that ask the client
    for input (the on-behalf-of example); None keeps the SDK's default. `refusals`: the caller
    kinds refused tools (MCP_REFUSED_CALLERS); a ConfigError when they name a tool not served.
    `list_every_tool`: MCP_TOOLS_LISTED=all (see above).
    `middleware` runs inside the SDK's own (telemetry's, when it is on).
    """
    specs = (*SPECS, *examples)
    unknown = refusals.unknown_tools(spec.name for spec in specs)
    if unknown:
        raise ConfigError(unknown)
    # The SDK logs INFO lines for every request ("Processing request", "Terminating session");
    # `log_level` only reaches basicConfig, which does nothing once the host has configured
    # logging, so quiet the SDK's own logger tree. Its warnings and errors still come through.
    logging.getLogger("mcp").setLevel(logging.WARNING)
    server = new_server(
        PermissionAwareServer,
        specs=specs,
        refusals=refusals,
        list_every_tool=list_every_tool,
        request_state_security=request_state_security,
        name=SERVER_NAME,
        instructions="A calculator protected by OAuth 2.0. get_me tells you who you are signed in as.",
        middleware=list(middleware),
    )
    for spec in specs:
        server.add_tool(
            spec.fn,
            name=spec.name,
            title=spec.title,
            annotations=ToolAnnotations(
                title=spec.title,
                read_only_hint=spec.read_only,
                idempotent_hint=spec.idempotent,
                destructive_hint=False,
                open_world_hint=spec.open_world,
            ),
        )
    return server
