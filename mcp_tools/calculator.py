"""Arithmetic tools, each guarded by its own permission."""

from __future__ import annotations

from .registry import tool

Number = int | float


@tool(title="Add two numbers", permission="calculator.add")
def add(a: Number, b: Number) -> Number:
    """Return the sum a + b."""
    return a + b


@tool(title="Subtract two numbers", permission="calculator.subtract")
def subtract(a: Number, b: Number) -> Number:
    """Return the difference a - b."""
    return a - b
