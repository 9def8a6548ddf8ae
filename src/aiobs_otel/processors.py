"""The span processor every provider we attach to gets: sessions on spans.

On each span start it writes ``session.id`` (and, on local root spans, the
session labels as ``aiobs.label.*``), and remembers the parent link of spans
of other instrumentations so that the JSON export can hang our events below
the nearest exported ancestor.

A local child span belongs to its parent's session, whatever session is
active when it starts: a worker thread's call stays in the session its
``@observe`` parent started in, even after the main thread opened another.
"""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from . import attributes as A
from .records import SESSIONS
from .sessions import SpanStamp

StampSource = Callable[[], "SpanStamp | None"]


class SessionSpanProcessor(SpanProcessor):
    """Stamps sessions on spans (see the module doc); ``current_stamp`` gives
    the active session's stamp, or None between sessions."""

    def __init__(self, current_stamp: StampSource) -> None:
        self.current_stamp = current_stamp

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        attributes = span.attributes
        session_id: object
        if attributes and A.SESSION_ID in attributes:
            session_id = attributes[A.SESSION_ID]  # opened for a session already (a Veo poll)
        else:
            session_id = self._stamp(span, parent_context)
        if session_id is None:
            return
        scope = span.instrumentation_scope
        parent = span.parent
        # Every span that may leave no record (other instrumentations', and ours
        # that are not events) has its parent link kept; a remote parent too, so
        # an event below this service's server span names the caller's span.
        if parent is not None and (scope is None or scope.name not in A.RECORDED_SCOPES):
            sink = SESSIONS.sink_for(session_id)
            if sink is not None:
                context = span.get_span_context()
                remote = context.trace_id if parent.is_remote else None
                sink.bridge(context.span_id, parent.span_id, remote)

    def _stamp(self, span: Span, parent_context: Context | None) -> object:
        parent = span.parent
        if parent is not None and parent.is_valid and not parent.is_remote:
            parent_span = trace.get_current_span(parent_context)
            parent_attributes = getattr(parent_span, "attributes", None)
            inherited = parent_attributes.get(A.SESSION_ID) if parent_attributes else None
            if inherited is not None:
                span.set_attribute(A.SESSION_ID, inherited)
                return inherited
            stamp = self.current_stamp()
            if stamp is None:
                return None
            span.set_attributes(stamp.on_every_span)
            return stamp.session_id
        stamp = self.current_stamp()
        if stamp is None:
            return None
        span.set_attributes(stamp.on_local_roots)
        return stamp.session_id

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
