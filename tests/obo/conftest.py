"""The on-behalf-of example, served as function_app.py would serve it, against devidp on https.

devidp serves https (MSAL accepts no other authority) with a throwaway certificate that
REQUESTS_CA_BUNDLE (requests: MSAL, the JWKS fetch, /me) and SSL_CERT_FILE (httpx: the
headless browser) trust. The API authenticates with the managed-identity stand-in: no secret.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devidp import DevIdentityProvider, OffsetClock
from devserver import dev_environment, obo_environment
from obo.exchange import OnBehalfOf
from tests.client.conftest import serve
from tests.support import module_uses, process_env


def _process_values(env: dict[str, str]) -> dict[str, str]:
    """What MSAL and requests read from the process environment: the managed-identity endpoint and
    the provider's CA certificate (the stand-ins serve TLS)."""
    names = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "REQUESTS_CA_BUNDLE")
    return {**{name: env[name] for name in names}, "SSL_CERT_FILE": env["REQUESTS_CA_BUNDLE"]}


@dataclass
class OboStack:
    """A running server with the example on, and the provider whose switches a test flips."""

    idp: DevIdentityProvider
    clock: OffsetClock
    origin: str
    env: dict[str, str]
    exchange: OnBehalfOf

    @property
    def mcp_url(self) -> str:
        return f"{self.origin}/mcp"


def start_obo(idp: DevIdentityProvider, env: dict[str, str]) -> tuple[object, threading.Thread, str, OnBehalfOf]:
    """Build the app as app_factory.build_app does with OBO_EXAMPLE=on, from a mapping, and serve it;
    the exchange is the test's, so it can empty the token cache between tests."""
    from auth import Settings
    from edge import build_asgi_app
    from obo.server import build_example_server
    from obo.settings import OboSettings

    settings = Settings.from_env(env)
    obo = OboSettings.from_env(env, settings)
    assert obo is not None
    exchange = OnBehalfOf(obo)
    server, thread, port = serve(build_asgi_app(settings, None, server=build_example_server(obo, exchange)))
    return server, thread, f"http://127.0.0.1:{port}", exchange


@pytest.fixture(scope="session")
def obo_stack() -> Iterator[OboStack]:
    clock = OffsetClock()
    with DevIdentityProvider(clock=clock, tls=True) as idp:
        env = {**dev_environment(idp), **obo_environment(idp)}
        # MSAL reads the managed-identity endpoint from the process environment, as on App Service.
        with process_env(_process_values(env)):
            server, thread, origin, exchange = start_obo(idp, env)
            try:
                yield OboStack(idp=idp, clock=clock, origin=origin, env=env, exchange=exchange)
            finally:
                server.should_exit = True  # type: ignore[attr-defined]
                thread.join(10)


@pytest.fixture(scope="module", autouse=True)
def _obo_process_env(request: pytest.FixtureRequest) -> Iterator[None]:
    """This folder's provider and certificate in the process environment, for each module that uses them.

    Another folder's session-wide stack (tests/front) points IDENTITY_ENDPOINT at its own provider;
    run in parallel, a worker may run its files between two of these.
    """
    if not module_uses(request, "obo_stack"):
        yield
        return
    with process_env(_process_values(request.getfixturevalue("obo_stack").env)):
        yield


@pytest.fixture(autouse=True)
def _reset_switches(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with every failure off, a fresh set of people's steps, and the clock at now."""
    if "obo_stack" not in request.fixturenames:
        yield
        return
    stack: OboStack = request.getfixturevalue("obo_stack")
    stack.clock.offset = 0.0
    downstream = stack.idp.downstream
    assert downstream is not None
    downstream.reset()
    stack.exchange.cache.clear()
    yield
