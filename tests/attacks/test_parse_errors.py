"""Bodies the JSON parser refuses are a JSON-RPC parse error (400, -32700), never a 500 (issue 8 item 4).

Python's json refuses more than malformed text: an integer literal over the
4,300-digit conversion limit raises a bare ValueError, and deep nesting a
RecursionError. The answer is checked byte for byte against what the SDK's own
2026-07-28 path answers for the same body, with the caller holding a valid
token that may call nothing but get_me.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import mcp_tools
from sdk_app import stateless_app
from tests.log_capture import SuiteLog
from tests.support import MCP_HEADERS, FunctionHost, SigningKey, app_claims, mint

# The SDK's modern path (mcp/server/_streamable_http_modern.py) writes exactly this, `id` last.
PARSE_ERROR = b'{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
MODERN = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "get_me"}
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}


def get_me_with_argument(literal: str) -> bytes:
    """A get_me call whose one argument is written as `literal`, verbatim."""
    head = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_me", "arguments": {"x": 0}, "_meta": META}}
    return json.dumps(head).replace('{"x": 0}', '{"x": ' + literal + "}").encode()


REFUSED_BODIES = [
    pytest.param(get_me_with_argument("9" * 4301), id="int-over-4300-digits"),
    pytest.param(get_me_with_argument("-" + "1" * 5000), id="negative-int-over-4300-digits"),
    pytest.param(get_me_with_argument("[" * 100_000), id="deep-nesting"),
    pytest.param(get_me_with_argument('"\xff"').replace(b"\xc3\xbf", b"\xff"), id="invalid-utf-8"),
    pytest.param(b'{"jsonrpc": "2.0", "id": 1,', id="truncated"),
]


@pytest.fixture(scope="module")
def get_me_only_token(signing_key: SigningKey) -> str:
    return mint(signing_key, app_claims(roles=[]))


@pytest.fixture(scope="module")
def sdk() -> Iterator[TestClient]:
    """The SDK's own stateless JSON app, with nothing of ours in front, to compare answers with."""
    app = stateless_app(mcp_tools.build_server()).app  # built as production builds it
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.mark.parametrize("body", REFUSED_BODIES)
@pytest.mark.parametrize("revision", [MODERN, {"MCP-Protocol-Version": "2025-06-18"}], ids=["2026-07-28", "2025-06-18"])
def test_a_body_the_parser_refuses_is_400_parse_error_exactly(
    host: FunctionHost, get_me_only_token: str, suite_log: SuiteLog, body: bytes, revision: dict[str, str]
):
    lines_before = len(suite_log.lines)
    headers = {**MCP_HEADERS, **revision, "Authorization": f"Bearer {get_me_only_token}"}

    response = host.request("POST", "/mcp", headers=headers, body=body)

    assert response.status_code == 400
    assert response.get_body() == PARSE_ERROR
    assert response.headers.get("Content-Type") == "application/json"
    assert response.headers.get("WWW-Authenticate") is None
    logged = "\n".join(suite_log.lines[lines_before:])
    assert "Traceback" not in logged and "ValueError" not in logged and "Exceeds the limit" not in logged


@pytest.mark.parametrize("body", REFUSED_BODIES)
def test_the_answer_is_the_sdks_own_for_the_same_body(host: FunctionHost, get_me_only_token: str, sdk: TestClient, body: bytes):
    headers = {**MCP_HEADERS, **MODERN, "Authorization": f"Bearer {get_me_only_token}"}

    ours = host.request("POST", "/mcp", headers=headers, body=body)
    theirs = sdk.post("/mcp", content=body, headers=headers)

    assert (ours.status_code, ours.get_body()) == (theirs.status_code, theirs.content)
    assert ours.headers.get("Content-Type") == theirs.headers["content-type"]


def test_the_same_call_with_a_small_integer_is_answered(host: FunctionHost, get_me_only_token: str):
    headers = {**MCP_HEADERS, **MODERN, "Authorization": f"Bearer {get_me_only_token}"}

    response = host.request("POST", "/mcp", headers=headers, body=get_me_with_argument("9" * 4300))

    assert response.status_code == 200
    result: dict[str, Any] = json.loads(response.get_body())["result"]
    assert (result["structuredContent"]["kind"], result["structuredContent"]["permissions"]) == ("app", [])
