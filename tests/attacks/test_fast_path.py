"""The fast path answers plain requests itself: it must not open a way around the edge.

Whatever the wire and whatever routing headers claim, the per-tool 403 is decided on
the body the SDK dispatches, the tool sees the caller who sent the request, and a
request the fast path cannot answer exactly reaches the SDK rather than a guess.
"""

from __future__ import annotations

import json

import pytest
from mcp_types import CLIENT_CAPABILITIES_META_KEY, HEADER_MISMATCH, PROTOCOL_VERSION_META_KEY

from tests.support import MCP_HEADERS, PUBLIC_HOST, SCOPE_SUBTRACT, FunctionHost, SigningKey, body_json, mint, user_claims

PRM_URL = f"https://{PUBLIC_HOST}/.well-known/oauth-protected-resource/mcp"
FORBIDDEN = f'Bearer error="insufficient_scope", scope="{SCOPE_SUBTRACT}", resource_metadata="{PRM_URL}"'
MODERN = "2026-07-28"
ENVELOPE = {PROTOCOL_VERSION_META_KEY: MODERN, CLIENT_CAPABILITIES_META_KEY: {}}


def _modern_call(name: str, arguments: dict[str, object], claimed_name: str) -> tuple[dict[str, str], dict[str, object]]:
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": claimed_name}
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": name, "arguments": arguments, "_meta": ENVELOPE}}
    return headers, body


@pytest.mark.parametrize("claimed_name", ["subtract", "add"])
def test_subtract_without_its_permission_is_refused_on_the_2026_wire_whatever_mcp_name_says(
    host: FunctionHost, signing_key: SigningKey, claimed_name: str
):
    token = mint(signing_key, user_claims(scp="calculator.add"))
    headers, body = _modern_call("subtract", {"a": 5, "b": 2}, claimed_name)

    response = host.request("POST", "/mcp", headers={**headers, "Authorization": f"Bearer {token}"}, body=body)

    assert response.status_code == 403
    assert response.headers.get("WWW-Authenticate") == FORBIDDEN
    assert b"result" not in response.get_body()


def test_a_name_header_that_disagrees_with_the_body_is_the_sdks_400_not_a_call(host: FunctionHost, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    headers, body = _modern_call("subtract", {"a": 5, "b": 2}, "add")

    response = host.request("POST", "/mcp", headers={**headers, "Authorization": f"Bearer {token}"}, body=body)

    assert response.status_code == 400
    assert body_json(response) == {
        "jsonrpc": "2.0", "id": 7,
        "error": {"code": HEADER_MISMATCH, "message": "mcp-name header does not match the request body's 'name' parameter"},
    }


@pytest.mark.parametrize("wire", ["2025-06-18", "2025-11-25", MODERN])
def test_get_me_in_the_fast_path_names_the_caller_who_sent_it(host: FunctionHost, signing_key: SigningKey, wire: str):
    callers = {name: mint(signing_key, user_claims(oid=f"oid-{name}", preferred_username=f"{name}@contoso.example"))
               for name in ("ada", "grace")}
    for name, token in callers.items():
        if wire == MODERN:
            headers, body = _modern_call("get_me", {}, "get_me")
        else:
            headers = {**MCP_HEADERS, "MCP-Protocol-Version": wire}
            body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "get_me", "arguments": {}}}

        response = host.request("POST", "/mcp", headers={**headers, "Authorization": f"Bearer {token}"}, body=body)

        assert response.status_code == 200
        me = json.loads(response.get_body())["result"]["structuredContent"]
        assert (me["username"], me["object_id"]) == (f"{name}@contoso.example", f"oid-{name}")
