"""The one span processor Langfuse adds to a tracer provider.

On start it writes what Langfuse reads and our other attributes do not say
(see ``attributes``: ``langfuse.session.id``, ``langfuse.trace.name``,
``langfuse.environment``) on every span, as Langfuse's observation-centric
ingestion wants them; on end it hands the span to a ``BatchSpanProcessor`` in
front of the Langfuse exporter (none when ``OTEL_EXPORTER_OTLP_*`` already
sends to the same endpoint). ``point_at`` swaps that exporter when
``configure()`` names another project; the processor stays, so nothing is sent
twice.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from .. import attributes as A
from ..guard import report_internal_error
from ..trace_context import current_scope
from ._environment import process_environment, valid_environment

if TYPE_CHECKING:
    from ._settings import LangfuseSettings

logger = logging.getLogger("aiobs_otel")

_MAX_TRACES = 16_384  # traces open at once whose name we keep: bounded memory
_TRACE_KIND = "trace"


@dataclass
class _OpenTrace:
    """The outermost trace context of an OpenTelemetry trace, while its span is open."""

    span: Span
    name: str


class LangfuseSpanProcessor(SpanProcessor):
    def __init__(self) -> None:
        self.batch: BatchSpanProcessor | None = None
        self.endpoint: str | None = None
        self.settings: LangfuseSettings | None = None  # what point_at was last given for
        self._lock = threading.Lock()
        self._traces: dict[int, _OpenTrace] = {}
        self._resource_names_environment: bool | None = None

    # -- where spans go ------------------------------------------------------------
    def point_at(self, batch: BatchSpanProcessor | None, endpoint: str | None) -> None:
        """Send to ``batch`` from now on; the previous one drains in the background."""
        with self._lock:
            old, self.batch, self.endpoint = self.batch, batch, endpoint
        if old is not None:
            threading.Thread(target=old.shutdown, daemon=True, name="aiobs-langfuse-swap").start()

    def on_end(self, span: ReadableSpan) -> None:
        # The SDK calls processors unguarded, inside other instrumentations' spans too.
        try:
            self._forget_trace(span)
        except Exception:
            report_internal_error("the Langfuse span processor")
        batch = self.batch
        if batch is not None:
            batch.on_end(span)

    def _forget_trace(self, span: ReadableSpan) -> None:
        if span.context is not None:
            with self._lock:
                entry = self._traces.get(span.context.trace_id)
                if entry is not None and entry.span.get_span_context() == span.context:
                    del self._traces[span.context.trace_id]

    def shutdown(self) -> None:
        batch = self.batch
        if batch is not None:
            batch.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        batch = self.batch
        return batch.force_flush(timeout_millis) if batch is not None else True

    # -- what Langfuse reads ------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            self._stamp(span, parent_context)
        except Exception:
            report_internal_error("the Langfuse span processor")

    def _stamp(self, span: Span, parent_context: Context | None) -> None:
        own = span.attributes or {}
        scope = current_scope(parent_context)
        stamp: dict[str, Any] = {}
        conversation = (scope.conversation_id if scope else None) or own.get(
            A.GEN_AI_CONVERSATION_ID
        )
        if conversation:
            stamp[A.LANGFUSE_SESSION_ID] = conversation
        name = self._trace_name(span, own, opens_trace=scope is None)
        if name:
            stamp[A.LANGFUSE_TRACE_NAME] = name
        environment = self._environment(span, own, scope.metadata if scope else None)
        if environment:
            stamp[A.LANGFUSE_ENVIRONMENT] = environment
        if stamp:
            span.set_attributes(stamp)

    def update_trace(
        self, trace_id: int, span_id: int, *, name: str | None, session_id: str | None
    ) -> None:
        """A late name or session for the trace whose outermost trace span is
        ``span_id``: on that span, and the name on every span that starts later."""
        with self._lock:
            entry = self._traces.get(trace_id)
            if entry is None or entry.span.get_span_context().span_id != span_id:
                return
            if name:
                entry.name = name
        if name:
            entry.span.set_attribute(A.LANGFUSE_TRACE_NAME, name)
        if session_id:
            entry.span.set_attribute(A.LANGFUSE_SESSION_ID, session_id)

    def _trace_name(self, span: Span, own: Any, *, opens_trace: bool) -> str | None:
        context = span.get_span_context()
        with self._lock:
            entry = self._traces.get(context.trace_id)
            if entry is not None:
                return entry.name
            if not (opens_trace and own.get(A.AIOBS_SPAN_KIND) == _TRACE_KIND):
                return None
            name = own.get(A.AIOBS_TRACE_NAME)
            if not isinstance(name, str) or not name:
                return None
            if len(self._traces) >= _MAX_TRACES:
                self._traces.clear()
            self._traces[context.trace_id] = _OpenTrace(span, name)
            return name

    def _environment(self, span: Span, own: Any, metadata: Any) -> str | None:
        """The trace's ``environment`` (its argument, ``LLMOPS_ENV`` / ``ENV``, or
        the session label), else the process's, else llmops's ``development``
        unless the Resource names an environment."""
        found = metadata.get("environment") if metadata else None
        if found is None and own.get(A.AIOBS_SPAN_KIND) == _TRACE_KIND:
            found = _metadata_value(own.get(A.AIOBS_TRACE_METADATA), "environment")
        if found is not None:
            return valid_environment(found)
        found = process_environment()
        if found is not None:
            return valid_environment(found)
        if self._resource_names_environment is None:
            names = getattr(span.resource, "attributes", {}) or {}
            self._resource_names_environment = bool(
                names.get(A.DEPLOYMENT_ENVIRONMENT_NAME) or names.get(A.DEPLOYMENT_ENVIRONMENT)
            )
        return None if self._resource_names_environment else "development"


def _metadata_value(text: object, key: str) -> Any:
    """``key`` of the trace span's own metadata (JSON): it opens the scope its
    children see, so it is not in its own parent context."""
    if not isinstance(text, str):
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found.get(key) if isinstance(found, dict) else None
