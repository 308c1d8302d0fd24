"""Each caller kind end to end: tokens from the development identity provider (client credentials, the
code flow, and minted for the agent's user account, whose grant the provider does not serve), through `uvicorn function_app:asgi_app` with the
official MCP clients (Python, and TypeScript v2 on both wires) and raw HTTP, and through the
Functions function object.

The server refuses autonomous agents `subtract` and agents' user accounts every tool
(MCP_REFUSED_CALLERS), so each refusal, its 403 and `tools/list`'s agreement are seen on the wire.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import httpx
import pytest

from auth import JwksCache, Settings
from devidp import DevIdentityProvider, defaults
from edge import build_asgi_app
from tests.devidp.flows import get_code, pkce_pair, redeem
from tests.e2e.test_node_clients import _typescript_v2_client
from tests.support import MCP_HEADERS, REPO, FunctionHost, body_json, call_tool, list_tools, mcp_client, uvicorn_server

REFUSED = "autonomous_agent:subtract,agent_user_account"
AGENT = defaults.DEV_AGENT_CLIENT_ID
PARENT = defaults.DEV_AGENT_BLUEPRINT_ID
API = f"api://{defaults.DEV_API_CLIENT_ID}"


@pytest.fixture(scope="module")
def idp() -> Iterator[DevIdentityProvider]:
    with DevIdentityProvider() as provider:
        yield provider


def _env(idp: DevIdentityProvider, **extra: str) -> dict[str, str]:
    return {
        "OAUTH_ISSUER": idp.issuer,
        "OAUTH_AUDIENCE": defaults.DEV_API_CLIENT_ID,
        "OAUTH_JWKS_URI": idp.jwks_uri,
        "OAUTH_APP_ID_URI": API,
        "OAUTH_SCOPE_PREFIX": f"{API}/",
        "MCP_REFUSED_CALLERS": REFUSED,
        **extra,
    }


@pytest.fixture(scope="module")
def server(idp: DevIdentityProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with uvicorn_server(_env(idp), str(tmp_path_factory.mktemp("uvicorn-callers"))) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(idp: DevIdentityProvider) -> dict[str, str]:
    """One real token per kind, each the way its kind gets one."""
    # An autonomous agent: client credentials, as the agent identity itself.
    autonomous = httpx.post(
        idp.token_endpoint,
        data={"grant_type": "client_credentials", "client_id": AGENT, "client_secret": defaults.DEV_AGENT_CLIENT_SECRET,
              "scope": f"{API}/.default"},
        timeout=10,
    )
    assert autonomous.status_code == 200, autonomous.text
    # An agent acting for a user: the user signs in and consents, the agent redeems the code.
    verifier, _ = pkce_pair()
    code = get_code(idp, f"{API}/calculator.add {API}/calculator.subtract", verifier, client_id=AGENT)
    delegated = redeem(idp, code, verifier, client_id=AGENT, client_secret=defaults.DEV_AGENT_CLIENT_SECRET)
    assert delegated.status_code == 200, delegated.text
    return {
        "user": idp.mint_user_token(),
        "app": idp.mint_app_token(),
        "autonomous_agent": autonomous.json()["access_token"],
        "agent_for_user": delegated.json()["access_token"],
        # Entra issues it through the agent user grant, which the provider does not serve: minted.
        "agent_user_account": idp.mint_agent_token("agent_user_account"),
    }


def _identity(kind: str, idp: DevIdentityProvider) -> dict[str, Any]:
    """What get_me must say of each kind's caller."""
    user = idp.users["dev.user@contoso.test"]
    agent_sp = idp.clients[AGENT].service_principal_oid
    both = ["calculator.add", "calculator.subtract"]
    common = {"tenant_id": defaults.DEV_TENANT_ID, "permissions": both}
    return {
        "autonomous_agent": {**common, "kind": "autonomous_agent", "subject": agent_sp, "object_id": agent_sp,
                             "client_id": AGENT, "name": None, "username": None, "parent_app_id": PARENT},
        "agent_for_user": {**common, "kind": "agent_for_user", "object_id": user.oid, "client_id": AGENT,
                           "name": user.name, "username": user.preferred_username, "parent_app_id": PARENT},
        "user": {**common, "kind": "user", "object_id": user.oid, "client_id": defaults.DEV_PUBLIC_CLIENT_ID,
                 "name": user.name, "username": user.preferred_username, "parent_app_id": None},
        "app": {**common, "kind": "app", "client_id": defaults.DEV_APP_CLIENT_ID, "name": None, "username": None,
                "parent_app_id": None},
    }[kind]


def _without_subject(identity: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    # Entra's `sub` is pairwise (a hash per client); every other field is compared exactly.
    return {name: identity[name] for name in expected}


# What tools/list shows each kind, with the refusals above and every permission granted.
LISTED = {
    "user": ["add", "subtract", "get_me"],
    "app": ["add", "subtract", "get_me"],
    "agent_for_user": ["add", "subtract", "get_me"],
    "autonomous_agent": ["add", "get_me"],
    "agent_user_account": [],
}


@pytest.mark.parametrize("kind", ["user", "app", "agent_for_user", "autonomous_agent"])
def test_the_official_client_sees_its_kind_its_tools_and_the_parent_app(
    server: Any, idp: DevIdentityProvider, tokens: dict[str, str], kind: str
):
    async def session() -> tuple[list[str], dict[str, Any], Any]:
        async with mcp_client(f"{server.url}/mcp", tokens[kind]) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            me = await client.call_tool("get_me", {})
            added = await client.call_tool("add", {"a": 2, "b": 3})
            return tools, me.structured_content, added

    tools, me, added = asyncio.run(session())

    expected = _identity(kind, idp)
    assert tools == LISTED[kind]
    assert _without_subject(me, expected) == expected
    assert (added.is_error, added.structured_content) == (False, {"result": 5})


@pytest.mark.parametrize("mode, wire", [("legacy", "2025-11-25"), ("pin", "2026-07-28")])
def test_the_official_typescript_client_agrees_for_an_autonomous_agent(
    server: Any, tokens: dict[str, str], mode: str, wire: str
):
    answer = _typescript_v2_client(f"{server.url}/mcp", tokens["autonomous_agent"], mode)

    assert answer == {
        "protocolVersion": wire,
        "tools": ["add", "get_me"],
        "isError": False,
        "structuredContent": {"result": 5},
        "text": ["5"],
    }


def _post(server: Any, token: str, message: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/mcp", json=message, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, timeout=30
    )


def test_a_refused_kind_gets_a_403_with_no_challenge_and_a_reason(server: Any, tokens: dict[str, str]):
    response = _post(server, tokens["autonomous_agent"], call_tool("subtract", {"a": 1, "b": 1}))

    assert response.status_code == 403
    assert "www-authenticate" not in response.headers
    assert response.json() == {
        "error": "caller_kind_refused",
        "error_description": "This server does not accept autonomous_agent callers for the tool subtract",
    }
    # Only the kinds named: the same tool is anyone else's, and the same kind may still add.
    assert _post(server, tokens["agent_for_user"], call_tool("subtract", {"a": 1, "b": 1})).json()["result"][
        "structuredContent"
    ] == {"result": 0}


def test_a_kind_refused_every_tool_lists_none_and_calls_none(server: Any, tokens: dict[str, str]):
    token = tokens["agent_user_account"]

    listed = _post(server, token, list_tools())
    refused = _post(server, token, call_tool("get_me"))
    unknown = _post(server, token, call_tool("multiply"))

    assert (listed.status_code, listed.json()["result"]["tools"]) == (200, [])
    assert (refused.status_code, refused.json()["error"]) == (403, "caller_kind_refused")
    # A name the server lacks is the SDK's to answer; the refusal never echoes a made-up name.
    assert unknown.status_code == 200
    assert unknown.json()["result"]["isError"] is True
    assert "caller_kind_refused" not in unknown.text


def test_the_log_carries_the_kind_and_the_parent_app_for_every_agent_call(server: Any, tokens: dict[str, str]):
    refused = _post(server, tokens["autonomous_agent"], call_tool("subtract", {"a": 1, "b": 1}))
    allowed = _post(server, tokens["agent_for_user"], call_tool("add", {"a": 1, "b": 1}))
    plain = _post(server, tokens["user"], call_tool("add", {"a": 1, "b": 1}))

    with open(server.output) as output:
        log = output.read()
    refused_id, allowed_id, plain_id = (r.headers["x-correlation-id"] for r in (refused, allowed, plain))
    assert (
        f"INFO edge agent call caller_kind=autonomous_agent parent_app_id={PARENT} correlation_id={refused_id}\n" in log
    )
    assert (
        f"INFO edge auth failure status=403 reason=caller_kind_refused caller_kind=autonomous_agent "
        f"parent_app_id={PARENT} correlation_id={refused_id}\n" in log
    )
    assert f"INFO edge agent call caller_kind=agent_for_user parent_app_id={PARENT} correlation_id={allowed_id}\n" in log
    assert plain_id not in log  # a user's call leaves no line, as before


@pytest.fixture(scope="module")
def host(idp: DevIdentityProvider) -> Iterator[FunctionHost]:
    settings = Settings.from_env(_env(idp))
    function_app = func.AsgiFunctionApp(
        app=build_asgi_app(settings, JwksCache(settings.jwks_uri)), http_auth_level=func.AuthLevel.ANONYMOUS
    )
    running = FunctionHost(function_app)
    yield running
    running.close()


@pytest.mark.parametrize("kind", ["user", "app", "agent_for_user", "autonomous_agent", "agent_user_account"])
def test_the_function_object_lists_what_each_kind_may_call(
    host: FunctionHost, tokens: dict[str, str], kind: str
):
    response = host.mcp(tokens[kind], list_tools())

    assert response.status_code == 200
    assert [tool["name"] for tool in body_json(response)["result"]["tools"]] == LISTED[kind]


def test_the_function_object_reports_the_agent_user_account_when_nothing_is_refused(idp: DevIdentityProvider):
    settings = Settings.from_env({**_env(idp), "MCP_REFUSED_CALLERS": "app:add"})
    app = func.AsgiFunctionApp(app=build_asgi_app(settings, JwksCache(settings.jwks_uri)), http_auth_level=func.AuthLevel.ANONYMOUS)
    running = FunctionHost(app)
    try:
        response = running.mcp(idp.mint_agent_token("agent_user_account"), call_tool("get_me"))
    finally:
        running.close()

    agent_user = body_json(response)["result"]["structuredContent"]
    assert {name: agent_user[name] for name in ("kind", "object_id", "username", "client_id", "parent_app_id")} == {
        "kind": "agent_user_account",
        "object_id": defaults.DEV_AGENT_USER_OBJECT_ID,
        "username": "dev.agent@contoso.test",
        "client_id": AGENT,
        "parent_app_id": PARENT,
    }


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            "robot",
            "invalid configuration: MCP_REFUSED_CALLERS entry 'robot' must start with a caller kind "
            "(user, app, agent_for_user, autonomous_agent, agent_user_account)",
        ),
        (
            "app:multiply",
            "invalid configuration: MCP_REFUSED_CALLERS names no tool of this server: 'multiply' "
            "(tools: add, subtract, get_me)",
        ),
    ],
)
def test_a_bad_setting_stops_the_function_app_with_one_line(idp: DevIdentityProvider, value: str, line: str):
    started = subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=REPO,
        env={**os.environ, **_env(idp), "MCP_REFUSED_CALLERS": value, "PYTHONPATH": REPO},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode == 1
    assert started.stderr.strip().splitlines() == [line]
