"""The issuer's signing keys: fetched from the JWKS URI, cached per process.

PyJWT's PyJWKClient blocks on the network under its lock and forgets every key
once its cache expires, so a slow or failing JWKS endpoint would stall or fail
requests whose key we already hold. This cache keeps PyJWT's JWK parsing
(`PyJWK`, through auth.jwks) and changes the policy around it:

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

What the document holds is screened by auth.jwks.parse_jwks; each key it skips
is logged once while it stays in the document, with its `kid` and the reason,
never any key material. A `kid` may have several candidate keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .errors import InvalidToken, KeysUnavailable
from .fetch import FetchError, fetch_document
from .jwks import Candidates, JwksFetchError, ParsedJwks, SkippedKey, parse_jwks

__all__ = ["JwksCache", "JwksFetchError", "fetch_jwks", "parse_jwks"]

log = logging.getLogger("auth.keys")

MAX_JWKS_BYTES = 256 * 1024
FETCH_TIMEOUT_SECONDS = 5.0
_MAX_LOGGED_KID = 128


def fetch_jwks(uri: str, *, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_JWKS_BYTES) -> bytes:
    """GET the JWKS document, refusing bodies over `max_bytes`."""
    try:
        return fetch_document(uri, max_bytes=max_bytes, timeout=timeout)
    except FetchError as exc:
        raise JwksFetchError(f"jwks_{exc.reason}") from exc


class FetchObserver(Protocol):
    """Told of each fetch (telemetry): called on the fetching thread before it, the callback after."""

    def jwks_fetch_started(self, trigger: str) -> Callable[[str, int], None]: ...


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
        self._keys: Mapping[str, Candidates] = {}
        self._logged_skips: frozenset[SkippedKey] = frozenset()
        self._fetched_at: float | None = None  # last success
        self._attempted_at: float | None = None  # last attempt, success or not
        self._in_flight: threading.Event | None = None
        self.fetch_count = 0
        #: Set by the composition root when telemetry is on; the cache knows nothing of exporters.
        self.observer: FetchObserver | None = None

    def cached(self, kid: str) -> Candidates | None:
        """The keys held for `kid`, without touching the network; may start a background refresh."""
        keys = self._keys.get(kid)
        if keys is not None and self._is_stale():
            self.refresh_in_background()
        return keys

    def get(self, kid: str) -> Candidates:
        """The keys for `kid` (one or more), fetching if allowed. Blocks on the network: call it off the event loop."""
        keys = self.cached(kid)
        if keys is not None:
            return keys
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
            self._run_fetch(wait_for, "request")
        else:
            wait_for.wait(self._wait_timeout)
        keys = self._keys.get(kid)
        if keys is not None:
            return keys
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
        threading.Thread(target=self._run_fetch, args=(done, "background"), name="jwks-refresh", daemon=True).start()

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

    def _run_fetch(self, done: threading.Event, trigger: str) -> None:
        observer = self.observer
        fetched = observer.jwks_fetch_started(trigger) if observer is not None else None
        parsed: ParsedJwks | None = None
        unexpected: Exception | None = None
        try:
            parsed = parse_jwks(self._fetch(self.uri))
            reason = None
        except JwksFetchError as exc:
            reason = exc.reason
        except Exception as exc:  # never let a fetch thread die with the in-flight marker set
            reason, unexpected = "jwks_fetch_failed", exc
        newly_skipped: list[SkippedKey] = []
        with self._lock:
            now = self._clock()
            self._attempted_at = now
            if parsed is not None:
                self._keys = parsed.keys
                self._fetched_at = now
                # Logged once while the key stays in the document, not on every refetch.
                newly_skipped = [skip for skip in dict.fromkeys(parsed.skipped) if skip not in self._logged_skips]
                self._logged_skips = frozenset(parsed.skipped)
            self._in_flight = None
        done.set()
        if fetched is not None:
            fetched(reason or "ok", len(self._keys))
        if unexpected is not None:
            # Not a failed fetch but a bug: with its traceback, so it never passes for an issuer
            # outage. A JWKS holds public keys only; no token ever reaches this thread.
            log.error("jwks fetch failed reason=%s kept_keys=%d", reason, len(self._keys), exc_info=unexpected)
        elif reason is not None:
            log.warning("jwks fetch failed reason=%s kept_keys=%d", reason, len(self._keys))
        for skip in newly_skipped:
            # The kid is the issuer's text: repr() escapes it and it is cut short; no key material is logged.
            kid = skip.kid[:_MAX_LOGGED_KID] if skip.kid is not None else None
            log.warning("jwks key skipped kid=%r reason=%s", kid, skip.reason)

    def snapshot(self) -> dict[str, Any]:
        """Counters for tests and benchmarks."""
        return {"fetch_count": self.fetch_count, "kids": sorted(self._keys)}
