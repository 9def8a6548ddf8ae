"""The end of every span we open, shared by provider calls and ``@observe``.

    open span -> run the user's code (span current) -> fill the record ->
    ``finish_span``: last attributes, end, deliver the record to the export

Each step that is telemetry is guarded: whatever it raises is reported and
the user's result or exception passes through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import Token
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Tracer, TracerProvider

from .guard import report_internal_error
from .outgoing import outgoing_attributes
from .records import SpanRecord, deliver
from .version import __version__

_default_provider: TracerProvider | None = None
_tracers: dict[tuple[int, str], Tracer] = {}
_global_tracers: dict[str, Tracer] = {}


def use_provider(provider: TracerProvider | None) -> None:
    """The provider our own spans (``@observe``, custom providers) go to: an
    ``Observer(tracer_provider=...)`` registers its provider here when it
    observes, and clears it on ``reset()``. None: the global provider."""
    global _default_provider
    _default_provider = provider
    _tracers.clear()


def tracer(scope: str) -> Tracer:
    """The tracer for ``scope``: the registered provider's (``use_provider``),
    else the global provider's."""
    provider = _default_provider
    if provider is not None:
        key = (id(provider), scope)
        found = _tracers.get(key)
        if found is None:
            found = _tracers[key] = provider.get_tracer(scope, __version__)
        return found
    found = _global_tracers.get(scope)
    if found is None:
        # A proxy until a global provider is set; it then follows that provider.
        found = _global_tracers[scope] = trace.get_tracer(scope, __version__)
    return found


def make_current(span: Span) -> Token[Context]:
    """Make ``span`` current (so spans started inside nest under it)."""
    return otel_context.attach(trace.set_span_in_context(span))


def restore(token: Token[Context]) -> None:
    otel_context.detach(token)


def finish_span(
    span: Span,
    record: SpanRecord,
    attributes: Mapping[str, Any] | None = None,
    end_ns: int | None = None,
) -> None:
    """Write the last attributes (encodable, masked: see ``outgoing``), end
    ``span`` (at ``end_ns``) and hand its record to the export buffer. Call it
    once per span."""
    if attributes:
        try:
            span.set_attributes(outgoing_attributes(attributes))
        except Exception:
            report_internal_error("recording span attributes")
    try:
        span.end(end_time=end_ns)  # span processors run here
    except Exception:
        report_internal_error("ending a span")
    try:
        deliver(span, record)
    except Exception:
        report_internal_error("buffering a span for the JSON export")
