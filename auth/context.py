"""The caller of the request being served, carried in a context variable.

A contextvar (not module state) so that concurrent requests on one event loop,
and the tasks each one spawns, each see only their own caller.
"""

from __future__ import annotations

from contextvars import ContextVar

from .principal import Principal

__all__ = ["current_principal"]

current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)
