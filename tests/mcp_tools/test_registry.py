"""Reading a tool's declaration back from the function `@tool` marked."""

from __future__ import annotations

import pytest

from mcp_tools.calculator import add
from mcp_tools.registry import spec_of, tool


def test_spec_of_returns_the_spec_that_tool_attached():
    @tool(title="Echo", permission="Echo.Call", read_only=False)
    async def echo(text: str) -> str:
        return text

    spec = spec_of(echo)

    assert (spec.fn, spec.name, spec.title, spec.permission, spec.read_only, spec.idempotent) == (echo, "echo", "Echo", "Echo.Call", False, True)
    assert spec_of(add).name == "add"


def test_spec_of_refuses_a_function_that_was_never_marked():
    async def plain() -> None:
        return None

    with pytest.raises(TypeError, match=r"^plain is not marked with @tool$"):
        spec_of(plain)
