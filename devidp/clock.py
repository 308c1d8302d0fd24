"""A settable clock so tests can move time instead of sleeping through it."""

from __future__ import annotations

import time

__all__ = ["OffsetClock"]


class OffsetClock:
    """Wall-clock time plus an adjustable offset in seconds; call it to read the time."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (or back, with a negative value)."""
        self.offset += seconds
