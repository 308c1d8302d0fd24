"""The OpenTelemetry SDK with in-memory exporters, installed once for the test process.

The global tracer and meter providers can be set once per process (the API ignores a second
set), and the MCP SDK's own tracer resolves through the global one. So one provider pair is
installed the first time a telemetry test runs, and each test takes what was recorded since it
started: spans from an InMemorySpanExporter, metric points from an InMemoryMetricReader read with
delta temporality. Outside a `Recording`, nothing is kept. Everything recorded is also rendered
as text into TELEMETRY_RECORD, which the log audit (tests/logs) reads with the log lines.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["TELEMETRY_RECORD", "Recording", "recording"]

TELEMETRY_RECORD: list[str] = []
"""Every span (name, attributes, events) and metric point (name, attributes) the suite recorded, as text."""


class _Switch(SpanProcessor):
    """Forwards finished spans only while a test records."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner
        self.on = False
        self.ended = threading.Condition()

    def on_end(self, span: ReadableSpan) -> None:
        if self.on:
            self.inner.on_end(span)
            with self.ended:
                self.ended.notify_all()


_lock = threading.Lock()
_exporter = InMemorySpanExporter()
_switch = _Switch(SimpleSpanProcessor(_exporter))
_reader = InMemoryMetricReader(preferred_temporality={Counter: AggregationTemporality.DELTA, Histogram: AggregationTemporality.DELTA})
_installed = False


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(_switch)
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[_reader]))
        _installed = trace.get_tracer_provider() is tracer_provider
        if not _installed:
            raise RuntimeError("another tracer provider was set first in this process")


@dataclass(frozen=True)
class Point:
    name: str
    attributes: dict[str, Any]
    value: float  # a counter's sum, a histogram's count


class Recording:
    """What one test recorded."""

    def __init__(self) -> None:
        self._spans: list[ReadableSpan] | None = None
        self._points: list[Point] | None = None

    def wait_for_spans(self, name: str, count: int, timeout: float = 30.0) -> None:
        """Until `count` spans named `name` have ended: a server on another thread ends its span after the
        client has its answer (the edge's `finally`), so a test that talks over a socket waits for that."""

        def ended() -> int:
            return sum(span.name == name for span in _exporter.get_finished_spans())

        with _switch.ended:
            if not _switch.ended.wait_for(lambda: ended() >= count, timeout):
                raise AssertionError(f"{ended()} spans named {name!r} ended, not {count}")

    def spans(self) -> list[ReadableSpan]:
        if self._spans is None:
            self._spans = list(_exporter.get_finished_spans())
        return self._spans

    def points(self) -> list[Point]:
        if self._points is None:
            self._points = _read_points()
        return self._points

    def metric(self, name: str) -> dict[tuple[tuple[str, Any], ...], float]:
        """A metric's points, keyed by their sorted attributes."""
        return {tuple(sorted(p.attributes.items())): p.value for p in self.points() if p.name == name}

    def finish(self) -> None:
        spans, points = self.spans(), self.points()
        for span in spans:
            TELEMETRY_RECORD.append(f"span {span.name} {dict(span.attributes or {})} {[(e.name, dict(e.attributes or {})) for e in span.events]} {span.status.description}")
        for point in points:
            TELEMETRY_RECORD.append(f"metric {point.name} {point.attributes}")


def _read_points() -> list[Point]:
    data = _reader.get_metrics_data()
    points: list[Point] = []
    if data is None:
        return points
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    value = point.count if isinstance(point, HistogramDataPoint) else point.value
                    if value:
                        points.append(Point(metric.name, dict(point.attributes or {}), value))
    return points


@contextmanager
def recording() -> Iterator[Recording]:
    """Record spans and metric points from here to the end of the block (one test at a time)."""
    _install()
    _exporter.clear()
    _read_points()  # drop what accumulated since the last read (delta temporality)
    _switch.on = True
    record = Recording()
    try:
        yield record
    finally:
        record.spans()
        record.points()
        _switch.on = False
        _exporter.clear()
        record.finish()
