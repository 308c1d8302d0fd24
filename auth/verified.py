"""Tokens this process has already verified, so that a reused token skips the signature check.

A client sends the same access token on every call until it expires, and parsing it
and checking its RS256 signature is most of what authentication costs. Only that
deterministic part is skipped, and only while it would give the same answer:

* the entry is used only while the JWKS cache still holds, among the candidates for
  the token's kid, the very key object that verified the token (a rotated-out or
  refetched key is a miss, and the token is verified afresh);
* every claim rule still runs against the clock on every request, so expiry, `nbf`
  and `iat` behave exactly as without the cache: no entry is honoured past `exp`,
  and one found expired is dropped;
* entries are keyed by the SHA-256 of the Authorization header value that carried
  the token, so the cache holds no credential (and a hit needs no re-parsing of the
  header), and their number is bounded (oldest out first).

Access tokens are bearer JWTs and cannot be revoked before `exp`, with or without
this cache (Microsoft identity platform, "Access tokens: Token lifetime").
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple

from jwt import PyJWK

from .principal import Principal

__all__ = ["DEFAULT_MAX_ENTRIES", "VerifiedToken", "VerifiedTokens"]

DEFAULT_MAX_ENTRIES = 1024


class VerifiedToken(NamedTuple):
    """What verifying one token produced, and the key that verified it."""

    kid: str
    key: PyJWK
    claims: Mapping[str, Any]
    principal: Principal


class VerifiedTokens:
    """A bounded map from SHA-256(Authorization header value) to its verification; thread-safe."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: dict[bytes, VerifiedToken] = {}
        self._lock = threading.Lock()

    @staticmethod
    def digest(credential: bytes) -> bytes:
        return hashlib.sha256(credential).digest()

    def get(self, digest: bytes) -> VerifiedToken | None:
        return self._entries.get(digest)

    def put(self, digest: bytes, entry: VerifiedToken) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries.pop(digest, None)
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[digest] = entry

    def discard(self, digest: bytes) -> None:
        with self._lock:
            self._entries.pop(digest, None)

    def __len__(self) -> int:
        return len(self._entries)
