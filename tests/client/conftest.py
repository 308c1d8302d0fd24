"""A dev identity provider and the real MCP server, both on ephemeral loopback ports, for the whole session.

The server is built by the same factory `function_app.py` uses
(`edge.build_asgi_app(auth.Settings.from_env(...))`), from a plain mapping
instead of `os.environ`. So this session's server trusts our provider without
touching the process environment, and `tests/conftest.py`'s `function_app`
module (configured for its own Entra-like tenant) is left alone. The literal
`uvicorn function_app:asgi_app` command is exercised by test_devserver.py.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from devidp import DevIdentityProvider, OffsetClock, defaults
from tests.support import start_server_thread

#: Longer than the server's 60 s leeway, so a token minted an hour ago is really expired.
ACCESS_TOKEN_LIFETIME = 300


@dataclass(frozen=True)
class Stack:
    """The running pieces a client test talks to."""

    idp: DevIdentityProvider
    clock: OffsetClock
    mcp_url: str


def serve(app: object, sock: socket.socket | None = None) -> tuple[uvicorn.Server, threading.Thread, int]:
    """Serve an ASGI app with uvicorn from a thread on `sock`, else a free 127.0.0.1 port (lifespan on)."""
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # Nagle goes off in start_server_thread
        sock.bind(("127.0.0.1", 0))
    server, thread = start_server_thread(app, sock)
    return server, thread, sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    from auth import Settings
    from edge import build_asgi_app

    clock = OffsetClock()
    with DevIdentityProvider(clock=clock, access_token_lifetime=ACCESS_TOKEN_LIFETIME) as idp:
        settings = Settings.from_env(
            {
                "OAUTH_ISSUER": idp.issuer,
                "OAUTH_AUDIENCE": defaults.DEV_API_CLIENT_ID,
                "OAUTH_JWKS_URI": idp.jwks_uri,
                "OAUTH_APP_ID_URI": idp.app_id_uri,
                "OAUTH_SCOPE_PREFIX": f"{idp.app_id_uri}/",
            }
        )
        server, thread, port = serve(build_asgi_app(settings))
        try:
            yield Stack(idp=idp, clock=clock, mcp_url=f"http://127.0.0.1:{port}/mcp")
        finally:
            server.should_exit = True
            thread.join(10)


@pytest.fixture(autouse=True)
def _reset_clock(request: pytest.FixtureRequest) -> None:
    if "stack" in request.fixturenames:
        request.getfixturevalue("stack").clock.offset = 0.0


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "tokens.json"
