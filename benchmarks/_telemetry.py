"""The telemetry pipeline every instrumented arm runs against, as a real
application would have it: an SDK TracerProvider with a BatchSpanProcessor
(to a no-op exporter, standing in for OTLP), an aiobs-otel observer session
(session stamping + the ObservabilityExport buffer), and a MeterProvider with
an in-memory reader. Content capture is on for every instrumentation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Content capture on, for every instrumentation measured (set before they import):
# the contrib packages read SPAN_ONLY, aiobs-otel reads anything but "false" as on,
# OpenInference and OpenLLMetry capture by default.
os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "SPAN_ONLY"
os.environ.setdefault("TRACELOOP_TRACE_CONTENT", "true")
# The benchmark switches each instrumentation on and off itself: observe() must not.
os.environ["AIOBS_INSTRUMENT"] = "none"

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)


class NoopExporter(SpanExporter):
    """Accepts and discards: the cost of the batch processor, not of a network."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class SpanCounter(SpanProcessor):
    """Counts finished spans, to check that an instrumentation really traced a call."""

    def __init__(self) -> None:
        self.ended = 0
        self.attributes = 0  # of the last span: how much an instrumentation records
        self.last: ReadableSpan | None = None

    def on_end(self, span: ReadableSpan) -> None:
        self.ended += 1
        self.attributes = len(span.attributes or {})
        self.last = span


@dataclass
class Pipeline:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    reader: InMemoryMetricReader
    counter: SpanCounter
    observer: Any
    buffer: Any  # the observer's ExportBuffer

    def clear(self) -> None:
        """Empty the export buffer (untimed, between batches): every batch then
        measures buffering a span, never the buffer-full path."""
        if self.buffer is not None:
            self.buffer.clear()

    def shutdown(self) -> None:
        self.observer.flush(persist=False)  # the benchmark's spans are not an export
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def build_pipeline() -> Pipeline:
    from aiobs_otel import observer

    tracer_provider = TracerProvider(resource=Resource.create({"service.name": "aiobs-bench"}))
    counter = SpanCounter()
    tracer_provider.add_span_processor(counter)
    tracer_provider.add_span_processor(BatchSpanProcessor(NoopExporter()))
    # @observe uses the global tracer, as in an application.
    trace.set_tracer_provider(tracer_provider)
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    metrics.set_meter_provider(meter_provider)
    observer.observe(session_name="benchmark", labels={"suite": "benchmarks"})
    buffer = observer._buffer  # the export buffer the benchmark fills and empties
    return Pipeline(tracer_provider, meter_provider, reader, counter, observer, buffer)
