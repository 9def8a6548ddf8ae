"""Shared by the evaluation tests: the recent-spans processor on the test
provider (once per process, as the pipeline will add it), and span helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from aiobs_otel.evaluations import recent_spans

_added: set[int] = set()


def remember_spans(provider: TracerProvider) -> None:
    if id(provider) not in _added:
        provider.add_span_processor(recent_spans)
        _added.add(id(provider))


def evaluation_spans(spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [s for s in spans if (s.attributes or {}).get("aiobs.span.kind") == "evaluation"]


def event_of(span: ReadableSpan) -> dict[str, Any]:
    [event] = [e for e in span.events if e.name == "gen_ai.evaluation.result"]
    return dict(event.attributes or {})


def children_of(span: ReadableSpan, spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id]


@contextmanager
def instrumented(*names: str) -> Iterator[None]:
    """Our instrumentors, by entry-point name (``aiobs_openai_chat``), on for the block."""
    started = []
    for point in entry_points(group="opentelemetry_instrumentor"):
        if point.name in names:
            instrumentor = point.load()()
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument()
                started.append(instrumentor)
    try:
        yield
    finally:
        for instrumentor in started:
            instrumentor.uninstrument()
