"""The one lifecycle every instrumented provider call goes through.

    open: the adapter reads the request into an LLMCall; the span starts
    -> call the SDK (span current) -> the adapter reads the result or the error
    -> finish: metrics, the call's attributes (``semconv``), end, deliver

Sync, async and streaming wrappers are thin shells around ``ProviderCall``;
each API contributes only an ``Adapter`` (and, for streams, a
``ChunkAccumulator``; see ``streams``).

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
from opentelemetry.trace import SpanKind, Tracer

from ..callsite import user_callsite
from ..cost import Cost, price_call
from ..guard import report_internal_error
from ..outgoing import outgoing_attributes, record_error
from ..spans import finish_span
from ..values import clean_text
from . import semconv
from .config import ContentSettings
from .metrics import GenAIMetrics
from .record import ApiSpec, LLMCall
from .streams import ChunkAccumulator, StreamState, wrap_stream


@dataclass(frozen=True)
class Telemetry:
    """What an instrumentor closes over: where spans, metrics and events go."""

    tracer: Tracer
    metrics: GenAIMetrics
    content: ContentSettings
    event_logger: Any = None  # an OpenTelemetry logs-API Logger, for the details event


class Adapter(Protocol):
    """The API-specific half of an instrumented call. Every method may raise:
    the lifecycle catches it, and the user's call goes on."""

    api: ApiSpec

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        """Fill the request side (provider, model, server, parameters): what
        samplers and metrics need. Cheap: no content here."""
        ...

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        """Fill the request's content (messages, system instructions, tools).
        Called only when content is captured and the span is recording."""
        ...

    def stream(self, result: Any, call: LLMCall) -> ChunkAccumulator | None:
        """An accumulator when ``result`` is a stream to wrap, else None."""
        ...

    def response(self, call: ProviderCall, result: Any) -> Any:
        """Fill the response side from a non-stream result and return None; or
        return a stand-in for ``result`` that finishes ``call`` itself later."""
        ...

    def error_type(self, error: BaseException) -> str:
        """``error.type`` for a failed call (the HTTP status or the class name)."""
        ...


class ProviderCall:
    """One provider call's span and record: opened once, finished once."""

    __slots__ = (
        "_context", "_finished", "adapter", "last_chunk_ns", "record", "span", "start_ns",
        "telemetry",
    )  # fmt: skip

    def __init__(self, telemetry: Telemetry, adapter: Adapter, record: LLMCall, span: Any,
                 start_ns: int) -> None:  # fmt: skip
        self.telemetry = telemetry
        self.adapter = adapter
        self.record = record
        self.span = span
        self.start_ns = start_ns
        self.last_chunk_ns: int | None = None
        self._context = trace.set_span_in_context(span)
        self._finished = False

    @classmethod
    def open(
        cls, telemetry: Telemetry, adapter: Adapter, instance: Any, kwargs: Mapping[str, Any]
    ) -> ProviderCall | None:
        """Start the span; None (and the call runs untraced) if that fails."""
        try:
            record = LLMCall(api=adapter.api, provider="")
            adapter.request(record, instance, kwargs)
            record.callsite = user_callsite(skip=3)
            start_ns = time.time_ns()
            span = telemetry.tracer.start_span(
                span_name(record.api.operation, record.request_model),
                kind=SpanKind.CLIENT,
                attributes=outgoing_attributes(semconv.start_attributes(record)),
                start_time=start_ns,
            )
            call = cls(telemetry, adapter, record, span, start_ns)
        except Exception:
            report_internal_error("opening a provider span")
            return None
        if telemetry.content.captured and span.is_recording():
            record.content = True
            try:
                adapter.content(record, kwargs)
            except Exception:
                report_internal_error("recording a provider request's content")
        return call

    def context(self) -> Token[Context]:
        """Make the span current (so HTTP spans nest under it); returns a token."""
        return otel_context.attach(self._context)

    def succeed(self, result: Any) -> Any:
        """Record ``result``; return it, or a traced proxy when it is a stream."""
        try:
            accumulator = self.adapter.stream(result, self.record)
            if accumulator is not None:
                return wrap_stream(result, StreamState(self, accumulator))
            stand_in = self.adapter.response(self, result)
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
            record = self.record
            record.error_type = self.adapter.error_type(error) or type(error).__qualname__
            # the client's secrets scrubbed, quoted ones redacted (see ``outgoing``)
            message = record_error(self.span, error, record.secrets)
            record.error = f"{type(error).__name__}: {message}"
        except Exception:
            report_internal_error("recording a provider error")
        self.finish()

    def finish(self, end_ns: int | None = None) -> None:
        if self._finished:
            return
        self._finished = True
        end = end_ns or time.time_ns()
        record = self.record
        telemetry = self.telemetry
        attributes: dict[str, Any] | None = None
        try:
            record.cost = price(record)
            telemetry.metrics.record(record, (end - self.start_ns) / 1e9)
            record.chunk_gaps = None  # only the metrics needed them
            attributes = semconv.end_attributes(record, content_on_span=telemetry.content.on_span)
            if telemetry.content.emit_event and telemetry.event_logger is not None:
                _emit_details(telemetry.event_logger, self.span, record)
            # Only the span and the details event read these; the record stays
            # buffered until the next flush, so it keeps what the export reads.
            record.input_messages = record.tool_definitions = None
        except Exception:
            report_internal_error("recording a provider response")
        finish_span(self.span, record, attributes, end)


def price(record: LLMCall) -> Cost | None:
    """The call's cost from its usage (the response's model first, then the
    requested one); None for an unknown model or a call without usage."""
    if record.input_tokens is None and record.output_tokens is None:
        return None
    for model in (record.response_model, record.request_model):
        if model:
            cost = price_call(
                provider=record.provider, model=model, input_tokens=record.input_tokens,
                output_tokens=record.output_tokens,
                cache_read_input_tokens=record.cache_read_input_tokens,
                reasoning_output_tokens=record.reasoning_output_tokens,
            )  # fmt: skip
            if cost is not None:
                return cost
    return None


def span_name(operation: str, model: Any) -> str:
    """``{operation} {model}``, or the operation alone when the model is unknown
    (encodable: a lone surrogate in a span name would lose the OTLP batch)."""
    return clean_text(f"{operation} {model}") if isinstance(model, str) and model else operation


def _emit_details(event_logger: Any, span: Any, record: LLMCall) -> None:
    from opentelemetry._logs import LogRecord

    event_logger.emit(
        LogRecord(
            event_name=semconv.DETAILS_EVENT,
            attributes=outgoing_attributes(semconv.details_event(record)),
            context=trace.set_span_in_context(span),
        )
    )


# --- wrappers ------------------------------------------------------------------

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def sync_wrapper(telemetry: Telemetry, adapter: Adapter) -> Wrapper:
    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:  # fmt: skip
        call = ProviderCall.open(telemetry, adapter, instance, kwargs)
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


def async_wrapper(telemetry: Telemetry, adapter: Adapter) -> Wrapper:
    async def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:  # fmt: skip
        call = ProviderCall.open(telemetry, adapter, instance, kwargs)
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
