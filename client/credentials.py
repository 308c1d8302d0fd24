"""Which access token a command uses, and keeping it fresh.

Users: the cached login, refreshed when expired (the rotated refresh token is
saved at once, under the cache lock). Apps (`--app`): client credentials,
fetched per command (MSAL's path lives in `client.tokens`).
"""

from __future__ import annotations

from collections.abc import Callable

from .cache import TokenCache
from .discovery import Endpoints
from .errors import ClientError, OAuthFailure
from .settings import ClientSettings
from .tokens import TokenSet, client_credentials, refresh

__all__ = ["app_token", "cache_key", "user_token"]


def cache_key(settings: ClientSettings, endpoints: Endpoints) -> str:
    return TokenCache.key(endpoints.token_endpoint, settings.client_id, settings.scopes)


def user_token(
    settings: ClientSettings,
    endpoints: Endpoints,
    cache: TokenCache,
    now: Callable[[], float],
    *,
    force_refresh: bool = False,
) -> TokenSet:
    """The signed-in user's access token, refreshed first if it has expired (or if forced)."""
    key = cache_key(settings, endpoints)
    with cache.locked():
        tokens = cache.load(key)
        if tokens is None:
            raise ClientError("not signed in: run `python -m client login` first")
        if not force_refresh and not tokens.expired(now()):
            return tokens
        try:
            fresh = refresh(settings, endpoints, tokens, now)
        except OAuthFailure as failure:
            if failure.error == "invalid_grant":
                cache.delete(key)
                raise ClientError(
                    f"the sign-in has ended ({failure.description or failure.error}); run `python -m client login`"
                ) from None
            raise
        cache.save(key, fresh)
        return fresh


def app_token(settings: ClientSettings, endpoints: Endpoints, now: Callable[[], float]) -> TokenSet:
    """An application token by client credentials, with plain requests."""
    return client_credentials(settings, endpoints, now)
