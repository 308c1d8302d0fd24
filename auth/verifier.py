"""From an Authorization header to a Principal: the one place auth does I/O."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import anyio.to_thread
from jwt import PyJWK

from .bearer import MAX_AUTHORIZATION_BYTES, bearer_token
from .claims import client_id_of, read_header, validate_claims, validate_key_issuer, validate_lifetime, verify_signature
from .errors import TokenExpired
from .keys import JwksCache
from .principal import Principal
from .settings import Settings
from .verified import DEFAULT_MAX_ENTRIES, VerifiedToken, VerifiedTokens

__all__ = ["TokenVerifier"]


class TokenVerifier:
    """Validates bearer tokens against one issuer's settings and key cache."""

    def __init__(
        self,
        settings: Settings,
        keys: JwksCache,
        *,
        clock: Callable[[], float] = time.time,
        verified_cache_size: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self._clock = clock
        self.verified = VerifiedTokens(verified_cache_size)

    async def verify(self, authorization: Sequence[bytes]) -> Principal:
        """The caller behind the request's Authorization header values; raises an AuthError."""
        digest: bytes | None = None
        seen = None
        if len(authorization) == 1 and len(authorization[0]) <= MAX_AUTHORIZATION_BYTES:
            # Keyed by the raw header value: one that bearer_token accepted before gives the same token.
            digest = self.verified.digest(authorization[0])
            seen = self.verified.get(digest)
        # A token verified before, by a key the JWKS cache still holds for its kid: parsing,
        # the signature and the rules that do not depend on time gave their answer already and
        # would give it again; exp, nbf and iat are judged against now, as on a first sight.
        if digest is not None and seen is not None and _holds(self.keys.cached(seen.kid), seen.key):
            try:
                validate_lifetime(seen.claims, now=self._clock())
            except TokenExpired:
                self.verified.discard(digest)
                raise
            return seen.principal
        token = bearer_token(authorization)
        kid = read_header(token)["kid"]
        candidates = self.keys.cached(kid)
        if candidates is None:
            # Only a cache miss may wait on the network, and never on the event loop.
            candidates = await anyio.to_thread.run_sync(self.keys.get, kid)
        claims, key = verify_signature(token, candidates)
        validate_claims(claims, self.settings, now=self._clock())
        validate_key_issuer(claims, key.issuer, self.settings)
        principal = Principal.from_claims(claims, client_id_of(claims, self.settings))
        if digest is not None:
            self.verified.put(digest, VerifiedToken(kid, key, claims, principal))
        return principal


def _holds(candidates: Sequence[PyJWK] | None, key: PyJWK) -> bool:
    """Whether the cache still holds this very key object: a refetch builds new ones."""
    return candidates is not None and any(candidate is key for candidate in candidates)
