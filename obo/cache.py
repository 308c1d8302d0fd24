"""Downstream tokens, cached per user and per scope set, within bounds, in this instance's memory.

Why per instance is safe: an entry is only a shortcut for an exchange this instance already
made for that user. Another instance that lacks it makes the exchange itself; nothing is
shared, so nothing can go stale between instances, and Entra remains the one authority over
whether the user may still get a token. An entry is used only for a caller whose own token
this instance has just verified, and only until a safety margin before the downstream
token's `exp`. A claims challenge from the downstream API drops the entry at once.

Bounded: at most `max_entries`, least recently used evicted first, so a burst of distinct
users cannot grow the heap without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["CacheKey", "TokenCache"]

#: A token this close to its expiry is not handed out (the downstream call takes time too).
_MARGIN_SECONDS = 300.0


@dataclass(frozen=True)
class CacheKey:
    """Whose token, obtained through which client, for which downstream scopes."""

    tenant_id: str | None
    user: str
    client_id: str | None
    scopes: tuple[str, ...]


class TokenCache:
    """A thread-safe LRU of (access token, expiry) by `CacheKey`; exchanges run on worker threads."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._max = max_entries
        self._entries: OrderedDict[CacheKey, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey, now: float) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[1] - _MARGIN_SECONDS <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: CacheKey, token: str, expires_at: float) -> None:
        with self._lock:
            self._entries[key] = (token, expires_at)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def drop(self, key: CacheKey) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
