"""function_app.py with telemetry on, every span and metric recorded and then dropped.

What telemetry costs to *record*, not to ship: the OpenTelemetry SDK is configured as
telemetry/setup.py configures it for an exporter (a BatchSpanProcessor, a periodic metric
reader), over exporters that discard. The Azure Monitor distro is imported, as a deployment
with APPLICATIONINSIGHTS_CONNECTION_STRING imports it, but not configured: configured, it would
send to Azure. Then function_app is imported with OTLP asked for, finds these providers already
set, and records through them (telemetry.setup.configure keeps a process's own providers).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import azure.monitor.opentelemetry  # noqa: F401  (the distro's import, paid by every App Insights deployment)
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

__all__ = ["app", "asgi_app"]


class _DropSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _DropMetrics(MetricExporter):
    def __init__(self) -> None:
        super().__init__(preferred_temporality={})

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


def _sampler() -> Any:
    """BENCH_TELEMETRY_SAMPLING=all records every span; =distro samples as the Azure Monitor distro
    does by default (its rate-limited sampler, 5 traces a second, azure-monitor-opentelemetry 1.8)."""
    if os.environ.get("BENCH_TELEMETRY_SAMPLING", "all") == "distro":
        from azure.monitor.opentelemetry.exporter import RateLimitedSampler

        return RateLimitedSampler(5.0)
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    return ALWAYS_ON


_tracer_provider = TracerProvider(sampler=_sampler())
_tracer_provider.add_span_processor(BatchSpanProcessor(_DropSpans()))
trace.set_tracer_provider(_tracer_provider)
metrics.set_meter_provider(MeterProvider(metric_readers=[PeriodicExportingMetricReader(_DropMetrics())]))

# Telemetry on, as an OTLP deployment asks for it; telemetry.setup keeps the providers above.
os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"

from function_app import app, asgi_app  # noqa: E402
