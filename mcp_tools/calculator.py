"""Arithmetic tools, each guarded by its own permission."""

from __future__ import annotations

import math
from typing import Annotated

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AllowInfNan, StrictFloat, StrictInt

from .registry import tool

# Strict: "3" and true are not numbers, so they are refused rather than coerced.
# Finite: NaN and Infinity are not JSON numbers (RFC 8259 §6), though lenient parsers accept them.
Number = StrictInt | Annotated[StrictFloat, AllowInfNan(False)]


def _finite(result: int | float) -> int | float:
    # 1e308 + 1e308 overflows to inf, which JSON cannot carry: it went out as a "successful" null.
    if isinstance(result, float) and not math.isfinite(result):
        raise ToolError("the result is too large to represent")
    return result


@tool(title="Add two numbers", permission="calculator.add", permission_text="Add numbers")
async def add(a: Number, b: Number) -> Number:
    """Return the sum a + b."""
    return _finite(a + b)


@tool(title="Subtract two numbers", permission="calculator.subtract", permission_text="Subtract numbers")
async def subtract(a: Number, b: Number) -> Number:
    """Return the difference a - b."""
    return _finite(a - b)
