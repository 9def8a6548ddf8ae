"""The flush of a large buffer: throughput (spans/s, the file write included)
and memory, through the steps ``observer.flush(path)`` takes (drain -> index
-> the export streamed to the file through a temp file and a rename).

The records are made by the real instrumentors and ``@observe`` (a small
pipeline: a function that calls chat, embeddings and Gemini under a parent
function); to reach 100,000 without 50,000 SDK round trips, those traces are
then cloned with fresh trace and span ids, and every long string (prompts,
answers) copied, so the clones cost the memory real records would.
"""

from __future__ import annotations

import dataclasses
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

from aiobs_otel.records import SpanFacts, SpanRecord


@dataclass
class ExportResult:
    spans: int
    provider_spans: int
    function_spans: int
    flush_s: float  # index, convert, encode and write (fsync and rename included)
    file_bytes: int
    buffer_bytes: int  # what the buffered spans hold (tracemalloc)
    flush_peak_bytes: int  # extra peak during the flush (tracemalloc)

    @property
    def flush_rate(self) -> float:
        return self.spans / self.flush_s


def real_spans(pipeline: Pipeline, calls: dict[str, Callable[[], Any]],
               switches: list[Switch], groups: int) -> list[SpanRecord]:  # fmt: skip
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
        spans: list[SpanRecord] = pipeline.buffer.drain().records
    finally:
        for switch in switches:
            switch.disable()
    return spans


def drop_vectors(records: list[SpanRecord]) -> None:
    """What ``AIOBS_EXPORT_EMBEDDINGS=false`` records: no vectors kept for the export."""
    for record in records:
        export = getattr(record, "export", None)
        if export is not None and hasattr(export, "data") and hasattr(export, "usage"):
            export.data = None


def _fresh(value: Any) -> Any:
    """A deep copy whose long strings are new objects: a clone shares no content."""
    if isinstance(value, str):
        return (value + "\0")[:-1] if len(value) > 32 else value
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


_COPIED_FIELDS = ("args_json", "kwargs_json", "result_json", "input_messages",
                  "output_messages", "system_instructions")  # fmt: skip


def _clone(record: SpanRecord, trace_id: int, ids: dict[int, int], rng: random.Random,
           shift_ns: int) -> SpanRecord:  # fmt: skip
    def new_id(old: int) -> int:
        if old not in ids:
            ids[old] = rng.getrandbits(64)
        return ids[old]

    facts = record.facts
    assert facts is not None
    changes: dict[str, Any] = {
        "facts": SpanFacts(
            span_id=new_id(facts.span_id),
            trace_id=trace_id,
            parent_id=new_id(facts.parent_id) if facts.parent_id is not None else None,
            parent_is_remote=False,
            start_ns=facts.start_ns + shift_ns,
            end_ns=facts.end_ns + shift_ns,
            session_id=facts.session_id,
        )
    }
    for name in _COPIED_FIELDS:
        if hasattr(record, name):
            changes[name] = _fresh(getattr(record, name))
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]


def clone_to(templates: list[SpanRecord], total: int) -> list[SpanRecord]:
    """``total`` records: copies of whole template traces with fresh ids."""
    traces: dict[int, list[SpanRecord]] = {}
    for record in templates:
        assert record.facts is not None
        traces.setdefault(record.facts.trace_id, []).append(record)
    rng = random.Random(7)
    out: list[SpanRecord] = []
    copy = 0
    while len(out) < total:
        copy += 1
        for group in traces.values():
            trace_id = rng.getrandbits(128)
            ids: dict[int, int] = {}
            out.extend(_clone(record, trace_id, ids, rng, copy * 1000) for record in group)
            if len(out) >= total:
                break
    return out[:total]


def _flush_steps(pipeline: Pipeline, spans: list[SpanRecord], path: str) -> tuple[float, int]:
    """The flush's steps on ``spans``; returns (seconds, bytes written)."""
    from aiobs_otel.exporters.base import Payload
    from aiobs_otel.exporters.buffer import Batch
    from aiobs_otel.exporters.conversion import build_index
    from aiobs_otel.exporters.file import write_json_atomic
    from aiobs_otel.exporters.source import ExportSource

    pipeline.buffer.clear()
    pipeline.buffer.restore(Batch(list(spans), {}))
    sessions = [{"id": "benchmark", "name": "benchmark", "started_at": 0.0, "ended_at": None,
                 "meta": {"pid": os.getpid(), "cwd": os.getcwd()}, "labels": None}]  # fmt: skip
    start = time.perf_counter()
    batch = pipeline.buffer.drain()
    index = build_index(batch.records, batch.bridges, batch.remote_parents)
    payload = Payload(source=ExportSource(index, sessions, True, time.time()))
    written = write_json_atomic(path, payload)
    done = time.perf_counter()
    if payload.event_count != len(spans):
        raise AssertionError("the export lost spans")
    return done - start, written


def measure(pipeline: Pipeline, templates: list[SpanRecord], total: int,
            repeats: int) -> ExportResult:  # fmt: skip
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    spans = clone_to(templates, total)
    buffer_bytes = tracemalloc.get_traced_memory()[0] - baseline
    functions = sum(1 for record in spans if record.is_function)
    with tempfile.TemporaryDirectory(prefix="aiobs-bench-") as tmp:
        path = os.path.join(tmp, "export.json")
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        _flush_steps(pipeline, spans, path)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        timings = [_flush_steps(pipeline, spans, path) for _ in range(repeats)]
    timings.sort()
    flush_s, size = timings[len(timings) // 2]
    return ExportResult(
        spans=len(spans),
        provider_spans=len(spans) - functions,
        function_spans=functions,
        flush_s=flush_s,
        file_bytes=size,
        buffer_bytes=buffer_bytes,
        flush_peak_bytes=peak,
    )
