"""The one lifecycle every instrumented provider call goes through.

    open span (request attributes; content only when captured and recording)
    -> call the SDK -> record result or error -> end span and record metrics

Sync, async and streaming wrappers are thin shells around ``ProviderCall``;
each API contributes only an ``ApiRecorder`` (request/content/response
attributes and, for streams, a ``ChunkAccumulator``; see ``_streams``).

Telemetry code runs outside the ``try`` around the user's call and is guarded:
whatever it raises is reported (``report_internal_error``) and the user's
result or exception passes through untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextvars import Token
from dataclasses import dataclass
from typing import Any, Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer

from .. import attributes as A
from .._callsite import callsite_attributes
from .._safe import report_internal_error
from ._common import end_span, record_error
from ._metrics import GenAIMetrics
from ._streams import StreamState, wrap_stream

# Request attributes that also label the metrics (the conventions' set).
_METRIC_KEYS = (
    A.GEN_AI_OPERATION_NAME,
    A.GEN_AI_PROVIDER_NAME,
    A.GEN_AI_REQUEST_MODEL,
    A.SERVER_ADDRESS,
    A.SERVER_PORT,
)


@dataclass(frozen=True)
class Telemetry:
    """What an instrumentor closes over: where spans and metrics go, and settings."""

    tracer: Tracer
    metrics: GenAIMetrics
    capture_content: bool


class ChunkAccumulator(Protocol):
    """Folds a stream's chunks as they arrive; records the result on the call at the end."""

    def add(self, chunk: Any) -> None: ...

    def record(self, call: ProviderCall) -> None: ...


class ApiRecorder(Protocol):
    """The API-specific half of an instrumented call. Every method may raise:
    the lifecycle catches it, and the user's call goes on."""

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """The span name and the cheap request attributes (operation, provider,
        model, server, parameters): what samplers and metrics need."""
        ...

    def content(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The request's content attributes (messages, system instructions, tool
        definitions, extras carrying content) as JSON. Called only when content
        capture is on and the span is recording; values replace ``request()``'s."""
        ...

    def stream(self, result: Any, content: bool) -> ChunkAccumulator | None:
        """An accumulator when ``result`` is a stream to wrap, else None. Without
        ``content`` it keeps only id, model, usage and finish reasons."""
        ...

    def response(self, call: ProviderCall, result: Any) -> Any:
        """Record a non-stream result on ``call`` (its content only when
        ``call.content``) and return None; or return a stand-in for ``result``
        that will finish ``call`` itself later."""
        ...

    def error_type(self, error: BaseException) -> str:
        """``error.type`` for a failed call (e.g. the HTTP status or the class name)."""
        ...


class ProviderCall:
    """One provider call's span and metrics: opened once, finished once.

    Response attributes are collected by ``set`` and written with one
    ``set_attributes`` when the call finishes (before the span ends).
    """

    __slots__ = (
        "_context",
        "_finished",
        "_pending",
        "_recording",
        "content",
        "input_tokens",
        "last_chunk_ns",
        "metric_attributes",
        "output_tokens",
        "recorder",
        "response_model",
        "span",
        "start_ns",
        "telemetry",
    )

    def __init__(self, telemetry: Telemetry, recorder: ApiRecorder, span: Span, start_ns: int,
                 metric_attributes: dict[str, Any]) -> None:  # fmt: skip
        self.telemetry = telemetry
        self.recorder = recorder
        self.span = span
        self.start_ns = start_ns
        self.metric_attributes = metric_attributes
        self._recording = span.is_recording()
        # The one per-call content switch: capture is on and the span keeps attributes.
        self.content = telemetry.capture_content and self._recording
        self._context = trace.set_span_in_context(span)
        self._pending: dict[str, Any] = {}
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.response_model: str | None = None
        self.last_chunk_ns: int | None = None
        self._finished = False

    @classmethod
    def open(
        cls, telemetry: Telemetry, recorder: ApiRecorder, instance: Any, kwargs: Mapping[str, Any]
    ) -> ProviderCall | None:
        """Start the span; None (and the call runs untraced) if that fails."""
        try:
            name, attributes = recorder.request(instance, kwargs)
            attributes.update(callsite_attributes(skip=3))
            start_ns = time.time_ns()
            span = telemetry.tracer.start_span(
                name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start_ns
            )
            metric_attributes = {k: attributes[k] for k in _METRIC_KEYS if k in attributes}
            call = cls(telemetry, recorder, span, start_ns, metric_attributes)
        except Exception:
            report_internal_error("opening a provider span")
            return None
        if call.content:
            try:
                content = recorder.content(kwargs)
                span.set_attributes({k: v for k, v in content.items() if v is not None})
            except Exception:
                report_internal_error("recording a provider request's content")
        return call

    # -- recording helpers for ApiRecorders -----------------------------------
    def set(self, attributes: Mapping[str, Any]) -> None:
        """Queue span attributes (None values skipped) for the end of the call."""
        if self._recording:
            pending = self._pending
            for key, value in attributes.items():
                if value is not None:
                    pending[key] = value

    def set_usage(self, input_tokens: int | None, output_tokens: int | None) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.set({A.GEN_AI_USAGE_INPUT_TOKENS: input_tokens,
                  A.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens})  # fmt: skip

    def set_response_model(self, model: str | None) -> None:
        if model:
            self.response_model = model
            self.set({A.GEN_AI_RESPONSE_MODEL: model})

    # -- lifecycle ------------------------------------------------------------
    def context(self) -> Token[Context]:
        """Make the span current (so HTTP spans nest under it); returns a token."""
        return otel_context.attach(self._context)

    def succeed(self, result: Any) -> Any:
        """Record ``result``; return it, or a traced proxy when it is a stream."""
        try:
            accumulator = self.recorder.stream(result, self.content)
            if accumulator is not None:
                return wrap_stream(result, StreamState(self, accumulator))
            stand_in = self.recorder.response(self, result)
            if stand_in is not None:
                # The result is not complete yet (e.g. an unread HTTP response):
                # the stand-in finishes the call when it is read, closed or collected.
                return stand_in
        except Exception:
            report_internal_error("recording a provider response")
        self.finish()
        return result

    def fail(self, error: BaseException) -> None:
        try:
            error_type = self.recorder.error_type(error) or type(error).__qualname__
            record_error(self.span, error_type, error)
            self.metric_attributes[A.ERROR_TYPE] = error_type
        except Exception:
            report_internal_error("recording a provider error")
        self.finish()

    def finish(self, end_ns: int | None = None) -> None:
        if self._finished:
            return
        self._finished = True
        end = end_ns or time.time_ns()
        try:
            attributes = self.metric_attributes
            if self.response_model:
                attributes[A.GEN_AI_RESPONSE_MODEL] = self.response_model
            self.telemetry.metrics.record(
                (end - self.start_ns) / 1e9, attributes, self.input_tokens, self.output_tokens
            )
        except Exception:
            report_internal_error("recording GenAI metrics")
        if self._pending:
            try:
                self.span.set_attributes(self._pending)
            except Exception:
                report_internal_error("recording a provider response")
        end_span(self.span, end)


# --- wrappers ------------------------------------------------------------------

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def sync_wrapper(telemetry: Telemetry, recorder: ApiRecorder) -> Wrapper:
    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:  # fmt: skip
        call = ProviderCall.open(telemetry, recorder, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        token = call.context()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            otel_context.detach(token)
            call.fail(error)
            raise
        otel_context.detach(token)
        return call.succeed(result)

    return traced


def async_wrapper(telemetry: Telemetry, recorder: ApiRecorder) -> Wrapper:
    async def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:  # fmt: skip
        call = ProviderCall.open(telemetry, recorder, instance, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        token = call.context()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as error:
            otel_context.detach(token)
            call.fail(error)
            raise
        otel_context.detach(token)
        return call.succeed(result)

    return traced
