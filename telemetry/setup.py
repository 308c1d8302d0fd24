"""Configure the OpenTelemetry SDK and its exporter: imported only when telemetry is on.

How this fits the Functions host (Microsoft Learn, "Use OpenTelemetry with Azure Functions",
Python, https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto): with host.json's
`telemetryMode` set to `OpenTelemetry` and the app setting
PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true, the Python worker calls the Azure Monitor
distro's `configure_azure_monitor()` itself, before it loads function_app.py, and puts each
invocation's trace context in the OpenTelemetry context. This module then finds an SDK tracer
provider already set and configures nothing: its spans join the worker's pipeline, and the edge
span becomes the child of the invocation. Without that setting (the host's classic mode, or
uvicorn), this module configures the distro itself for traces and metrics only: logs already
reach Application Insights through the host, and a second log exporter would send each twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

from .record import Telemetry
from .settings import TelemetrySettings

__all__ = ["configure"]

log = logging.getLogger("telemetry")

SERVICE_NAME = "mcp-calculator"
# How often metrics leave the process; the SDK's default is 60 s (OTEL_METRIC_EXPORT_INTERVAL
# overrides it, read by the SDK itself).
_CONSOLE_METRIC_INTERVAL_MS = 10_000


def configure(settings: TelemetrySettings, tools: Iterable[str] = ()) -> Telemetry:
    """Set the global tracer and meter providers for `settings.exporter` and return the app's Telemetry.

    A process that configured OpenTelemetry before the app was imported keeps its providers: the
    Functions worker in OpenTelemetry mode (PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY), or a
    program that embeds the app (bench/telemetry_app.py). Only the console printer is added then.
    """
    span_processors: list[SpanProcessor] = []
    metric_readers: list[MetricReader] = []
    if settings.console:
        from .console import console_metric_exporter, console_span_exporter

        span_processors.append(SimpleSpanProcessor(console_span_exporter()))
        metric_readers.append(
            PeriodicExportingMetricReader(console_metric_exporter(), export_interval_millis=_CONSOLE_METRIC_INTERVAL_MS)
        )
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        for processor in span_processors:
            current.add_span_processor(processor)
        log.info("telemetry on: the process's own OpenTelemetry providers (console=%s)", settings.console)
    elif settings.exporter == "azure_monitor":
        from azure.monitor.opentelemetry import configure_azure_monitor

        # The distro reads APPLICATIONINSIGHTS_CONNECTION_STRING itself, and names the service (the
        # cloud role) after the function app on Azure; OTEL_SERVICE_NAME overrides it.
        configure_azure_monitor(disable_logging=True, span_processors=span_processors, metric_readers=metric_readers)
    elif settings.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        _providers([BatchSpanProcessor(OTLPSpanExporter()), *span_processors], [PeriodicExportingMetricReader(OTLPMetricExporter()), *metric_readers])
    else:
        _providers(span_processors, metric_readers)
    log.info("telemetry on exporter=%s console=%s user_id=%s", settings.exporter, settings.console, settings.record_user_id)
    return Telemetry(tools, record_user_id=settings.record_user_id)


def _providers(span_processors: Sequence[SpanProcessor], metric_readers: Sequence[MetricReader]) -> None:
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read by the SDK, still win over this default.
    resource = Resource.create({"service.name": SERVICE_NAME}).merge(Resource.create())
    tracer_provider = TracerProvider(resource=resource)
    for processor in span_processors:
        tracer_provider.add_span_processor(processor)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=list(metric_readers)))
