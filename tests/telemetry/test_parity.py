"""The fast path keeps the SDK's spans: the same names, kinds, parents and attributes as the SDK's own app.

Parity-style: one list of requests is sent to the telemetry-on app on the fast path and on
the SDK's app (the fast path removed); the spans each produced must be the same, apart from
ids and times.
"""

from __future__ import annotations

from typing import Any

from tests.support import JwksServer, SigningKey, call_tool, list_tools, mint, user_claims
from tests.telemetry.conftest import function_host, telemetry_edge
from tests.telemetry.rig import recording

REQUESTS: list[tuple[dict[str, Any], dict[str, str]]] = [
    (list_tools(1), {}),
    (call_tool("add", {"a": 2, "b": 3}, 2), {}),
    (call_tool("subtract", {"a": 2, "b": "x"}, 3), {}),
    (call_tool("no_such_tool", {}, 4), {}),
    (call_tool("get_me", {}, 5), {}),
    ({"jsonrpc": "2.0", "id": 6, "method": "ping"}, {}),
    ({"jsonrpc": "2.0", "id": 7, "method": "no/such/method"}, {}),
    ({"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": 3}}, {}),
    (list_tools(9), {"MCP-Protocol-Version": "2025-11-25"}),
    ({"jsonrpc": "2.0", "id": 10, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {},
      "clientInfo": {"name": "parity", "version": "1"}}}, {}),
]


def _shape(spans: list[Any]) -> list[tuple[Any, ...]]:
    by_id = {span.context.span_id: span.name for span in spans}
    return [
        (span.instrumentation_scope.name, span.name, span.kind, by_id.get(span.parent.span_id) if span.parent else None,
         tuple(sorted((k, v) for k, v in (span.attributes or {}).items() if k != "mcp.correlation_id")),
         span.status.status_code, span.status.description)
        for span in spans
    ]


def test_the_fast_path_records_the_same_spans_as_the_sdks_app(jwks_server: JwksServer, signing_key: SigningKey):
    token = mint(signing_key, user_claims())
    shapes = {}
    for fast in (True, False):
        host = function_host(telemetry_edge(jwks_server.url, fast=fast))
        try:
            with recording() as rec:
                statuses = [host.mcp(token, message, **headers).status_code for message, headers in REQUESTS]
                shapes[fast] = (statuses, _shape(rec.spans()), rec.points())
        finally:
            host.close()

    assert shapes[True] == shapes[False]
    statuses, spans, _ = shapes[True]
    assert len(spans) == 2 * len(REQUESTS)  # the edge's and the SDK's, for each
    assert [name for scope, name, *_ in spans if scope == "mcp-python-sdk"] == [
        "tools/list", "tools/call add", "tools/call subtract", "tools/call no_such_tool", "tools/call get_me",
        "ping", "no/such/method", "tools/call", "tools/list", "initialize",
    ]
