"""Spans and metrics of single requests: exact names, kinds, parents and attributes, on both paths."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from tests.support import (
    GATEWAY_CLIENT_ID,
    MCP_HEADERS,
    TENANT_ID,
    FunctionHost,
    SigningKey,
    app_claims,
    call_tool,
    mint,
    user_claims,
)
from tests.telemetry.rig import Recording

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
META_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
META_PARENT_ID = "b7ad6b7169203331"


def by_name(spans: list[ReadableSpan]) -> dict[str, ReadableSpan]:
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), [span.name for span in spans]
    return named


def edge_attributes(correlation_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "http.request.method": "POST",
        "url.scheme": "https",
        "http.route": "/mcp",
        "mcp.correlation_id": correlation_id,
        **extra,
    }


def test_a_successful_add_is_one_edge_span_with_the_sdk_span_as_its_child(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    response = path_host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 2, "b": 3}, request_id=7))

    assert response.status_code == 200
    assert json.loads(response.get_body())["result"]["structuredContent"] == {"result": 5}
    spans = by_name(rec.spans())
    assert sorted(spans) == ["POST /mcp", "tools/call add"]
    edge, sdk = spans["POST /mcp"], spans["tools/call add"]
    assert (edge.kind, edge.parent, edge.instrumentation_scope.name) == (SpanKind.SERVER, None, "mcp-calculator")
    assert dict(edge.attributes) == edge_attributes(
        response.headers["x-correlation-id"],
        **{
            "mcp.auth.outcome": "allowed",
            "mcp.auth.caller.kind": "user",
            "mcp.auth.tenant.id": TENANT_ID,
            "mcp.auth.client.id": GATEWAY_CLIENT_ID,
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": "add",
            "http.response.status_code": 200,
        },
    )
    assert edge.status.status_code is StatusCode.UNSET
    assert (sdk.kind, sdk.instrumentation_scope.name) == (SpanKind.SERVER, "mcp-python-sdk")
    assert (sdk.parent.span_id, sdk.context.trace_id) == (edge.context.span_id, edge.context.trace_id)
    assert dict(sdk.attributes) == {
        "mcp.method.name": "tools/call",
        "mcp.protocol.version": "2025-06-18",
        "jsonrpc.request.id": "7",
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "add",
    }
    assert rec.metric("mcp.server.operation.duration") == {
        (("gen_ai.tool.name", "add"), ("mcp.method.name", "tools/call"), ("mcp.request.outcome", "ok")): 1
    }
    assert rec.metric("mcp.auth.refusals") == {}


def test_a_401_records_its_reason_and_no_mcp_span(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    expired = mint(signing_key, user_claims(iat=1, nbf=1, exp=2))

    response = path_host.mcp(expired, call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 401
    (edge,) = rec.spans()
    assert (edge.name, edge.kind, edge.parent) == ("POST /mcp", SpanKind.SERVER, None)
    assert dict(edge.attributes) == edge_attributes(
        response.headers["x-correlation-id"],
        **{"mcp.auth.outcome": "refused", "mcp.auth.reason": "expired", "http.response.status_code": 401},
    )
    assert rec.metric("mcp.auth.refusals") == {(("http.response.status_code", 401), ("mcp.auth.reason", "expired")): 1}
    assert rec.metric("mcp.server.operation.duration") == {(("mcp.request.outcome", "refused"),): 1}


def test_a_403_step_up_keeps_the_caller_and_names_the_tool(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    add_only = mint(signing_key, user_claims(scp="calculator.add"))

    response = path_host.mcp(add_only, call_tool("subtract", {"a": 5, "b": 1}))

    assert response.status_code == 403
    (edge,) = rec.spans()
    assert dict(edge.attributes) == edge_attributes(
        response.headers["x-correlation-id"],
        **{
            "mcp.auth.outcome": "refused",
            "mcp.auth.reason": "insufficient_scope",
            "mcp.auth.caller.kind": "user",
            "mcp.auth.tenant.id": TENANT_ID,
            "mcp.auth.client.id": GATEWAY_CLIENT_ID,
            "mcp.method.name": "tools/call",
            "gen_ai.tool.name": "subtract",
            "http.response.status_code": 403,
        },
    )
    assert rec.metric("mcp.auth.refusals") == {(("http.response.status_code", 403), ("mcp.auth.reason", "insufficient_scope")): 1}
    assert rec.metric("mcp.server.operation.duration") == {
        (("gen_ai.tool.name", "subtract"), ("mcp.method.name", "tools/call"), ("mcp.request.outcome", "refused")): 1
    }


def test_a_tool_error_and_an_unknown_tool_are_outcomes_not_names(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    token = mint(signing_key, user_claims())

    bad_arguments = path_host.mcp(token, call_tool("add", {"a": "two", "b": 3}))
    unknown = path_host.mcp(token, call_tool("x" * 40, {}))

    assert (bad_arguments.status_code, unknown.status_code) == (200, 200)
    assert json.loads(bad_arguments.get_body())["result"]["isError"] is True
    edges = [span for span in rec.spans() if span.name == "POST /mcp"]
    assert [span.attributes["gen_ai.tool.name"] for span in edges] == ["add", "_OTHER"]
    sdk_names = sorted(span.name for span in rec.spans() if span.instrumentation_scope.name == "mcp-python-sdk")
    assert sdk_names == sorted(["tools/call add", "tools/call " + "x" * 40])  # the SDK's own span, as it names it
    assert rec.metric("mcp.server.operation.duration") == {
        (("error.type", "tool_error"), ("gen_ai.tool.name", "add"), ("mcp.method.name", "tools/call"), ("mcp.request.outcome", "tool_error")): 1,
        (("error.type", "tool_error"), ("gen_ai.tool.name", "_OTHER"), ("mcp.method.name", "tools/call"), ("mcp.request.outcome", "tool_error")): 1,
    }


def test_the_traceparent_header_is_the_edge_span_parent(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    response = path_host.mcp(
        mint(signing_key, user_claims()), call_tool("add", {"a": 1, "b": 1}), traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01"
    )

    assert response.status_code == 200
    spans = by_name(rec.spans())
    edge, sdk = spans["POST /mcp"], spans["tools/call add"]
    assert (f"{edge.context.trace_id:032x}", f"{edge.parent.span_id:016x}", edge.parent.is_remote) == (TRACE_ID, PARENT_ID, True)
    assert (sdk.context.trace_id, sdk.parent.span_id) == (edge.context.trace_id, edge.context.span_id)


def test_a_traceparent_in_meta_is_the_mcp_span_parent(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    message = call_tool("add", {"a": 1, "b": 1})
    message["params"]["_meta"] = {"traceparent": f"00-{META_TRACE_ID}-{META_PARENT_ID}-01"}

    response = path_host.mcp(mint(signing_key, user_claims()), message, traceparent=f"00-{TRACE_ID}-{PARENT_ID}-01")

    assert response.status_code == 200
    spans = by_name(rec.spans())
    edge, sdk = spans["POST /mcp"], spans["tools/call add"]
    assert f"{edge.context.trace_id:032x}" == TRACE_ID  # the HTTP request's trace
    assert (f"{sdk.context.trace_id:032x}", f"{sdk.parent.span_id:016x}") == (META_TRACE_ID, META_PARENT_ID)


def test_a_malformed_traceparent_starts_a_new_trace(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    response = path_host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 1, "b": 1}), traceparent="00-zz-" + "0" * 200)

    assert response.status_code == 200
    edge = by_name(rec.spans())["POST /mcp"]
    assert edge.parent is None and f"{edge.context.trace_id:032x}" != TRACE_ID


def test_other_routes_get_a_span_and_unknown_paths_no_route(path_host: FunctionHost, rec: Recording):
    metadata = path_host.request("GET", "/.well-known/oauth-protected-resource")
    missing = path_host.request("GET", "/nope/" + "a" * 50, headers=MCP_HEADERS)

    assert (metadata.status_code, missing.status_code) == (200, 404)
    assert [(s.name, s.attributes.get("http.route"), s.attributes["http.response.status_code"]) for s in rec.spans()] == [
        ("GET /.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource", 200),
        ("GET", None, 404),
    ]
    assert rec.metric("mcp.server.operation.duration") == {}


def test_an_autonomous_agent_is_recorded_with_its_kind_and_parent_application(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    parent = "00000000-0000-4000-9000-000000000003"
    agent = mint(signing_key, app_claims(azp="00000000-0000-4000-8000-000000000003", xms_act_fct="11", xms_sub_fct="11", xms_par_app_azp=parent))

    response = path_host.mcp(agent, call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 200
    edge = by_name(rec.spans())["POST /mcp"]
    assert {k: v for k, v in edge.attributes.items() if k.startswith("mcp.auth.")} == {
        "mcp.auth.outcome": "allowed",
        "mcp.auth.caller.kind": "autonomous_agent",
        "mcp.auth.tenant.id": TENANT_ID,
        "mcp.auth.client.id": "00000000-0000-4000-8000-000000000003",
        "mcp.auth.client.parent_id": parent,
    }
