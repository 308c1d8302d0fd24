"""From an Authorization header to a Principal: the one place auth does I/O."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import anyio.to_thread

from .bearer import bearer_token
from .claims import read_header, validate_claims, verify_signature
from .keys import JwksCache
from .principal import Principal
from .settings import Settings

__all__ = ["TokenVerifier"]


class TokenVerifier:
    """Validates bearer tokens against one issuer's settings and key cache."""

    def __init__(self, settings: Settings, keys: JwksCache, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.keys = keys
        self._clock = clock

    async def verify(self, authorization: Sequence[bytes]) -> Principal:
        """The caller behind the request's Authorization header values; raises an AuthError."""
        token = bearer_token(authorization)
        kid = read_header(token)["kid"]
        key = self.keys.cached(kid)
        if key is None:
            # Only a cache miss may wait on the network, and never on the event loop.
            key = await anyio.to_thread.run_sync(self.keys.get, kid)
        claims = verify_signature(token, key)
        validate_claims(claims, self.settings, now=self._clock())
        return Principal.from_claims(claims)
