"""The OAuth front, on: the dev identity provider, the real app (edge + front) over uvicorn, and the
managed-identity stand-in, all on loopback. Settings come from devserver.py's own functions, so the
tests run what `python devserver.py --front` runs (devserver itself is driven in test_devserver.py).
"""

from __future__ import annotations

import json
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devidp import DevIdentityProvider, OffsetClock
from devidp.tls import write_loopback_certificate
from devserver import dev_environment, front_environment
from tests.client.conftest import serve
from tests.support import module_uses, process_env

REDIRECT_URI = "http://127.0.0.1:33418/callback"


@dataclass
class FrontStack:
    """A running server with the front on, and what a test needs to reach or steer it."""

    idp: DevIdentityProvider
    clock: OffsetClock
    origin: str
    env: dict[str, str]

    @property
    def mcp_url(self) -> str:
        return f"{self.origin}/mcp"

    @property
    def sealing_keys(self) -> list[str]:
        return self.env["OAUTH_FRONT_SEALING_KEYS"].split(",")


def start_front(
    idp: DevIdentityProvider, clock: Callable[[], float] | None = None, **overrides: str
) -> tuple[object, threading.Thread, str, dict[str, str]]:
    """Build the app exactly as function_app.py does, from a mapping, and serve it on a free port.

    The app reads `clock`, the identity provider's unless given, for token lifetimes and for the
    front's time (sealed expiries, the refresh window): a test that moves it expires tokens on both
    sides at once instead of sleeping."""
    from app_factory import build_app
    from auth import Settings
    from front.settings import FrontSettings

    env = {**dev_environment(idp), **front_environment(idp), **overrides}
    settings = Settings.from_env(env)
    front = FrontSettings.from_env(env, settings)
    server, thread, port = serve(build_app(settings, None, front, clock=clock if clock is not None else idp.clock))
    return server, thread, f"http://127.0.0.1:{port}", env


@pytest.fixture(scope="session")
def front_stack() -> Iterator[FrontStack]:
    clock = OffsetClock()
    with DevIdentityProvider(clock=clock) as idp:
        server, thread, origin, env = start_front(idp)
        # MSAL reads the managed-identity endpoint from the process environment, as on App Service.
        try:
            with process_env({"IDENTITY_ENDPOINT": env["IDENTITY_ENDPOINT"], "IDENTITY_HEADER": env["IDENTITY_HEADER"]}):
                yield FrontStack(idp=idp, clock=clock, origin=origin, env=env)
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(10)


@pytest.fixture(scope="module", autouse=True)
def _front_managed_identity(request: pytest.FixtureRequest) -> Iterator[None]:
    """This folder's provider as the process's managed-identity endpoint, for each module that uses it.

    Another folder's session-wide stack (tests/obo) points the same process variables at its own
    provider for the rest of the session; run in parallel, a worker may run its files before these,
    and MSAL would then present the other provider's token as this front's client assertion.
    """
    if not module_uses(request, "front_stack"):
        yield
        return
    env = request.getfixturevalue("front_stack").env
    with process_env({"IDENTITY_ENDPOINT": env["IDENTITY_ENDPOINT"], "IDENTITY_HEADER": env["IDENTITY_HEADER"]}):
        yield


@pytest.fixture(scope="session")
def table_url() -> Iterator[str]:
    """Azurite's Table Storage, for the front's refresh-token store."""
    from tests.azurite_table import azurite_table

    with azurite_table() as url:
        yield url


@pytest.fixture(scope="session")
def stored(front_stack: FrontStack, table_url: str) -> Iterator[FrontStack]:
    """An instance of the front with the token store on, on the provider's clock."""
    server, thread, origin, env = start_front(front_stack.idp, clock=front_stack.clock, OAUTH_FRONT_TOKEN_STORE=table_url)
    try:
        yield FrontStack(idp=front_stack.idp, clock=front_stack.clock, origin=origin, env=env)
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(10)


@pytest.fixture(autouse=True)
def _quiet_test_clients() -> Iterator[None]:
    """The tests' own HTTP clients log each URL at INFO, and a browser's URLs carry codes and sealed
    states: that is the client's log, not the server's, so it stays out of the suite's log audit."""
    import logging

    loggers = [logging.getLogger(name) for name in ("httpx", "httpx2", "httpcore")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    yield
    for logger, level in zip(loggers, levels):
        logger.setLevel(level)


@pytest.fixture(autouse=True)
def _reset_provider(request: pytest.FixtureRequest) -> None:
    if "front_stack" in request.fixturenames:
        stack: FrontStack = request.getfixturevalue("front_stack")
        stack.clock.offset = 0.0
        stack.idp.access_token_lifetime = 3600


@dataclass
class DocumentServer:
    """Client metadata documents over https on 127.0.0.1, each path with its own answer."""

    url: str
    ca_path: Path
    answers: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)

    def publish(self, path: str, document: Mapping[str, object] | bytes, status: int = 200, headers: Mapping[str, str] | None = None) -> str:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.answers[path] = (status, {"Content-Type": "application/json", **(headers or {})}, body)
        return self.url + path


@pytest.fixture(scope="session")
def documents() -> Iterator[DocumentServer]:
    directory = tempfile.TemporaryDirectory(prefix="cimd-tls-")
    certificate = write_loopback_certificate(Path(directory.name))
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = DocumentServer(url=f"https://127.0.0.1:{server.server_address[1]}", ca_path=certificate.ca_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            status, headers, body = state.answers.get(self.path, (404, {}, b"{}"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert_path, certificate.key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # a quick shutdown()
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    directory.cleanup()


@pytest.fixture
def trust_documents(documents: DocumentServer, monkeypatch: pytest.MonkeyPatch) -> DocumentServer:
    """The front's outbound GETs trust the documents' test certificate (auth/fetch.py reads REQUESTS_CA_BUNDLE)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(documents.ca_path))
    return documents
