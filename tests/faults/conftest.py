"""A separate app per test: its own key cache on a frozen clock, its own loopback JWKS, its own worker loop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import azure.functions as func
import pytest

from auth import JwksCache, Settings
from auth.keys import fetch_jwks
from edge import build_asgi_app
from tests.support import FunctionHost, JwksServer, SigningKey, entra_env


class FrozenClock:
    """The key cache's monotonic clock, moved only by the test: cooldowns are crossed, never slept through."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Rig:
    key: SigningKey
    jwks: JwksServer
    clock: FrozenClock
    cache: JwksCache
    host: FunctionHost


def build_rig(jwks: JwksServer, key: SigningKey, jwks_url: str | None = None, *, fetch: Callable[[str], bytes] = fetch_jwks) -> Rig:
    """An app over `jwks`; its key cache fetches with `fetch` (the real one unless a test narrows it)."""
    clock = FrozenClock()
    url = jwks_url or jwks.url
    cache = JwksCache(url, fetch=fetch, clock=clock)
    app = build_asgi_app(Settings.from_env(entra_env(url)), cache)
    host = FunctionHost(func.AsgiFunctionApp(app=app, http_auth_level=func.AuthLevel.ANONYMOUS))
    return Rig(key=key, jwks=jwks, clock=clock, cache=cache, host=host)


@pytest.fixture
def rig() -> Iterator[Rig]:
    """A cold app: nothing fetched yet; the JWKS publishes one key."""
    key = SigningKey.generate("fault-key-1")
    jwks = JwksServer()
    jwks.publish(key)
    built = build_rig(jwks, key)
    yield built
    jwks.release.set()  # let any hanging fetch finish
    built.host.close()
    jwks.close()
