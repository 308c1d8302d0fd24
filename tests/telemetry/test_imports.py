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

from tests.support import REPO, JwksServer, entra_env

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
