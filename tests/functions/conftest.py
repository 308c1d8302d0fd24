"""Function apps built like function_app.py's, for settings or key sources the session app can't have."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import azure.functions as func
import pytest

from auth import JwksCache, Settings
from edge import build_asgi_app
from tests.support import FunctionHost, entra_env

HostFactory = Callable[..., FunctionHost]


@pytest.fixture
def make_host() -> Iterator[HostFactory]:
    """`make_host(jwks_url, **settings)`: a separate app with its own key cache, on its own worker loop."""
    hosts: list[FunctionHost] = []

    def make(jwks_url: str, **settings: str) -> FunctionHost:
        config = Settings.from_env(entra_env(jwks_url, **settings))
        asgi_app = build_asgi_app(config, JwksCache(config.jwks_uri))
        hosts.append(FunctionHost(func.AsgiFunctionApp(app=asgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)))
        return hosts[-1]

    yield make
    for host in hosts:
        host.close()
