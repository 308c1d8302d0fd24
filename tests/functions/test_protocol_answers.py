"""2026-07-28 answers through the real function object: subscriptions/listen, server/discover, and
any failure while answering (-32603 with the correlation id, one log line, no traceback)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.parity.cases import HUGE
from tests.support import FunctionHost, SigningKey, body_json, mint, user_claims

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
}
INTERNAL_ERROR = b'{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"Internal server error"}}'


def _modern(host: FunctionHost, token: str, method: str, params: dict[str, Any], *, name: str | None = None,
            accept: str = "application/json, text/event-stream") -> Any:
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method, "Accept": accept}
    if name is not None:
        headers["Mcp-Name"] = name
    message = {"jsonrpc": "2.0", "id": 7, "method": method, "params": {**params, "_meta": MODERN_META}}
    return host.mcp(token, message, **headers)


@pytest.fixture(scope="module")
def token(signing_key: SigningKey) -> str:
    return mint(signing_key, user_claims(scp="calculator.add calculator.subtract"))


def test_subscriptions_listen_is_answered_method_not_found_at_once(host: FunctionHost, token: str):
    # The server offers no listen stream (sdk_app.new_server): a Functions invocation cannot hold one open.
    response = _modern(host, token, "subscriptions/listen", {"notifications": {"toolsListChanged": True}})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert len(response.headers["x-correlation-id"]) > 0
    assert response.get_body() == (
        b'{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found","data":"subscriptions/listen"}}'
    )


def test_subscriptions_listen_without_an_event_stream_accept_is_406(host: FunctionHost, token: str):
    response = _modern(host, token, "subscriptions/listen", {"notifications": {}}, accept="application/json")

    assert (response.status_code, response.get_body()) == (406, b"")


def test_server_discover_advertises_no_list_changed(host: FunctionHost, token: str):
    response = _modern(host, token, "server/discover", {})

    assert response.status_code == 200
    capabilities = body_json(response)["result"]["capabilities"]
    assert capabilities["tools"] == {"listChanged": False}
    assert capabilities["resources"] == {"listChanged": False, "subscribe": False}


def test_an_answer_json_cannot_write_is_internal_error_with_one_line(
    host: FunctionHost, token: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)

    response = _modern(host, token, "tools/call", {"name": "add", "arguments": {"a": HUGE, "b": HUGE}}, name="add")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.get_body() == INTERNAL_ERROR
    correlation_id = response.headers["x-correlation-id"]
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in failures] == [
        f"answer failed method=tools/call error=ValueError correlation_id={correlation_id}"
    ]
    assert all(r.exc_info is None for r in caplog.records if r.levelno > logging.DEBUG)


def test_a_handler_that_raises_is_internal_error_with_one_line(
    host: FunctionHost, token: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)

    # MCPServer's prompts/get raises ValueError for a prompt it does not know.
    response = _modern(host, token, "prompts/get", {"name": "nope"}, name="nope")

    assert (response.status_code, response.get_body()) == (200, INTERNAL_ERROR)
    correlation_id = response.headers["x-correlation-id"]
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in failures] == [
        f"answer failed method=prompts/get error=ValueError correlation_id={correlation_id}"
    ]
    assert all(r.exc_info is None for r in caplog.records if r.levelno > logging.DEBUG)
    assert "Unknown prompt" not in response.get_body().decode()


def test_the_handshake_wire_writes_the_long_sum(host: FunctionHost, token: str):
    # pydantic's serializer, which the handshake wire uses, has no 4,300-digit limit.
    response = host.mcp(token, {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                "params": {"name": "add", "arguments": {"a": HUGE, "b": HUGE}}})

    assert response.status_code == 200
    assert b'"structuredContent":{"result":1' + b"9" * 4299 + b"8}" in response.get_body()


def test_a_handshake_handler_that_raises_is_one_info_line_without_traceback(
    host: FunctionHost, token: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)

    response = host.mcp(token, {"jsonrpc": "2.0", "id": 1, "method": "prompts/get", "params": {"name": "nope"}})

    # The SDK's handshake wire answers an unmapped exception as code 0 with its message (tests/parity).
    assert body_json(response) == {"jsonrpc": "2.0", "id": 1, "error": {"code": 0, "message": "Unknown prompt: nope"}}
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("edge")]
    assert lines == [("INFO", "handler for 'prompts/get' raised ValueError")]
    assert all(r.exc_info is None for r in caplog.records if r.levelno > logging.DEBUG)
