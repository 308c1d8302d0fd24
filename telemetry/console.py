"""Spans and metrics as short lines on the console, for `python devserver.py --telemetry`.

A developer sees what production records: each span's name, kind, duration, place in its
trace and attributes; each metric point with its attributes. Nothing else is printed.
"""

from __future__ import annotations

import sys
from typing import Any

from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, HistogramDataPoint, MetricsData, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

__all__ = ["console_metric_exporter", "console_span_exporter", "format_metrics", "format_span"]


def format_span(span: ReadableSpan) -> str:
    context = span.get_span_context()
    duration_ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    parent = f"{span.parent.span_id:016x}" if span.parent is not None else "-"
    trace_id = f"{context.trace_id:032x}" if context is not None else "-"
    span_id = f"{context.span_id:016x}" if context is not None else "-"
    status = "" if span.status.is_unset else f" status={span.status.status_code.name}"
    head = f"span  {span.name!r} {span.kind.name} {duration_ms:.2f}ms trace={trace_id} id={span_id} parent={parent}{status}"
    return head + "".join(f"\n        {key}={value!r}" for key, value in sorted((span.attributes or {}).items())) + "\n"


def format_metrics(data: MetricsData) -> str:
    lines: list[str] = []
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    lines.append(f"metric {metric.name} {_value(point)} {_attributes(point.attributes)}")
    return "".join(line + "\n" for line in lines)


def _value(point: Any) -> str:
    if isinstance(point, HistogramDataPoint):
        mean = point.sum / point.count if point.count else 0.0
        return f"count={point.count} mean={mean * 1000:.2f}ms max={point.max * 1000:.2f}ms"
    if isinstance(point, NumberDataPoint):
        return f"value={point.value}"
    return repr(point)


def _attributes(attributes: Any) -> str:
    return " ".join(f"{key}={value}" for key, value in sorted((attributes or {}).items()))


def console_span_exporter() -> ConsoleSpanExporter:
    return ConsoleSpanExporter(out=sys.stdout, formatter=format_span)


def console_metric_exporter() -> ConsoleMetricExporter:
    return ConsoleMetricExporter(out=sys.stdout, formatter=format_metrics)
