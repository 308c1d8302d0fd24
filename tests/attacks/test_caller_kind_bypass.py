"""A refused caller kind cannot be dodged: not by a body read two ways, nor by a path around the edge.

The server refuses autonomous agents `subtract` (MCP_REFUSED_CALLERS=autonomous_agent:subtract) and the
agent's token grants every permission, so only the caller-kind refusal stands between it and a result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import azure.functions as func
import pytest
from mcp.server.mcpserver.exceptions import ToolError

from auth import JwksCache, Principal, Settings, current_principal
from auth.refusals import CallerRefusals
from edge import build_asgi_app
from mcp_tools import build_server
from tests.attacks.test_permission_bypass import BODIES
from tests.support import MCP_HEADERS, FunctionHost, JwksServer, SigningKey, app_claims, body_json, entra_env, mint

PARENT = "30cf4c22-9985-4ef7-8756-91cc888176bd"
AGENT = {"xms_act_fct": "11", "xms_sub_fct": "11", "xms_par_app_azp": PARENT}
REFUSED = {"error": "caller_kind_refused", "error_description": "This server does not accept autonomous_agent callers for the tool subtract"}


@pytest.fixture(scope="module")
def refusing_host(jwks_server: JwksServer) -> Iterator[FunctionHost]:
    settings = Settings.from_env(entra_env(jwks_server.url, MCP_REFUSED_CALLERS="autonomous_agent:subtract"))
    app = build_asgi_app(settings, JwksCache(settings.jwks_uri))
    host = FunctionHost(func.AsgiFunctionApp(app=app, http_auth_level=func.AuthLevel.ANONYMOUS))
    yield host
    host.close()


@pytest.mark.parametrize("body, status", BODIES)
def test_subtract_never_runs_for_a_refused_kind(refusing_host: FunctionHost, signing_key: SigningKey, body: bytes, status: int):
    token = mint(signing_key, app_claims(**AGENT))

    response = refusing_host.request("POST", "/mcp", headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}, body=body)

    assert response.status_code == status
    answer = body_json(response)
    if status == 403:
        assert answer == REFUSED
        assert "WWW-Authenticate" not in response.headers  # no step-up offered
    elif status == 400:
        assert answer["error"]["code"] == -32700
    else:
        assert answer["result"]["content"][0]["text"].startswith("Unknown tool: ")
    assert "structuredContent" not in answer.get("result", {})


@pytest.mark.parametrize("path", ["/mcp", "/mcp/"])
@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25", "2026-07-28"])
def test_every_path_and_revision_gets_the_same_refusal(
    refusing_host: FunctionHost, signing_key: SigningKey, path: str, version: str
):
    token = mint(signing_key, app_claims(**AGENT))
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "subtract", "arguments": {"a": 1, "b": 2}}}

    response = refusing_host.request(
        "POST", path, headers={**MCP_HEADERS, "MCP-Protocol-Version": version, "Authorization": f"Bearer {token}"}, body=message
    )

    assert (response.status_code, body_json(response)) == (403, REFUSED)


def test_behind_the_edge_the_server_refuses_and_hides_the_tool_too():
    # Defence in depth: a path that reached the SDK without the edge's check still gets no result.
    server = build_server(refusals=CallerRefusals(per_tool=frozenset({("autonomous_agent", "subtract")})))
    agent = Principal.from_claims(app_claims(**AGENT), None)

    async def as_agent() -> tuple[list[str], ToolError]:
        reset = current_principal.set(agent)
        try:
            listed = [tool.name for tool in await server.list_tools()]
            with pytest.raises(ToolError) as refused:
                await server.call_tool("subtract", {"a": 1, "b": 2})
            return listed, refused.value
        finally:
            current_principal.reset(reset)

    listed, refusal = asyncio.run(as_agent())

    assert listed == ["add", "get_me"]
    assert str(refusal) == "This server does not accept this kind of caller for subtract"
