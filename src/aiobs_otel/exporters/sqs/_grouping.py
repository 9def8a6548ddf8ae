"""Finished spans grouped into traces, and the rule for when a trace is sent.

- A trace is *complete* when one of its local root spans (no parent, or a
  parent in another process) has arrived and the grace period has passed
  since: children that end just after their root still travel with it.
- Spans of a trace that was already sent are collected for one grace period
  and sent as a *late* segment of the same trace.
- A trace whose root is still open after the open-trace timeout, or that
  must leave memory (too many buffered spans, force_flush, shutdown), is sent
  as a *partial* segment; what ends later follows as late segments.

Only the streamer's assembler thread touches this object.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from opentelemetry.sdk.trace import ReadableSpan

from ... import attributes as A
from ._trace import COMPLETE, LATE, PARTIAL, is_local_root

REMEMBERED_TRACES = 10_000  # recently sent trace ids (to recognise late spans)


@dataclass
class _Pending:
    first_seen: float
    late: bool
    known_name: str | None = None
    root_seen: float | None = None
    spans: list[ReadableSpan] = field(default_factory=list)


@dataclass(frozen=True)
class ReadyTrace:
    spans: list[ReadableSpan]
    segment: str
    known_name: str | None


class TraceBuffer:
    def __init__(self, *, grace: float, open_timeout: float, max_spans: int) -> None:
        self.grace = grace
        self.open_timeout = open_timeout
        self.max_spans = max_spans
        self._pending: OrderedDict[int, _Pending] = OrderedDict()  # oldest first
        self._due: deque[tuple[float, int]] = deque()  # (send after, trace id), in time order
        self._sent: OrderedDict[int, str] = OrderedDict()  # trace id -> name it was sent under
        self.span_count = 0

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, span: ReadableSpan, now: float) -> None:
        context = span.context
        if context is None:
            return
        trace_id = context.trace_id
        pending = self._pending.get(trace_id)
        if pending is None:
            name = self._sent.get(trace_id)
            pending = _Pending(first_seen=now, late=name is not None, known_name=name)
            self._pending[trace_id] = pending
            if pending.late:
                self._due.append((now + self.grace, trace_id))
        pending.spans.append(span)
        self.span_count += 1
        if not pending.late and pending.root_seen is None and is_local_root(span):
            pending.root_seen = now
            self._due.append((now + self.grace, trace_id))

    def take_ready(self, now: float) -> Iterator[ReadyTrace]:
        """Traces due now: past their grace, open too long, or over the span budget."""
        while self._due and self._due[0][0] <= now:
            _, trace_id = self._due.popleft()
            if trace_id in self._pending:
                yield self._take(trace_id)
        while self._pending:
            trace_id, oldest = next(iter(self._pending.items()))
            if now - oldest.first_seen < self.open_timeout and self.span_count <= self.max_spans:
                break
            yield self._take(trace_id)

    def next_due(self) -> float | None:
        """When the next trace becomes due (monotonic seconds), if any is buffered."""
        due = self._due[0][0] if self._due else None
        if self._pending:
            oldest = next(iter(self._pending.values())).first_seen + self.open_timeout
            due = oldest if due is None else min(due, oldest)
        return due

    def take_all(self) -> Iterator[ReadyTrace]:
        """Everything buffered (force_flush, shutdown)."""
        self._due.clear()
        while self._pending:
            yield self._take(next(iter(self._pending)))

    def _take(self, trace_id: int) -> ReadyTrace:
        pending = self._pending.pop(trace_id)
        self.span_count -= len(pending.spans)
        segment = LATE if pending.late else COMPLETE if pending.root_seen is not None else PARTIAL
        name = pending.known_name or _root_name(pending.spans)
        self._sent[trace_id] = name
        self._sent.move_to_end(trace_id)
        while len(self._sent) > REMEMBERED_TRACES:
            self._sent.popitem(last=False)
        return ReadyTrace(pending.spans, segment, pending.known_name)


def _root_name(spans: list[ReadableSpan]) -> str:
    for span in spans:
        name = (span.attributes or {}).get(A.AIOBS_TRACE_NAME)
        if isinstance(name, str) and name:
            return name
    roots = [s for s in spans if is_local_root(s)]
    return (roots[0] if roots else min(spans, key=lambda s: s.start_time or 0)).name
