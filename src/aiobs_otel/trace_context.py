"""What every span started inside a trace context carries, and who reported usage.

A trace context (``aiobs_otel.tracing.trace`` / ``start_trace``) puts a
``TraceScope`` into the OpenTelemetry context; ``ContextSpanProcessor``, added
to every provider the observer attaches to, writes the scope's prebuilt
attributes (``user.id``, ``gen_ai.conversation.id``, tags, metadata...) on
each span that starts under it: ours, provider calls, and other
instrumentations' (HTTP, databases). Being part of the OpenTelemetry context,
the scope crosses ``await``, asyncio tasks (which copy the context), threads
started with a copied context and OpenTelemetry's own context propagation
helpers (the threading instrumentation).

The same processor tells a ``generation`` span whether an LLM span below it
(a provider call, ours or another instrumentation's) reported token usage: the
generation puts a ``UsageMarker`` in the context; a span started under it that
ends with ``gen_ai.usage.*`` marks it, and the generation then leaves the
usage (and the cost) to that span, so nothing is counted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from . import attributes as A
from .outgoing import outgoing_attributes
from .values import dumps

_TRACE_KEY = otel_context.create_key("aiobs-trace-scope")
_USAGE_KEY = otel_context.create_key("aiobs-usage-marker")
_MAX_WATCHED = 16_384  # spans under a generation still running: bounded memory


@dataclass(frozen=True, eq=False)
class TraceScope:
    """One trace context: who and what it is about. Immutable; a nested trace
    context gets a new scope that inherits what it does not set."""

    name: str
    user_id: str | None = None
    conversation_id: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    span_attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        name: str,
        *,
        user_id: str | None,
        conversation_id: str | None,
        tags: Sequence[str],
        metadata: Mapping[str, Any],
    ) -> TraceScope:
        attributes: dict[str, Any] = {A.AIOBS_TRACE_NAME: name}
        if user_id:
            attributes[A.USER_ID] = user_id
        if conversation_id:
            attributes[A.GEN_AI_CONVERSATION_ID] = conversation_id
        if tags:
            attributes[A.AIOBS_TRACE_TAGS] = list(tags)
            attributes[A.OPENINFERENCE_TAGS] = list(tags)
        if metadata:
            text = metadata_json(metadata)
            attributes[A.AIOBS_TRACE_METADATA] = text
            attributes[A.OPENINFERENCE_METADATA] = text
        return cls(
            name, user_id, conversation_id, tuple(tags), MappingProxyType(dict(metadata)),
            MappingProxyType(dict(outgoing_attributes(attributes))),
        )  # fmt: skip


def metadata_json(metadata: Mapping[str, Any]) -> str:
    """Metadata as compact JSON (values made safe, secret-looking keys redacted)."""
    return dumps(dict(metadata), redact_secrets=True)


def current_scope(context: Context | None = None) -> TraceScope | None:
    scope = otel_context.get_value(_TRACE_KEY, context)
    return scope if isinstance(scope, TraceScope) else None


def with_scope(scope: TraceScope, context: Context | None = None) -> Context:
    return otel_context.set_value(_TRACE_KEY, scope, context)


def span_metadata_json(own: Mapping[str, Any] | None) -> str | None:
    """The OpenInference ``metadata`` of a span with metadata of its own: the
    trace's metadata with the span's on top (the span's keys win)."""
    scope = current_scope()
    if not own:
        return None
    merged = {**scope.metadata, **own} if scope is not None else dict(own)
    return metadata_json(merged)


class UsageMarker:
    """Set when a span below a generation reported token usage."""

    __slots__ = ("reported",)

    def __init__(self) -> None:
        self.reported = False


def with_usage_marker(marker: UsageMarker, context: Context | None = None) -> Context:
    return otel_context.set_value(_USAGE_KEY, marker, context)


class ContextSpanProcessor(SpanProcessor):
    """Trace-context attributes on span start; usage markers on span end."""

    def __init__(self) -> None:
        self._watched: dict[int, UsageMarker] = {}
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        scope = otel_context.get_value(_TRACE_KEY, parent_context)
        if isinstance(scope, TraceScope):
            stamp = scope.span_attributes
            existing = span.attributes
            if existing and A.OPENINFERENCE_METADATA in existing:
                # the span's own metadata (merged with the trace's) stays
                stamp = {k: v for k, v in stamp.items() if k != A.OPENINFERENCE_METADATA}
            span.set_attributes(stamp)
        marker = otel_context.get_value(_USAGE_KEY, parent_context)
        if isinstance(marker, UsageMarker):
            with self._lock:
                if len(self._watched) >= _MAX_WATCHED:
                    self._watched.clear()
                self._watched[span.get_span_context().span_id] = marker

    def on_end(self, span: ReadableSpan) -> None:
        if not self._watched or span.context is None:
            return
        with self._lock:
            marker = self._watched.pop(span.context.span_id, None)
        if marker is None:
            return
        attributes = span.attributes or {}
        if A.GEN_AI_USAGE_INPUT_TOKENS in attributes or A.GEN_AI_USAGE_OUTPUT_TOKENS in attributes:
            marker.reported = True

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def tags_list(tags: object) -> list[str]:
    """Tags as a list of strings (``ValueError`` for anything else)."""
    if tags is None:
        return []
    if isinstance(tags, str) or not isinstance(tags, (list, tuple, set, frozenset)):
        raise ValueError(f"tags must be a list of strings, got {tags!r}")
    if not all(isinstance(tag, str) for tag in tags):
        raise ValueError(f"tags must be a list of strings, got {tags!r}")
    return list(dict.fromkeys(tags))


def checked_metadata(metadata: object, what: str = "metadata") -> dict[str, Any]:
    """``metadata`` as a dict with string keys (``ValueError`` for anything else)."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValueError(f"{what} must be a dict, got {type(metadata).__name__}: {metadata!r}")
    bad = [k for k in metadata if not isinstance(k, str)]
    if bad:
        raise ValueError(f"{what} keys must be strings, got {bad[0]!r}")
    return dict(metadata)
