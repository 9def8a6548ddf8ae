"""What our spans leave for the JSON export.

Each span we open (a provider call, an ``@observe`` function) fills a typed
record as it runs. When the span has ended, ``deliver`` hands the record to the
export buffer of the observer that owns the span's session (``session.id``,
stamped when the span started), with the span's identity and times as
``SpanFacts``. The JSON export is built from these records at flush time; the
span's attributes are for OpenTelemetry exporters only, so nothing is parsed
back from them.

Spans of other instrumentations (HTTP clients, databases) leave no record:
only their parent link, so that events below them hang from the nearest
exported ancestor (see ``processors.SessionSpanProcessor``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry.trace import Span

from . import attributes as A


@dataclass(slots=True)
class SpanFacts:
    """A finished span's identity and times, as the export needs them."""

    span_id: int
    trace_id: int
    parent_id: int | None
    parent_is_remote: bool
    start_ns: int
    end_ns: int
    session_id: str


class SpanRecord(Protocol):
    """What every record offers the export."""

    facts: SpanFacts | None
    error: str | None  # "ExcType: message"
    is_function: bool  # a function event (else a provider event)

    @property
    def callsite(self) -> tuple[str | None, int | None, str | None] | None: ...

    def event_fields(self) -> dict[str, Any]:
        """The event's own fields: provider and api, then request / response
        (provider calls) or name, args, result... (functions)."""
        ...


class RecordSink(Protocol):
    def add(self, record: SpanRecord) -> None: ...

    def bridge(self, span_id: int, parent_id: int, remote_trace_id: int | None = None) -> None: ...

    def recent(self) -> list[SpanRecord]: ...


class SessionDirectory:
    """Session id -> the buffer that collects that session's records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[str, RecordSink] = {}
        # Our spans that ended with no known session, counted once an observer
        # exists (a flush reports them).
        self.outside_session = 0
        self.counting = False

    def register(self, session_id: str, sink: RecordSink) -> None:
        with self._lock:
            self._owners[session_id] = sink
            self.counting = True

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._owners.pop(session_id, None)

    def sink_for(self, session_id: Any) -> RecordSink | None:
        return self._owners.get(session_id) if isinstance(session_id, str) else None

    def find(self, span_id: int) -> tuple[SpanRecord | None, list[SpanRecord]]:
        """A buffered record by span id (newest first), and the records of its
        children: what an evaluation naming a span by id looks up. Only spans
        not yet flushed are found."""
        with self._lock:
            sinks = list({id(s): s for s in self._owners.values()}.values())
        found: SpanRecord | None = None
        children: list[SpanRecord] = []
        for sink in sinks:
            for record in reversed(sink.recent()):
                facts = record.facts
                if facts is None:
                    continue
                if facts.span_id == span_id and found is None:
                    found = record
                elif facts.parent_id == span_id:
                    children.append(record)
        return found, children

    def take_outside_count(self) -> int:
        with self._lock:
            count, self.outside_session = self.outside_session, 0
        return count

    def after_fork(self) -> None:
        """In a forked child: the parent's sessions are not this process's."""
        self._lock = threading.Lock()
        self._owners = {}
        self.outside_session = 0


SESSIONS = SessionDirectory()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=SESSIONS.after_fork)


def deliver(span: Span, record: SpanRecord) -> None:
    """Give a finished span's record to the buffer of its session (if any).

    Call it after ``span.end()``. Spans that were not recorded (sampled out,
    or no SDK) carry no attributes and leave nothing.
    """
    attributes = getattr(span, "attributes", None)
    if attributes is None:
        return
    session_id = attributes.get(A.SESSION_ID)
    sink = SESSIONS.sink_for(session_id)
    if sink is None:
        if SESSIONS.counting:
            SESSIONS.outside_session += 1
        return
    context = span.get_span_context()
    parent = getattr(span, "parent", None)
    start = getattr(span, "start_time", None) or 0
    record.facts = SpanFacts(
        span_id=context.span_id,
        trace_id=context.trace_id,
        parent_id=parent.span_id if parent is not None else None,
        parent_is_remote=bool(parent is not None and parent.is_remote),
        start_ns=start,
        end_ns=getattr(span, "end_time", None) or start,
        session_id=session_id,
    )
    sink.add(record)
