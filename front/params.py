"""Reading OAuth request parameters (query or form) under RFC 6749's rules."""

from __future__ import annotations

from .errors import InvalidRequest

__all__ = ["required", "single"]

Pairs = list[tuple[str, str]]


def single(pairs: Pairs, name: str) -> str | None:
    """The value of `name`, None when absent or empty (RFC 6749 §3.1: a parameter sent without a
    value is treated as omitted, and none may be repeated)."""
    values = [v for k, v in pairs if k == name]
    if len(values) > 1:
        raise InvalidRequest(f"The {name} parameter is repeated", reason=f"repeated_{name}")
    return values[0] if values and values[0] != "" else None


def required(pairs: Pairs, name: str) -> str:
    value = single(pairs, name)
    if value is None:
        raise InvalidRequest(f"{name} is required", reason=f"missing_{name}")
    return value
