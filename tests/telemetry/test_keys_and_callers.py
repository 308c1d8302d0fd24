"""A JWKS refresh's span and metric, and 64 requests of 8 callers in flight without cross-talk."""

from __future__ import annotations

import asyncio
import json

import azure.functions as func
from opentelemetry.trace import SpanKind, StatusCode

from tests.support import (
    MCP_HEADERS,
    PUBLIC_HOST,
    FunctionHost,
    InvocationContext,
    JwksServer,
    SigningKey,
    app_claims,
    call_tool,
    free_port,
    mint,
    user_claims,
)
from tests.telemetry.conftest import function_host, telemetry_edge
from tests.telemetry.rig import Recording


def test_a_key_miss_refreshes_the_jwks_inside_the_request_span(jwks_server: JwksServer, signing_key: SigningKey, rec: Recording):
    for fast in (True, False):
        edge = telemetry_edge(jwks_server.url, fast=fast)
        edge.verifier.keys.observer = edge.telemetry  # what function_app.py does with telemetry on
        host = function_host(edge)
        try:
            response = host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 2, "b": 3}))
        finally:
            host.close()
        assert response.status_code == 200

    spans = rec.spans()
    assert [span.name for span in spans] == ["jwks refresh", "tools/call add", "POST /mcp"] * 2
    for refresh, sdk, edge in (spans[0:3], spans[3:6]):
        assert (refresh.kind, refresh.parent.span_id, sdk.parent.span_id) == (SpanKind.INTERNAL, edge.context.span_id, edge.context.span_id)
        assert dict(refresh.attributes) == {"mcp.auth.jwks.trigger": "request", "mcp.auth.jwks.outcome": "ok", "mcp.auth.jwks.keys": 1}
    assert rec.metric("mcp.auth.jwks.refreshes") == {(("mcp.auth.jwks.outcome", "ok"), ("mcp.auth.jwks.trigger", "request")): 2}


def test_a_failed_refresh_is_an_error_span_with_its_reason_and_a_503(signing_key: SigningKey, rec: Recording):
    edge = telemetry_edge(f"http://127.0.0.1:{free_port()}/keys")  # nothing listens there
    edge.verifier.keys.observer = edge.telemetry
    host = function_host(edge)
    try:
        response = host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 2, "b": 3}))
    finally:
        host.close()

    assert response.status_code == 503
    refresh, edge_span = rec.spans()
    assert (refresh.name, refresh.status.status_code, refresh.parent.span_id) == ("jwks refresh", StatusCode.ERROR, edge_span.context.span_id)
    assert dict(refresh.attributes) == {
        "mcp.auth.jwks.trigger": "request",
        "mcp.auth.jwks.outcome": "jwks_unreachable",
        "mcp.auth.jwks.keys": 0,
        "error.type": "jwks_unreachable",
    }
    assert edge_span.attributes["mcp.auth.reason"] == "keys_unavailable"
    assert edge_span.status.status_code is StatusCode.ERROR  # a 5xx is the server's error
    assert rec.metric("mcp.auth.jwks.refreshes") == {(("mcp.auth.jwks.outcome", "jwks_unreachable"), ("mcp.auth.jwks.trigger", "request")): 1}
    assert rec.metric("mcp.server.operation.duration") == {(("error.type", "503"), ("mcp.request.outcome", "error")): 1}


def test_user_id_is_recorded_only_when_turned_on(path_host: FunctionHost, signing_key: SigningKey, rec: Recording):
    response = path_host.mcp(mint(signing_key, user_claims()), call_tool("add", {"a": 2, "b": 3}))

    assert response.status_code == 200
    assert all("user.id" not in span.attributes for span in rec.spans())


def test_64_requests_of_8_callers_in_flight_each_span_carries_its_own_caller(jwks_server: JwksServer, signing_key: SigningKey, rec: Recording):
    # Four people through four clients, and four applications on their own behalf.
    callers = [("user" if n < 4 else "app", f"client-{n}", f"object-{n}") for n in range(8)]
    tokens = {
        caller: mint(signing_key, (user_claims if caller[0] == "user" else app_claims)(azp=caller[1], oid=caller[2]))
        for caller in callers
    }
    hosts = {fast: function_host(telemetry_edge(jwks_server.url, fast=fast, record_user_id=True)) for fast in (True, False)}
    sent: dict[str, tuple[str, str, str]] = {}

    async def one(host: FunctionHost, caller: tuple[str, str, str], n: int) -> func.HttpResponse:
        context = InvocationContext()
        sent[context.invocation_id] = caller
        request = func.HttpRequest(
            method="POST",
            url=f"https://{PUBLIC_HOST}/mcp",
            headers={"Host": PUBLIC_HOST, **MCP_HEADERS, "Authorization": f"Bearer {tokens[caller]}"},
            params={},
            body=json.dumps(call_tool("get_me", {}, request_id=n)).encode(),
        )
        return await host.function.get_user_function()(request, context)

    try:
        for fast, host in hosts.items():
            async def all_at_once(host: FunctionHost = host) -> list[func.HttpResponse]:
                return await asyncio.gather(*(one(host, callers[n % 8], n) for n in range(64)))

            responses = host.run(all_at_once())
            assert [r.status_code for r in responses] == [200] * 64, fast
    finally:
        for host in hosts.values():
            host.close()

    edges = {span.context.span_id: span for span in rec.spans() if span.name == "POST /mcp"}
    assert len(edges) == 128
    for span in edges.values():
        kind, client, object_id = sent[span.attributes["mcp.correlation_id"]]
        assert (span.attributes["mcp.auth.caller.kind"], span.attributes["mcp.auth.client.id"], span.attributes["user.id"]) == (
            kind,
            client,
            object_id,
        )
    sdk_spans = [span for span in rec.spans() if span.name == "tools/call get_me"]
    assert len(sdk_spans) == 128 and {span.parent.span_id for span in sdk_spans} == set(edges)
    for span in sdk_spans:  # each MCP span sits under the HTTP span of the caller who sent that request id
        edge = edges[span.parent.span_id]
        assert callers[int(span.attributes["jsonrpc.request.id"]) % 8] == sent[edge.attributes["mcp.correlation_id"]]
