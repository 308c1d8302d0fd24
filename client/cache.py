"""A file cache of signed-in users' tokens, readable by the owner only (0600 in a 0700 directory).

One entry per (token endpoint, client id, scopes). Writes are atomic
(temp file + rename) and serialised with an advisory lock, so two commands
refreshing at once cannot both spend a rotating refresh token.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .tokens import TokenSet

__all__ = ["TokenCache"]

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, the rename is still atomic
    fcntl = None  # type: ignore[assignment]


class TokenCache:
    """Tokens on disk, keyed by `key(...)`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def key(token_endpoint: str, client_id: str, scopes: tuple[str, ...]) -> str:
        return f"{token_endpoint}|{client_id}|{' '.join(sorted(scopes))}"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's advisory lock (a sibling ``.lock`` file) for a read-refresh-write."""
        self._ensure_dir()
        fd = os.open(str(self.path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def load(self, key: str) -> TokenSet | None:
        entry = self._read().get(key)
        try:
            return TokenSet.from_json(entry) if entry else None
        except (KeyError, TypeError, ValueError):
            return None  # an entry from an older layout: behave as signed out

    def save(self, key: str, tokens: TokenSet) -> None:
        entries = self._read()
        entries[key] = tokens.to_json()
        self._write(entries)

    def delete(self, key: str) -> bool:
        entries = self._read()
        if entries.pop(key, None) is None:
            return False
        self._write(entries)
        return True

    def _ensure_dir(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # unreadable or corrupt: behave as signed out
        entries = data.get("entries") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        self._ensure_dir()
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({"version": 1, "entries": entries}, handle)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
