"""End to end: `uvicorn function_app:asgi_app` in its own process, driven by the official MCP client."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mcp.client.auth.utils import extract_scope_from_www_auth, get_client_metadata_scopes, union_scopes
from mcp.shared.auth import OAuthMetadata
from mcp.shared.exceptions import MCPError

from tests.support import (
    CHALLENGE_SCOPES,
    ISSUER_V2,
    MCP_HEADERS,
    TENANT_ID,
    SigningKey,
    UvicornServer,
    app_claims,
    list_tools,
    mcp_client,
    mint,
    user_claims,
)

MODES = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@pytest.fixture(scope="module")
def server(entra_uvicorn: UvicornServer) -> str:
    return entra_uvicorn.url


@pytest.mark.parametrize("mode", MODES)
def test_a_user_lists_and_calls_every_tool(server: str, signing_key: SigningKey, mode: str):
    token = mint(signing_key, user_claims())

    async def session() -> tuple[str, list[str], object, object, object]:
        async with mcp_client(f"{server}/mcp", token, mode) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            added = await client.call_tool("add", {"a": 2, "b": 3})
            subtracted = await client.call_tool("subtract", {"a": 2, "b": 3.5})
            me = await client.call_tool("get_me", {})
            return client.protocol_version, tools, added, subtracted, me

    version, tools, added, subtracted, me = asyncio.run(session())

    assert version == MODES[mode]
    assert tools == ["add", "subtract", "get_me"]
    assert (added.is_error, added.structured_content) == (False, {"result": 5})
    assert (subtracted.is_error, subtracted.structured_content) == (False, {"result": -1.5})
    assert me.structured_content["kind"] == "user"
    assert me.structured_content["username"] == "ada@contoso.example"


@pytest.mark.parametrize("mode", MODES)
def test_an_app_sees_only_its_tools_and_is_refused_the_others(server: str, signing_key: SigningKey, mode: str):
    token = mint(signing_key, app_claims(roles=["calculator.add"]))

    async def session() -> tuple[list[str], object, MCPError]:
        async with mcp_client(f"{server}/mcp", token, mode) as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            me = await client.call_tool("get_me", {})
            with pytest.raises(MCPError) as refused:
                await client.call_tool("subtract", {"a": 1, "b": 1})
            return tools, me, refused.value

    tools, me, refusal = asyncio.run(session())

    assert tools == ["add", "get_me"]
    assert me.structured_content["kind"] == "app"
    assert me.structured_content["permissions"] == ["calculator.add"]
    # The client turns the HTTP 403 into an internal error; the wire answer is asserted below.
    assert (refusal.error.code, refusal.error.message) == (-32603, "Server returned an error response")


def test_403_on_the_wire_carries_the_missing_scope(server: str, signing_key: SigningKey):
    token = mint(signing_key, user_claims(scp="calculator.add"))
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "subtract", "arguments": {"a": 1, "b": 1}}}

    response = httpx.post(f"{server}/mcp", json=body, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", '
        'scope="api://6e0c7a0e-6a3b-4b21-8f43-0d2d9a1c7b55/calculator.subtract", '
        f'resource_metadata="{server}/.well-known/oauth-protected-resource/mcp"'
    )


def test_without_a_token_the_challenge_points_at_this_origin(server: str):
    response = httpx.post(f"{server}/mcp", json=list_tools(), headers=MCP_HEADERS)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{server}/.well-known/oauth-protected-resource/mcp", scope="{CHALLENGE_SCOPES}"'
    )


def test_a_stateless_get_is_405_not_an_open_stream(server: str, signing_key: SigningKey):
    token = mint(signing_key, user_claims())

    response = httpx.get(f"{server}/mcp", headers={"Accept": "text/event-stream", "Authorization": f"Bearer {token}"}, timeout=5)

    assert (response.status_code, response.headers["allow"]) == (405, "POST")


def test_the_python_sdk_asks_for_offline_access_once_and_keeps_it_on_step_up(server: str, signing_key: SigningKey):
    # The Python SDK adds offline_access itself when the issuer's metadata lists it (SEP-2207);
    # with the server's 401 already naming it, the request must not repeat it. On a 403 it asks
    # for the union of its earlier scope and the 403's (SEP-2350), so the 403 need not name it.
    entra = OAuthMetadata(
        issuer=ISSUER_V2,
        authorization_endpoint=f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize",
        token_endpoint=f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token",
        response_types_supported=["code"],
        scopes_supported=["openid", "profile", "email", "offline_access"],
    )
    unauthorized = httpx.post(f"{server}/mcp", json=list_tools(), headers=MCP_HEADERS)
    token = mint(signing_key, user_claims(scp="calculator.add"))
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "subtract", "arguments": {"a": 1, "b": 1}}}
    forbidden = httpx.post(f"{server}/mcp", json=call, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})

    requested = get_client_metadata_scopes(
        extract_scope_from_www_auth(unauthorized), None, entra, ["authorization_code", "refresh_token"]
    )
    stepped_up = union_scopes(requested, extract_scope_from_www_auth(forbidden))

    assert requested == CHALLENGE_SCOPES
    assert stepped_up == CHALLENGE_SCOPES
