"""The span processor of the HTTP package, attached once to the SDK provider.

It does two things at span start:

- it gives every span started while an ASGI request is being handled the
  attributes the app's ``on_request`` hook returned (``request_attributes``);
- it protects HTTP spans of instrumentations that run without our hooks (the
  user instrumented ``requests`` before us, another distro loaded it, or
  FastAPI traces requests itself):
  their URL and header attributes are redacted and a failure records a
  redacted message (``_spans.protect_span``). Spans that got our hooks are
  protected by the hooks themselves; doing it twice is harmless.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from ._guard import report_error
from ._spans import HTTP_MARKERS, protect_span

RequestAttributes = Mapping[str, AttributeValue]

_REQUEST_ATTRIBUTES: ContextVar[RequestAttributes | None] = ContextVar(
    "aiobs_otel_http_request_attributes", default=None
)
_CONTRIB_PREFIX = "opentelemetry.instrumentation."
# FastAPI (0.16x and later) traces requests itself when no contrib
# instrumentation is in its middleware stack, under its own scope name.
_NATIVE_SCOPES = frozenset({"fastapi"})


@contextmanager
def request_attributes(attributes: RequestAttributes) -> Iterator[None]:
    """Spans started inside (in this context, its tasks and copied contexts)
    get ``attributes``, unless they set the same names themselves."""
    token = _REQUEST_ATTRIBUTES.set(dict(attributes))
    try:
        yield
    finally:
        _REQUEST_ATTRIBUTES.reset(token)


def current_request_attributes() -> RequestAttributes | None:
    return _REQUEST_ATTRIBUTES.get()


class HttpSpanProcessor(SpanProcessor):
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            attributes = _REQUEST_ATTRIBUTES.get()
            if attributes:
                own = span.attributes or {}
                span.set_attributes({k: v for k, v in attributes.items() if k not in own})
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
