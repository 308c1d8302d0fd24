"""Azure Functions entry point: the MCP server, behind bearer-token auth, as one anonymous HTTP function.

`app` is what the Functions host loads; `asgi_app` is the same application as
plain ASGI, so `uvicorn function_app:asgi_app` serves exactly what Azure serves.
"""

from __future__ import annotations

import gc
import os
import sys

import azure.functions as func

from auth import ConfigError, JwksCache, Settings
from auth.startup import log_startup_notices
from telemetry.settings import TelemetrySettings

problems: list[str] = []
try:
    settings: Settings | None = Settings.from_env(os.environ)
except ConfigError as error:
    settings, problems = None, list(error.problems)
try:
    telemetry_settings: TelemetrySettings | None = TelemetrySettings.from_env(os.environ)
except ConfigError as error:
    telemetry_settings = None
    problems += error.problems
front_settings = None
if os.environ.get("OAUTH_FRONT", "").strip():
    # The OAuth front's package is imported only when it is asked for (cold start: docs/performance.md).
    from front.settings import front_problems

    front_settings, front_errors = front_problems(os.environ, settings)
    problems += front_errors
obo_settings = None
if os.environ.get("OBO_EXAMPLE", "").strip():
    # The on-behalf-of example (docs/downstream.md), imported only when it is asked for.
    from obo.settings import obo_problems

    obo_settings, obo_errors = obo_problems(os.environ, settings)
    problems += obo_errors
if problems or settings is None or telemetry_settings is None:
    raise SystemExit(str(ConfigError(problems)))  # one line naming every bad setting, no stack trace
log_startup_notices(settings)

# Module-level, so the keys survive warm invocations. Fetching starts now, on a
# background thread, and overlaps the MCP SDK's import below.
signing_keys = JwksCache(settings.jwks_uri)
signing_keys.refresh_in_background()

# sse_starlette, which the SDK imports, imports uvicorn (and click), a tenth of a second of a cold
# start, only to patch uvicorn's shutdown for EventSourceResponse streams. This app never sends one:
# JSON responses only, and the edge answers GET with 405. So when uvicorn is not already loaded
# (the Functions host), it is hidden for the SDK's import and unhidden at once: sse_starlette skips
# its patch ("Uvicorn not installed") and a later `import uvicorn` works as usual. Under
# `uvicorn function_app:asgi_app` uvicorn is loaded first, nothing is hidden, and nothing changes.
_hide_uvicorn = "uvicorn" not in sys.modules
if _hide_uvicorn:
    sys.modules["uvicorn"] = None  # type: ignore[assignment]  # import of uvicorn halted: ImportError
try:
    from app_factory import build_app  # noqa: E402  (after the prefetch on purpose)
finally:
    if _hide_uvicorn:
        del sys.modules["uvicorn"]

telemetry = None
if telemetry_settings.enabled:
    # The OpenTelemetry SDK and the exporter are imported only when telemetry is asked for
    # (APPLICATIONINSIGHTS_CONNECTION_STRING, OTEL_EXPORTER_OTLP_*, MCP_TELEMETRY_CONSOLE).
    from telemetry.setup import configure

    telemetry = configure(telemetry_settings)
    signing_keys.observer = telemetry
try:
    asgi_app = build_app(settings, signing_keys, front_settings, obo_settings=obo_settings, telemetry=telemetry)
except ConfigError as error:
    # What only the built server can judge: MCP_REFUSED_CALLERS naming a tool it does not have.
    raise SystemExit(str(error)) from None
# ANONYMOUS: no function keys; every request's bearer token is validated in code.
app = func.AsgiFunctionApp(app=asgi_app, http_auth_level=func.AuthLevel.ANONYMOUS)

# Everything imported and built so far lives as long as the process (~90,000 tracked objects,
# the SDK's schemas mostly). Moved out of the collector's sight, a full collection under load
# stops walking them: ~47 ms per gen-2 pass, every request in flight waiting, becomes ~5 ms
# (docs/performance.md). Python docs, gc.freeze(). A few hundred objects of import-time garbage
# stay allocated; collecting them first would cost every cold start a full pass.
gc.freeze()
