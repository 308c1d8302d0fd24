"""MCP_TOOLS_LISTED: `tools/list` shows only the caller's callable tools (default) or every tool, so that a
client which calls only what it is shown meets the 403 `insufficient_scope` and steps up (issue 14, item 10).

Each mode on each way through: the fast path (handshake and 2026-07-28 wires) and the SDK's own app
(a request the fast path declines: a Content-Type list, which the SDK's transport accepts). Whatever is listed, `tools/call` agrees with the
grant: a tool the token may call answers 200, any other 403 naming its scope.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_types import CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY

import mcp_tools
from auth import ConfigError, Settings
from tests.support import MCP_HEADERS, PUBLIC_HOST, FunctionHost, JwksServer, SigningKey, app_claims, entra_env, mint, user_claims

from .conftest import HostFactory

MODERN = "2026-07-28"
PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
ALL_TOOLS = [spec.name for spec in mcp_tools.SPECS]
ARGUMENTS = {"add": {"a": 2, "b": 3}, "subtract": {"a": 5, "b": 1}, "get_me": {}}


def send(host: FunctionHost, token: str, way: str, method: str, params: dict[str, Any]) -> Any:
    """One request by `way`: "fast" (2025-06-18), "modern" (2026-07-28, fast path) or "sdk" (the SDK's app)."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    if way == "sdk":
        headers["Content-Type"] = "application/json, text/plain"  # the fast path leaves this to the SDK's app
    if way == "modern":
        headers.update({"MCP-Protocol-Version": MODERN, "Mcp-Method": method})
        if method == "tools/call":
            headers["Mcp-Name"] = params["name"]
        params = {**params, "_meta": {PROTOCOL_VERSION_META_KEY: MODERN, CLIENT_CAPABILITIES_META_KEY: {}}}
    return host.request("POST", "/mcp", headers=headers, body={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})


@pytest.fixture(scope="module", params=["callable", "all"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def host(make_host: HostFactory, jwks_server: JwksServer, mode: str) -> FunctionHost:
    return make_host(jwks_server.url, MCP_TOOLS_LISTED=mode)


@pytest.mark.parametrize("way", ["fast", "modern", "sdk"])
@pytest.mark.parametrize(
    ("caller", "claims"),
    [("user with add only", user_claims(scp="calculator.add")), ("app with subtract only", app_claims(roles=["calculator.subtract"]))],
)
def test_tools_list_and_tools_call_agree_with_the_grant(
    host: FunctionHost, signing_key: SigningKey, caplog: pytest.LogCaptureFixture, mode: str, way: str, caller: str, claims: dict[str, Any]
) -> None:
    token = mint(signing_key, claims)
    granted = set(claims.get("scp", "").split()) | set(claims.get("roles", []))
    callable_tools = [spec.name for spec in mcp_tools.SPECS if spec.permission is None or spec.permission in granted]
    caplog.set_level("DEBUG", logger="edge.fastpath")

    listed_answer = send(host, token, way, "tools/list", {})
    listed = [tool["name"] for tool in json.loads(listed_answer.get_body())["result"]["tools"]]
    calls = {name: send(host, token, way, "tools/call", {"name": name, "arguments": ARGUMENTS[name]}) for name in ALL_TOOLS}

    assert listed_answer.status_code == 200
    assert listed == (ALL_TOOLS if mode == "all" else callable_tools)
    for name, answer in calls.items():
        spec = next(s for s in mcp_tools.SPECS if s.name == name)
        if name in callable_tools:
            assert answer.status_code == 200 and "result" in json.loads(answer.get_body()), name
        else:
            assert answer.status_code == 403, name
            assert answer.headers["WWW-Authenticate"] == (
                f'Bearer error="insufficient_scope", scope="api://6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55/{spec.permission}", '
                f'resource_metadata="{PRM_URL}"'
            )
    in_one_step = [r.getMessage() for r in caplog.records if r.getMessage().startswith("answered tools/list")]
    assert len(in_one_step) == (0 if way == "sdk" else 1)


def test_callable_is_the_default(jwks_server: JwksServer) -> None:
    assert Settings.from_env(entra_env(jwks_server.url)).tools_listed == "callable"
    assert Settings.from_env(entra_env(jwks_server.url, MCP_TOOLS_LISTED="ALL")).tools_listed == "all"


def test_another_value_stops_the_app_with_the_setting_named(jwks_server: JwksServer) -> None:
    with pytest.raises(ConfigError) as error:
        Settings.from_env(entra_env(jwks_server.url, MCP_TOOLS_LISTED="some"))

    assert error.value.problems == ["MCP_TOOLS_LISTED must be callable or all"]


def test_the_on_behalf_of_example_server_lists_every_tool_too(jwks_server: JwksServer, signing_key: SigningKey) -> None:
    # The composition root builds the example's server itself; the setting must reach it as well.
    import azure.functions as func
    from cryptography.fernet import Fernet

    from app_factory import build_app
    from auth import JwksCache
    from obo.settings import OboSettings

    settings = Settings.from_env(entra_env(jwks_server.url, MCP_TOOLS_LISTED="all"))
    obo = OboSettings(
        client_id="22222222-2222-4222-8222-222222222222",
        authority="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
        scopes=("https://graph.microsoft.com/User.Read",),
        api_url="https://graph.microsoft.com/v1.0/me",
        redirect_uri="https://calc.example/obo/done",
        state_keys=(Fernet.generate_key().decode(),),
        managed_identity="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
    )
    host = FunctionHost(func.AsgiFunctionApp(app=build_app(settings, JwksCache(settings.jwks_uri), obo_settings=obo), http_auth_level=func.AuthLevel.ANONYMOUS))
    try:
        listed = send(host, mint(signing_key, user_claims(scp="calculator.add")), "fast", "tools/list", {})
    finally:
        host.close()

    assert [tool["name"] for tool in json.loads(listed.get_body())["result"]["tools"]] == [*ALL_TOOLS, "get_my_profile"]


def test_listing_every_tool_still_leaves_out_a_tool_refused_to_the_caller_s_kind(make_host: HostFactory, jwks_server: JwksServer, signing_key: SigningKey) -> None:
    # No sign-in changes a caller's kind, so a refused tool is nothing to step up to (auth.refusals).
    host = make_host(jwks_server.url, MCP_TOOLS_LISTED="all", MCP_REFUSED_CALLERS="user:subtract")

    listed = send(host, mint(signing_key, user_claims(scp="calculator.add")), "fast", "tools/list", {})

    assert [tool["name"] for tool in json.loads(listed.get_body())["result"]["tools"]] == ["add", "get_me"]
