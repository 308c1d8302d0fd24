"""Session-wide fixtures: one signing key, one loopback JWKS, and the real function_app module.

`function_app` reads its settings at import, as the Functions host does, so the
environment is set before the first import and the module is shared by every
test, exactly as warm invocations share it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.support import REPO, FunctionHost, JwksServer, SigningKey, UvicornServer, entra_env, uvicorn_server

pytest_plugins = ["tests.log_capture"]

if REPO not in sys.path:
    sys.path.insert(0, REPO)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate("entra-key-1")


@pytest.fixture(scope="session")
def jwks_server(signing_key: SigningKey) -> Iterator[JwksServer]:
    server = JwksServer()
    server.publish(signing_key)
    yield server
    server.close()


@pytest.fixture(scope="session")
def function_app_module(jwks_server: JwksServer) -> ModuleType:
    os.environ.update(entra_env(jwks_server.url))
    return importlib.import_module("function_app")


@pytest.fixture(scope="session")
def host(function_app_module: ModuleType) -> Iterator[FunctionHost]:
    """The function object that function_app.py registers, invoked as the worker would."""
    function_host = FunctionHost(function_app_module.app)
    yield function_host
    function_host.close()


@pytest.fixture(scope="session")
def entra_uvicorn(jwks_server: JwksServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UvicornServer]:
    """`uvicorn function_app:asgi_app` with the session's Entra settings, as the README runs it.

    Shared by every module that needs exactly these settings: one start a session (a worker,
    with pytest-xdist) instead of one a module. Tests tell their own lines in its output apart
    by correlation id, never by the output being theirs alone.
    """
    with uvicorn_server(entra_env(jwks_server.url), str(tmp_path_factory.mktemp("uvicorn-entra"))) as running:
        yield running
