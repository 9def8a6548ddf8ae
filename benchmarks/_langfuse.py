"""What sending to Langfuse costs a span on the application's thread.

Usage::

    .venv/bin/python benchmarks/_langfuse.py      # a few seconds

One row, ``langfuse/span``: a span started and ended inside a trace context
(user, conversation, tags, metadata) on a provider with our session-less
pipeline (the trace-context processor and a no-op exporter), against the same
provider plus the Langfuse processor (``langfuse.*`` attributes on start, a
``BatchSpanProcessor`` hand-off on end; its exporter drops the batch, so no
network time is counted: that happens on the batch thread, off the call).

``measure()`` gives ``benchmarks/run.py`` the row (``_features.outgoing_rows``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import Paired, Plan, paired
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from aiobs_otel.langfuse._processor import LangfuseSpanProcessor
from aiobs_otel.trace_context import ContextSpanProcessor, TraceScope, with_scope


class _Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _provider(langfuse: bool) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(ContextSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(_Drop()))
    if langfuse:
        processor = LangfuseSpanProcessor()
        processor.point_at(BatchSpanProcessor(_Drop()), "http://127.0.0.1:9/api/public/otel")
        provider.add_span_processor(processor)
    return provider


def measure(plan: Plan) -> Paired:
    """A span in a trace context, with the Langfuse processor against without."""
    scope = TraceScope.build("bench", user_id="u1", conversation_id="c1", tags=["a", "b"],
                             metadata={"version": "1", "environment": "bench"})  # fmt: skip
    base_tracer = _provider(False).get_tracer("bench")
    inst_tracer = _provider(True).get_tracer("bench")
    token = otel_context.attach(with_scope(scope))
    try:
        return paired(plan, base=lambda: base_tracer.start_span("work").end(),
                      inst=lambda: inst_tracer.start_span("work").end())  # fmt: skip
    finally:
        otel_context.detach(token)


def workload(plan: Plan) -> dict[str, dict[str, float]]:
    result = measure(plan)
    return {"langfuse/span": {
        "ratio": round(result.cpu.ratio, 4),
        "added_cpu_us": round(result.cpu.added_us, 2),
        "base_cpu_us": round(result.cpu.base_us, 2),
        "added_wall_us": round(result.wall.added_us, 2),
    }}  # fmt: skip


def main() -> None:
    trace.get_tracer_provider()  # nothing global is needed: the providers are explicit
    for name, data in workload(Plan(20, 500, 2)).items():
        print(f"{name:22} {json.dumps(data)}")


if __name__ == "__main__":
    main()
