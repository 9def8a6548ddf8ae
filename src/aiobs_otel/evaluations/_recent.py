"""Recently started spans, so an evaluation can name the span it evaluates by id.

By default the export buffer answers (every span of a session not yet
flushed: its trace id, and its or a child's response id), at no cost per span.
Adding ``recent_spans`` to a provider as a span processor also remembers spans
outside sessions, for about 1 µs per span.

``record_evaluation(evaluated_span_id=...)`` needs that span's context (its
trace id) to hang the evaluation span below it. A span processor remembers the
context of the last ``capacity`` spans started in this process (oldest
forgotten first: bounded memory, about 200 bytes a span), and the response id
of those that ended with one. A span that ends with ``gen_ai.response.id`` also
lends it to its parent when the parent has none, so a ``generation`` span that
wraps a provider call knows the response it produced.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanContext, TraceFlags

from .. import attributes as A
from ..records import SESSIONS

DEFAULT_CAPACITY = 4096


class RecentSpans(SpanProcessor):
    """Span contexts (and response ids) of recently started spans, by span id."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._contexts: OrderedDict[int, SpanContext] = OrderedDict()
        self._response_ids: dict[int, str] = {}
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.get_span_context()
        with self._lock:
            self._contexts[context.span_id] = context
            if len(self._contexts) > self._capacity:
                oldest, _ = self._contexts.popitem(last=False)
                self._response_ids.pop(oldest, None)

    def on_end(self, span: ReadableSpan) -> None:
        response_id = (span.attributes or {}).get(A.GEN_AI_RESPONSE_ID)
        context = span.context
        if not isinstance(response_id, str) or context is None:
            return
        parent = span.parent
        with self._lock:
            if context.span_id in self._contexts:
                self._response_ids[context.span_id] = response_id
            if parent is not None and parent.span_id in self._contexts:
                self._response_ids.setdefault(parent.span_id, response_id)

    def find(self, span_id: int) -> SpanContext | None:
        """The span's context: remembered by this processor when it is attached
        to the provider, else from the export buffer (spans not yet flushed)."""
        with self._lock:
            known = self._contexts.get(span_id)
        if known is not None:
            return known
        record, _ = SESSIONS.find(span_id)
        if record is None or record.facts is None:
            return None
        return SpanContext(record.facts.trace_id, span_id, is_remote=False,
                           trace_flags=TraceFlags(TraceFlags.SAMPLED))  # fmt: skip

    def response_id(self, span_id: int) -> str | None:
        """The span's response id, or the one a child of it ended with."""
        with self._lock:
            known = self._response_ids.get(span_id)
        if known is not None:
            return known
        record, children = SESSIONS.find(span_id)
        for candidate in ([record] if record is not None else []) + children:
            value = getattr(candidate, "response_id", None)
            if isinstance(value, str) and value:
                return value
        return None

    def shutdown(self) -> None:
        with self._lock:
            self._contexts.clear()
            self._response_ids.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


recent_spans = RecentSpans()
"""The one instance: add it to the tracer provider once (``add_span_processor``)."""


def parse_span_id(value: str) -> int | None:
    """A 16-hex span id (``0x`` prefix allowed) as an int; ``None`` otherwise
    (llmops let any string name a span)."""
    text = value.lower().removeprefix("0x")
    if len(text) != 16:
        return None
    try:
        number = int(text, 16)
    except ValueError:
        return None
    return number or None
