"""The real app with telemetry on, as the Functions host runs it, on each dispatch path.

`fast` is the app function_app.py builds; `fallback` is the same app with its fast path
removed, so every MCP request goes through the SDK's own stateless app. Both are invoked
through their registered function with `azure.functions.HttpRequest`, as the worker does.
"""

from __future__ import annotations

from collections.abc import Iterator

import azure.functions as func
import pytest

import mcp_tools
from auth import JwksCache, Settings
from app_factory import build_app
from edge import Edge
from telemetry.record import Telemetry
from tests.support import FunctionHost, JwksServer, entra_env
from tests.telemetry.rig import Recording, recording

TOOLS = tuple(spec.name for spec in mcp_tools.SPECS)


def telemetry_edge(jwks_url: str, *, fast: bool = True, record_user_id: bool = False) -> Edge:
    settings = Settings.from_env(entra_env(jwks_url))
    edge = build_app(settings, JwksCache(settings.jwks_uri), telemetry=Telemetry(TOOLS, record_user_id=record_user_id))
    if not fast:
        edge.fast_path = None  # every MCP request to the SDK's app
    return edge


def function_host(edge: Edge) -> FunctionHost:
    return FunctionHost(func.AsgiFunctionApp(app=edge, http_auth_level=func.AuthLevel.ANONYMOUS))


@pytest.fixture(scope="module", params=["fast", "fallback"])
def path_host(request: pytest.FixtureRequest, jwks_server: JwksServer) -> Iterator[FunctionHost]:
    """The telemetry-on app, once on the fast path and once on the SDK's app."""
    host = function_host(telemetry_edge(jwks_server.url, fast=request.param == "fast"))
    host.path = request.param  # type: ignore[attr-defined]
    yield host
    host.close()


@pytest.fixture
def rec() -> Iterator[Recording]:
    with recording() as record:
        yield record
