"""The span processor of the HTTP package, attached once to the SDK provider.

At span start it protects HTTP spans of instrumentations that run without our hooks (the
  user instrumented ``requests`` before us, another distro loaded it, or
  FastAPI traces requests itself):
  their URL and header attributes are redacted and a failure records a
  redacted message (``_spans.protect_span``). Spans that got our hooks are
  protected by the hooks themselves; doing it twice is harmless.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind

from .. import attributes as A
from ..trace_context import TraceScope, checked_metadata, current_scope, tags_list, with_scope
from ._guard import report_error
from ._spans import HTTP_MARKERS, protect_span

RequestAttributes = Mapping[str, Any]
# The keywords of the trace context (see ``aiobs_otel.tracing``) an ``on_request``
# hook may return besides attribute names.
_TRACE_KEYWORDS = frozenset({"user_id", "session_id", "tags", "metadata"})
_CONTRIB_PREFIX = "opentelemetry.instrumentation."
# FastAPI (0.16x and later) traces requests itself when no contrib
# instrumentation is in its middleware stack, under its own scope name.
_NATIVE_SCOPES = frozenset({"fastapi"})


def request_scope(attributes: RequestAttributes) -> TraceScope:
    """The trace context of one request, from what ``on_request`` returned: the
    trace context's keywords (``user_id``, ``session_id``, ``tags``, ``metadata``,
    as in ``aiobs_otel.tracing.trace``) and attribute names
    (``{"enduser.role": "admin"}``); they join a trace context already open."""
    outer = current_scope()
    keywords = {k: v for k, v in attributes.items() if k in _TRACE_KEYWORDS}
    named = {k: v for k, v in attributes.items() if k not in _TRACE_KEYWORDS}
    try:
        tags = tags_list(keywords.get("tags"))
        metadata = checked_metadata(keywords.get("metadata"))
    except ValueError:  # a hook's bad value costs telemetry, never the request
        report_error("the on_request hook's tags or metadata")
        tags, metadata = [], {}
    user_id, session_id = keywords.get("user_id"), keywords.get("session_id")
    built = TraceScope.build(
        outer.name if outer is not None else "request",
        user_id=str(user_id) if user_id else (outer.user_id if outer else None),
        conversation_id=str(session_id)
        if session_id
        else (outer.conversation_id if outer else None),
        tags=tags or list(outer.tags if outer else ()),
        metadata={**(outer.metadata if outer else {}), **metadata},
    )
    stamped = {**built.span_attributes, **named}
    if outer is None:
        stamped.pop(A.AIOBS_TRACE_NAME, None)  # a request is not a named trace
    return dataclasses.replace(built, span_attributes=MappingProxyType(stamped))


@contextmanager
def request_attributes(attributes: RequestAttributes) -> Iterator[TraceScope]:
    """Spans started inside (in this context, its tasks and copied contexts)
    carry the request's trace context (see ``request_scope``)."""
    scope = request_scope(attributes)
    token = otel_context.attach(with_scope(scope))
    try:
        yield scope
    finally:
        otel_context.detach(token)


class HttpSpanProcessor(SpanProcessor):
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            if span.kind in (SpanKind.CLIENT, SpanKind.SERVER) and _is_contrib_http(span):
                protect_span(span)
        except Exception:
            report_error("the HTTP span processor")

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _is_contrib_http(span: Span) -> bool:
    scope = span.instrumentation_scope
    if scope is None or not (
        scope.name.startswith(_CONTRIB_PREFIX) or scope.name in _NATIVE_SCOPES
    ):
        return False
    attributes = span.attributes or {}
    return any(marker in attributes for marker in HTTP_MARKERS)


_attached: weakref.WeakSet[TracerProvider] = weakref.WeakSet()
_lock = threading.Lock()


def attach_processor(provider: object | None = None) -> bool:
    """Add the processor to ``provider`` (default: the global one) once; False
    when that is not an SDK provider yet (called again later, it attaches then)."""
    target = provider if provider is not None else trace.get_tracer_provider()
    if not isinstance(target, TracerProvider):
        return False
    if target in _attached:
        return True
    with _lock:
        if target not in _attached:
            target.add_span_processor(HttpSpanProcessor())
            _attached.add(target)
    return True
