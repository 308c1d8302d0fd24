"""Which caller kinds an operator refuses, for every tool or for one: MCP_REFUSED_CALLERS.

    MCP_REFUSED_CALLERS=autonomous_agent:subtract,agent_user_account

refuses autonomous agents `subtract` (they may still `add`), and agents' user accounts every tool.
Each comma-separated entry is a caller kind (auth.callers.CALLER_KINDS), alone for every tool or
`kind:tool` for one. The kinds are checked here; the tool names by the edge as it is built, against
the tools its server really has (auth knows nothing of MCP).

A refusal decides on the caller kind only, never on the agent's parent application id, which
Microsoft says not to authorize on (auth.callers.parent_app_id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .callers import CALLER_KINDS, CallerKind

__all__ = ["NO_REFUSALS", "REFUSED_CALLERS_SETTING", "CallerRefusals", "read_refusals"]

REFUSED_CALLERS_SETTING = "MCP_REFUSED_CALLERS"
# A tool name as MCP allows it ("Tools: Tool names": 1-128 of A-Z a-z 0-9 _ - .).
_TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@dataclass(frozen=True)
class CallerRefusals:
    """Caller kinds refused every tool, and (kind, tool name) pairs refused one tool. Hashable, as Settings is."""

    everywhere: frozenset[CallerKind] = frozenset()
    per_tool: frozenset[tuple[CallerKind, str]] = frozenset()

    def refuses(self, kind: CallerKind, tool: str) -> bool:
        """Whether a caller of `kind` is refused the tool named `tool`."""
        return kind in self.everywhere or (kind, tool) in self.per_tool

    def unknown_tools(self, known: Iterable[str]) -> list[str]:
        """The per-tool problems against the tools a server has; empty when every name is one of them."""
        names = list(known)
        unknown = sorted({tool for _, tool in self.per_tool if tool not in names})
        return [f"{REFUSED_CALLERS_SETTING} names no tool of this server: {tool!r} (tools: {', '.join(names)})" for tool in unknown]

    def __bool__(self) -> bool:
        return bool(self.everywhere or self.per_tool)


#: The default: no kind refused anything.
NO_REFUSALS = CallerRefusals()


def read_refusals(value: str | None, problems: list[str]) -> CallerRefusals:
    """MCP_REFUSED_CALLERS, with a problem added for each bad entry."""
    everywhere: set[CallerKind] = set()
    per_tool: set[tuple[CallerKind, str]] = set()
    known_problems = len(problems)
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        kind, colon, tool = (part.strip() for part in entry.partition(":"))
        if kind not in CALLER_KINDS:
            problems.append(
                f"{REFUSED_CALLERS_SETTING} entry {entry!r} must start with a caller kind ({', '.join(CALLER_KINDS)})"
            )
            continue
        if not colon:
            everywhere.add(kind)
        elif _TOOL_NAME.fullmatch(tool):
            per_tool.add((kind, tool))
        else:
            problems.append(f"{REFUSED_CALLERS_SETTING} entry {entry!r} must be a caller kind, or kind:tool")
    if value is not None and not everywhere and not per_tool and len(problems) == known_problems:
        problems.append(f"{REFUSED_CALLERS_SETTING} must list caller kinds, or kind:tool entries")
    return CallerRefusals(frozenset(everywhere), frozenset(per_tool))
