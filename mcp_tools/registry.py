"""How a tool declares itself: its name, annotations and the one permission it needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["ToolSpec", "spec_of", "tool"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ToolSpec:
    """A tool function and what it takes to call it."""

    fn: Callable[..., Any]
    name: str
    title: str
    permission: str | None
    #: What the permission lets a caller do, in words a person is asked to allow ("Add numbers").
    permission_text: str | None = None
    read_only: bool = True
    idempotent: bool = True
    #: The tool reaches beyond this server (a downstream API), MCP's `openWorldHint`.
    open_world: bool = False


def tool(
    *, title: str, permission: str | None, permission_text: str | None = None, read_only: bool = True, idempotent: bool = True
) -> Callable[[F], F]:
    """Mark a plain function as an MCP tool. `permission=None` means any valid token may call it.

    `permission_text` says in a few words what the permission allows; the OAuth front's consent page
    shows it (the raw scope string where a tool gives none).
    """
    def mark(fn: F) -> F:
        fn.__tool_spec__ = ToolSpec(  # type: ignore[attr-defined]
            fn=fn, name=fn.__name__, title=title, permission=permission, permission_text=permission_text,
            read_only=read_only, idempotent=idempotent,
        )
        return fn

    return mark


def spec_of(fn: Callable[..., Any]) -> ToolSpec:
    """The ToolSpec that `tool` attached to `fn`; TypeError for a function it never marked."""
    spec = vars(fn).get("__tool_spec__")
    if not isinstance(spec, ToolSpec):
        raise TypeError(f"{fn.__name__} is not marked with @tool")
    return spec
