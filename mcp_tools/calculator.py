"""Arithmetic tools, each guarded by its own permission."""

from __future__ import annotations

from pydantic import StrictFloat, StrictInt

from .registry import tool

# Strict: "3" and true are not numbers, so they are refused rather than coerced.
Number = StrictInt | StrictFloat


@tool(title="Add two numbers", permission="calculator.add")
def add(a: Number, b: Number) -> Number:
    """Return the sum a + b."""
    return a + b


@tool(title="Subtract two numbers", permission="calculator.subtract")
def subtract(a: Number, b: Number) -> Number:
    """Return the difference a - b."""
    return a - b
