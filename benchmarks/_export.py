"""ObservabilityExport conversion: throughput (spans/s) and memory for a large
buffer, through the same steps ``observer.flush(path)`` takes (drain ->
convert_spans -> assemble -> write_json_atomic).

The spans are made by the real instrumentors and ``@observe`` (a small
pipeline: a function that calls chat, embeddings and Gemini under a parent
function); to reach 100,000 without 50,000 SDK round trips, those traces are
then cloned with fresh trace and span ids, and every long string (prompts,
answers) copied, so the clones cost the memory real spans would.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from _arms import Switch
from _telemetry import Pipeline
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext


@dataclass
class ExportResult:
    spans: int
    provider_spans: int
    function_spans: int
    convert_s: float  # convert_spans + assemble
    write_s: float
    file_bytes: int
    buffer_bytes: int  # what the buffered spans hold (tracemalloc)
    flush_peak_bytes: int  # extra peak during the flush (tracemalloc)

    @property
    def convert_rate(self) -> float:
        return self.spans / self.convert_s

    @property
    def flush_rate(self) -> float:
        return self.spans / (self.convert_s + self.write_s)


def real_spans(pipeline: Pipeline, calls: dict[str, Callable[[], Any]],
               switches: list[Switch], groups: int) -> list[ReadableSpan]:  # fmt: skip
    """``groups`` traces of a two-level @observe pipeline around provider calls."""
    from aiobs_otel import observe

    @observe
    def answer(question: str, step: int) -> str:
        for call in calls.values():
            call()
        return f"answer {step} to {question!r}"

    @observe(name="pipeline")
    def run(question: str) -> list[str]:
        return [answer(question, step) for step in range(2)]

    for switch in switches:
        switch.enable()
    try:
        pipeline.clear()
        for index in range(groups):
            run(f"What is an API? (variant {index})")
        spans: list[ReadableSpan] = pipeline.buffer.drain().spans
    finally:
        for switch in switches:
            switch.disable()
    return spans


def _fresh(value: Any) -> Any:
    # A new string object, so a clone does not share its content with the original.
    return (value + "\0")[:-1] if isinstance(value, str) and len(value) > 32 else value


def _clone(span: ReadableSpan, trace_id: int, ids: dict[int, int], rng: random.Random,
           shift_ns: int) -> ReadableSpan:  # fmt: skip
    def new_id(old: int) -> int:
        if old not in ids:
            ids[old] = rng.getrandbits(64)
        return ids[old]

    context = span.context
    parent = span.parent
    assert context is not None
    return ReadableSpan(
        name=span.name,
        context=SpanContext(trace_id, new_id(context.span_id), False, context.trace_flags),
        parent=SpanContext(trace_id, new_id(parent.span_id), False, parent.trace_flags)
        if parent is not None
        else None,
        resource=span.resource,
        attributes={k: _fresh(v) for k, v in (span.attributes or {}).items()},
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=(span.start_time or 0) + shift_ns,
        end_time=(span.end_time or 0) + shift_ns,
        instrumentation_scope=span.instrumentation_scope,
    )


def clone_to(templates: list[ReadableSpan], total: int) -> list[ReadableSpan]:
    """``total`` spans: copies of whole template traces with fresh ids."""
    traces: dict[int, list[ReadableSpan]] = {}
    for span in templates:
        assert span.context is not None
        traces.setdefault(span.context.trace_id, []).append(span)
    rng = random.Random(7)
    out: list[ReadableSpan] = []
    copy = 0
    while len(out) < total:
        copy += 1
        for group in traces.values():
            trace_id = rng.getrandbits(128)
            ids: dict[int, int] = {}
            out.extend(_clone(span, trace_id, ids, rng, copy * 1000) for span in group)
            if len(out) >= total:
                break
    return out[:total]


def _flush_steps(
    pipeline: Pipeline, spans: list[ReadableSpan], path: str
) -> tuple[float, float, int]:
    """The flush's steps on ``spans``; returns (convert+assemble s, write s, bytes)."""
    from aiobs_otel.exporters._convert import assemble, convert_spans
    from aiobs_otel.exporters._files import write_json_atomic
    from aiobs_otel.exporters.json_exporter import SpanBatch

    pipeline.buffer.clear()
    pipeline.buffer.restore(SpanBatch(list(spans), {}))
    sessions = [{"id": "benchmark", "name": "benchmark", "started_at": 0.0, "ended_at": None,
                 "meta": {"pid": os.getpid(), "cwd": os.getcwd()}, "labels": None}]  # fmt: skip
    start = time.perf_counter()
    batch = pipeline.buffer.drain()
    conversion = convert_spans(batch.spans, batch.bridges)
    document = assemble(conversion, sessions, include_trace_tree=True)
    converted = time.perf_counter()
    written = write_json_atomic(path, document)
    done = time.perf_counter()
    if len(document["events"]) + len(document["function_events"]) != len(spans):
        raise AssertionError("the export lost spans")
    return converted - start, done - converted, written


def measure(pipeline: Pipeline, templates: list[ReadableSpan], total: int,
            repeats: int) -> ExportResult:  # fmt: skip
    from aiobs_otel import attributes as A

    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    spans = clone_to(templates, total)
    buffer_bytes = tracemalloc.get_traced_memory()[0] - baseline
    functions = sum(
        1 for s in spans
        if s.instrumentation_scope and s.instrumentation_scope.name == A.SCOPE_FUNCTIONS
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="aiobs-bench-") as tmp:
        path = os.path.join(tmp, "export.json")
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        _flush_steps(pipeline, spans, path)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        timings = [_flush_steps(pipeline, spans, path) for _ in range(repeats)]
    timings.sort(key=lambda t: t[0] + t[1])
    convert_s, write_s, size = timings[len(timings) // 2]
    return ExportResult(
        spans=len(spans),
        provider_spans=len(spans) - functions,
        function_spans=functions,
        convert_s=convert_s,
        write_s=write_s,
        file_bytes=size,
        buffer_bytes=buffer_bytes,
        flush_peak_bytes=peak,
    )
