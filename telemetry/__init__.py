"""Telemetry: OpenTelemetry traces and metrics, configured only when asked for.

`telemetry.settings` (standard library only) reads the environment; with nothing asked for,
the app imports nothing else from here, and so nothing of the OpenTelemetry SDK or of the
Azure Monitor distro (tests/telemetry/test_imports.py). `telemetry.setup` configures the SDK
and its exporter; `telemetry.record` is what the edge, the front and the key cache call, through
the OpenTelemetry API only; `telemetry.names` holds every span, metric and attribute name
(docs/operations.md lists them).
"""
