"""Telemetry off costs nothing: the entry imports nothing of the OpenTelemetry SDK or the Azure Monitor distro.

Each check imports function_app in a fresh interpreter, as tests/functions/test_entry_imports.py
does for the front, and lists what it loaded. The OpenTelemetry *API* is loaded either way: the
MCP SDK imports it for its own spans, which are no-ops until an SDK is configured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import REPO, JwksServer, SigningKey, entra_env, mint, user_claims

PROBE = """
import json, sys
import function_app
roots = ("opentelemetry.sdk", "opentelemetry.exporter", "azure.monitor", "opentelemetry.instrumentation", "telemetry.setup", "telemetry.record")
loaded = sorted({name for name in sys.modules for root in roots if name == root or name.startswith(root + ".")})
print(json.dumps({"loaded": [n for n in loaded if n.count(".") <= 2], "api": "opentelemetry.trace" in sys.modules,
                  "telemetry": function_app.telemetry is not None}))
"""
_TELEMETRY_SETTINGS = ("APPLICATIONINSIGHTS_CONNECTION_STRING", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                       "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "MCP_TELEMETRY_CONSOLE", "OTEL_SDK_DISABLED")


def _probe(jwks_server: JwksServer, **extra: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in _TELEMETRY_SETTINGS}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO, env={**env, **entra_env(jwks_server.url), "PYTHONPATH": REPO, **extra},
        capture_output=True, text=True, timeout=120, check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_with_telemetry_off_nothing_of_the_sdk_or_the_distro_is_imported(jwks_server: JwksServer):
    assert _probe(jwks_server) == {"loaded": [], "api": True, "telemetry": False}


def test_otel_sdk_disabled_wins_over_an_exporter(jwks_server: JwksServer):
    outcome = _probe(jwks_server, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318", OTEL_SDK_DISABLED="true")

    assert outcome == {"loaded": [], "api": True, "telemetry": False}


def test_the_console_loads_the_sdk_but_not_the_distro_or_an_exporter(jwks_server: JwksServer):
    outcome = _probe(jwks_server, MCP_TELEMETRY_CONSOLE="on")

    assert outcome["telemetry"] is True
    assert "opentelemetry.sdk.trace" in outcome["loaded"] and "telemetry.setup" in outcome["loaded"]
    assert [n for n in outcome["loaded"] if n.startswith(("azure.monitor", "opentelemetry.exporter"))] == []


def test_otlp_loads_the_http_exporter_and_not_the_distro(jwks_server: JwksServer):
    # Port 9 (discard) on loopback: nothing is sent before the first export interval anyway.
    outcome = _probe(jwks_server, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")

    assert outcome["telemetry"] is True
    assert "opentelemetry.exporter.otlp" in outcome["loaded"]
    assert [n for n in outcome["loaded"] if n.startswith("azure.monitor")] == []


WORKER_PROBE = """
import json, sys, asyncio
# What the Functions worker does in OpenTelemetry mode (PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY):
# configure a tracer provider before it loads function_app, then make each invocation's span current.
from opentelemetry import trace, context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
import function_app
import azure.functions as func
from tests.support import MCP_HEADERS, PUBLIC_HOST, InvocationContext, call_tool
request = func.HttpRequest(method="POST", url=f"https://{PUBLIC_HOST}/mcp", params={},
    headers={"Host": PUBLIC_HOST, **MCP_HEADERS, "Authorization": "Bearer " + sys.argv[1],
             "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    body=json.dumps(call_tool("add", {"a": 2, "b": 3})).encode())
(function,) = function_app.app.get_functions()
async def invoke():
    with trace.get_tracer("functions-worker").start_as_current_span("invocation") as invocation:
        response = await function.get_user_function()(request, InvocationContext())
    return response.status_code, invocation.get_span_context().span_id
status, invocation_id = asyncio.run(invoke())
spans = {span.name: span for span in exporter.get_finished_spans()}
edge = spans["POST /mcp"]
print(json.dumps({"status": status, "same_provider": trace.get_tracer_provider() is provider,
                  "distro": "azure.monitor.opentelemetry" in sys.modules, "names": sorted(spans),
                  "edge_parent_is_invocation": edge.parent.span_id == invocation_id,
                  "sdk_parent_is_edge": spans["tools/call add"].parent.span_id == edge.context.span_id}))
"""


def test_under_the_functions_worker_s_provider_the_invocation_span_is_the_edge_span_parent(jwks_server: JwksServer, signing_key: SigningKey):
    env = {k: v for k, v in os.environ.items() if k not in _TELEMETRY_SETTINGS}
    connection = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/"
    done = subprocess.run(
        [sys.executable, "-c", WORKER_PROBE, mint(signing_key, user_claims())],
        cwd=REPO, env={**env, **entra_env(jwks_server.url), "PYTHONPATH": REPO, "APPLICATIONINSIGHTS_CONNECTION_STRING": connection},
        capture_output=True, text=True, timeout=120, check=True,
    )

    assert json.loads(done.stdout.splitlines()[-1]) == {
        "status": 200,
        "same_provider": True,
        "distro": False,  # the worker configured it; the app configures nothing more (here: no distro at all)
        "names": ["POST /mcp", "invocation", "tools/call add"],
        "edge_parent_is_invocation": True,  # not the traceparent header's
        "sdk_parent_is_edge": True,
    }
