"""The token exchange: MSAL's `acquire_token_on_behalf_of`, with the managed identity as the credential.

The API's own registration is the confidential client ("Microsoft identity platform and OAuth
2.0 On-Behalf-Of flow"): it presents the caller's access token as the `assertion` (RFC 7523
§2.1, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `requested_token_use=
on_behalf_of`) and authenticates itself with `outbound.ManagedIdentityAssertion`, the same
federated credential the OAuth front uses, so no secret exists on Azure. A secret is accepted
for local development only (obo/settings.py refuses it on Azure).

Blocking (MSAL's HTTP): callers run it off the event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from outbound import AssertionUnavailable, ManagedIdentityAssertion

from .cache import CacheKey, TokenCache
from .challenges import Challenge, aadsts_codes, from_token_error
from .settings import OboSettings

__all__ = ["ChallengeRequired", "ExchangeRefused", "ExchangeUnavailable", "OnBehalfOf"]


class ChallengeRequired(Exception):
    """The person must act before the call can succeed (consent, a step-up, a claims challenge)."""

    def __init__(self, challenge: Challenge) -> None:
        super().__init__(challenge.code)
        self.challenge = challenge


class ExchangeRefused(Exception):
    """Entra refused the exchange for a reason the person cannot fix from here; `code` is for logs and the tool error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class ExchangeUnavailable(Exception):
    """Entra, or the managed-identity endpoint, could not be reached or answered in a way MSAL could not read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _no_msal_cache() -> Any:
    import msal

    class _Discarding(msal.TokenCache):  # type: ignore[misc]
        """MSAL's in-memory cache keeps every user's tokens forever; `TokenCache` below is the bounded one."""

        def add(self, event: Any, now: Any = None) -> None:
            return None

    return _Discarding()


class OnBehalfOf:
    """Exchanges a caller's token for a downstream token, from the bounded cache when it can."""

    def __init__(
        self,
        settings: OboSettings,
        *,
        cache: TokenCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.cache = cache or TokenCache()
        self._clock = clock
        self._app: Any = None
        self._lock = threading.Lock()
        identity = settings.managed_identity
        self._assertion = None if identity is None else ManagedIdentityAssertion(identity, settings.assertion_audience)

    def token(self, key: CacheKey, user_assertion: str, *, claims: str | None = None) -> str:
        """A downstream access token for `key`'s user. With `claims` (a challenge's), never from the cache."""
        if claims is None:
            cached = self.cache.get(key, self._clock())
            if cached is not None:
                return cached
        import requests

        try:
            result = self._msal().acquire_token_on_behalf_of(
                user_assertion, list(self.settings.scopes), claims_challenge=claims
            )
        except AssertionUnavailable as exc:
            raise ExchangeUnavailable("managed_identity") from exc
        except (requests.RequestException, ValueError) as exc:
            raise ExchangeUnavailable("token_endpoint") from exc
        if not isinstance(result, dict):
            raise ExchangeUnavailable("token_endpoint")
        token = result.get("access_token")
        if isinstance(token, str) and token:
            expires_in = result.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) else 0.0
            self.cache.put(key, token, self._clock() + lifetime)
            return token
        challenge = from_token_error(result)
        if challenge is not None:
            # MSAL answers an identical request that Entra refused with that same 400 for 60 s
            # (its throttling: the "UI required cache" of msal/throttled_http_client.py). The retry
            # after the person consents is identical, so it would fail for a minute; a new MSAL
            # client starts without that memory. A challenge costs one discovery GET more.
            self._forget_refusals()
            raise ChallengeRequired(challenge)
        codes = sorted(aadsts_codes(result))
        raise ExchangeRefused(f"AADSTS{codes[0]}" if codes else str(result.get("error") or "unknown_error"))

    def _forget_refusals(self) -> None:
        with self._lock:
            self._app = None

    def _msal(self) -> Any:
        """MSAL's client, built on first use (its construction fetches the authority's metadata)."""
        import msal
        import requests

        with self._lock:
            if self._app is None:
                credential: Any = (
                    self.settings.client_secret
                    if self.settings.client_secret is not None
                    else {"client_assertion": self._assertion}
                )
                # Authority validation and instance discovery know Entra's public hosts only; for a
                # national cloud or a local https provider they are off, as in client/tokens.py.
                known = urlsplit(self.settings.authority).hostname == "login.microsoftonline.com"
                self._app = msal.ConfidentialClientApplication(
                    self.settings.client_id,
                    client_credential=credential,
                    authority=self.settings.authority,
                    validate_authority=known,
                    instance_discovery=None if known else False,
                    http_client=requests.Session(),
                    token_cache=_no_msal_cache(),
                )
            return self._app
