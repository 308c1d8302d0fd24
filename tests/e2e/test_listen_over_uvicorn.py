"""subscriptions/listen and a failing 2026-07-28 answer over `uvicorn function_app:asgi_app`: a JSON-RPC
answer at once, never uvicorn's 500, and no traceback in the server's log."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.parity.cases import HUGE
from tests.support import JwksServer, SigningKey, UvicornServer, entra_env, mint, user_claims, uvicorn_server

META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
}


@pytest.fixture(scope="module")
def server(jwks_server: JwksServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UvicornServer]:
    with uvicorn_server(entra_env(jwks_server.url), str(tmp_path_factory.mktemp("uvicorn-listen"))) as running:
        yield running


def _post(server: UvicornServer, token: str, method: str, params: dict[str, object], name: str | None = None) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 3, "method": method, "params": {**params, "_meta": META}}
    return httpx.post(
        f"{server.url}/mcp",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28",
                 "Mcp-Method": method, **({"Mcp-Name": name} if name else {})},
        timeout=10,
    )


def test_listen_and_a_failing_answer_are_json_rpc_errors(server: UvicornServer, signing_key: SigningKey):
    token = mint(signing_key, user_claims())

    listen = _post(server, token, "subscriptions/listen", {"notifications": {"toolsListChanged": True}})
    huge = _post(server, token, "tools/call", {"name": "add", "arguments": {"a": HUGE, "b": HUGE}}, name="add")

    assert listen.status_code == 404
    assert listen.content == (
        b'{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found","data":"subscriptions/listen"}}'
    )
    assert listen.headers["x-correlation-id"]
    assert huge.status_code == 200
    assert huge.content == b'{"jsonrpc":"2.0","id":3,"error":{"code":-32603,"message":"Internal server error"}}'
    correlation_id = huge.headers["x-correlation-id"]
    with open(server.output) as log:
        lines = log.read().splitlines()
    assert f"ERROR edge.fastpath answer failed method=tools/call error=ValueError correlation_id={correlation_id}" in lines
    assert not any("Traceback" in line for line in lines)
