"""The issuer's signing keys: fetched from the JWKS URI, cached per process.

PyJWT's PyJWKClient blocks on the network under its lock and forgets every key
once its cache expires, so a slow or failing JWKS endpoint would stall or fail
requests whose key we already hold. This cache keeps PyJWT's JWK parsing
(`PyJWKSet`) and changes the policy around it:

* a known `kid` is answered from memory and never waits on the network; once
  the keys are older than `refresh_after`, a background thread refreshes them
  (Entra rolls keys with notice and asks relying parties to re-read them at
  least daily: "Signing key rollover in the Microsoft identity platform");
* an unknown `kid` refetches at most once per `unknown_kid_cooldown`, so random
  key ids cannot turn into a fetch storm;
* concurrent callers share one fetch (single flight);
* a failed fetch keeps the last good keys; only when there are none does the
  caller get KeysUnavailable, and a failed cold fetch is not retried for
  `failure_cooldown` seconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

from .errors import InvalidToken, KeysUnavailable
from .fetch import FetchError, fetch_document

__all__ = ["JwksCache", "JwksFetchError", "fetch_jwks", "parse_jwks"]

log = logging.getLogger("auth.keys")

MAX_JWKS_BYTES = 256 * 1024
FETCH_TIMEOUT_SECONDS = 5.0


class JwksFetchError(Exception):
    """The JWKS could not be fetched or held no usable key; `reason` is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def fetch_jwks(uri: str, *, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_JWKS_BYTES) -> bytes:
    """GET the JWKS document, refusing bodies over `max_bytes`."""
    try:
        return fetch_document(uri, max_bytes=max_bytes, timeout=timeout)
    except FetchError as exc:
        raise JwksFetchError(f"jwks_{exc.reason}") from exc


def parse_jwks(body: bytes) -> dict[str, PyJWK]:
    """The RS256 signing keys of a JWKS document, by `kid` (RFC 7517 §5)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..."
        raise JwksFetchError("jwks_not_json") from exc
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksFetchError("jwks_not_a_key_set")
    usable = [
        entry
        for entry in entries
        if isinstance(entry, dict)
        and entry.get("kty") == "RSA"
        and isinstance(entry.get("kid"), str)
        and entry.get("use", "sig") == "sig"  # RFC 7517 §4.2: encryption keys never verify
        and entry.get("alg", "RS256") == "RS256"
    ]
    try:
        key_set = PyJWKSet(usable) if usable else None
    except PyJWKSetError as exc:
        raise JwksFetchError("jwks_no_usable_keys") from exc
    if key_set is None:
        raise JwksFetchError("jwks_no_usable_keys")
    return {key.key_id: key for key in key_set.keys if key.key_id}


class JwksCache:
    """Thread-safe, process-wide cache of one issuer's signing keys."""

    def __init__(
        self,
        uri: str,
        *,
        fetch: Callable[[str], bytes] = fetch_jwks,
        refresh_after: float = 3600.0,
        unknown_kid_cooldown: float = 60.0,
        failure_cooldown: float = 5.0,
        wait_timeout: float = FETCH_TIMEOUT_SECONDS * 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = uri
        self._fetch = fetch
        self._refresh_after = refresh_after
        self._unknown_kid_cooldown = unknown_kid_cooldown
        self._failure_cooldown = failure_cooldown
        self._wait_timeout = wait_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: Mapping[str, PyJWK] = {}
        self._fetched_at: float | None = None  # last success
        self._attempted_at: float | None = None  # last attempt, success or not
        self._in_flight: threading.Event | None = None
        self.fetch_count = 0

    def cached(self, kid: str) -> PyJWK | None:
        """The key for `kid` if held, without touching the network; may start a background refresh."""
        key = self._keys.get(kid)
        if key is not None and self._is_stale():
            self.refresh_in_background()
        return key

    def get(self, kid: str) -> PyJWK:
        """The key for `kid`, fetching if allowed. Blocks on the network: call it off the event loop."""
        key = self.cached(kid)
        if key is not None:
            return key
        with self._lock:
            wait_for = self._in_flight
            if wait_for is None:
                refusal = self._refusal_locked()
                if refusal is not None:
                    raise refusal
                wait_for = self._start_fetch_locked()
                owner = True
            else:
                owner = False
        if owner:
            self._run_fetch(wait_for)
        else:
            wait_for.wait(self._wait_timeout)
        key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._keys:
            raise KeysUnavailable("keys_unavailable", retry_after=self._retry_after())
        raise InvalidToken("unknown_kid")

    def refresh_in_background(self) -> None:
        """Start a fetch on a daemon thread unless one is already running."""
        with self._lock:
            if self._in_flight is not None:
                return
            if self._attempted_at is not None and self._clock() - self._attempted_at < self._failure_cooldown:
                return
            done = self._start_fetch_locked()
        threading.Thread(target=self._run_fetch, args=(done,), name="jwks-refresh", daemon=True).start()

    def _is_stale(self) -> bool:
        fetched_at = self._fetched_at
        return fetched_at is not None and self._clock() - fetched_at >= self._refresh_after

    def _refusal_locked(self) -> Exception | None:
        """Why a fetch may not start now, or None when it may."""
        if self._attempted_at is None:
            return None
        since = self._clock() - self._attempted_at
        if not self._keys:
            if since < self._failure_cooldown:
                return KeysUnavailable("keys_unavailable", retry_after=self._retry_after())
            return None
        if since < self._unknown_kid_cooldown:
            return InvalidToken("unknown_kid")
        return None

    def _retry_after(self) -> int:
        if self._attempted_at is None:
            return 1
        remaining = self._failure_cooldown - (self._clock() - self._attempted_at)
        return max(1, int(remaining + 0.999))

    def _start_fetch_locked(self) -> threading.Event:
        done = threading.Event()
        self._in_flight = done
        self._attempted_at = self._clock()
        self.fetch_count += 1
        return done

    def _run_fetch(self, done: threading.Event) -> None:
        try:
            keys: dict[str, PyJWK] | None = parse_jwks(self._fetch(self.uri))
            reason = None
        except JwksFetchError as exc:
            keys, reason = None, exc.reason
        except Exception:  # never let a fetch thread die with the in-flight marker set
            keys, reason = None, "jwks_fetch_failed"
        with self._lock:
            now = self._clock()
            self._attempted_at = now
            if keys is not None:
                self._keys = keys
                self._fetched_at = now
            self._in_flight = None
        done.set()
        if reason is not None:
            log.warning("jwks fetch failed reason=%s kept_keys=%d", reason, len(self._keys))

    def snapshot(self) -> dict[str, Any]:
        """Counters for tests and benchmarks."""
        return {"fetch_count": self.fetch_count, "kids": sorted(self._keys)}
