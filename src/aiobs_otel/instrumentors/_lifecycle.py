"""The one lifecycle every instrumented provider call goes through.

    open span (request attributes) -> call the SDK -> record result or error
    -> end span and record metrics

Sync, async and streaming wrappers are thin shells around ``ProviderCall``;
each API contributes only an ``ApiRecorder`` (request/response attributes and,
for streams, a ``ChunkAccumulator``).

Telemetry code runs outside the ``try`` around the user's call and is guarded:
whatever it raises is reported (``report_internal_error``) and the user's
result or exception passes through untouched.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Mapping
from contextvars import Token
from dataclasses import dataclass
from typing import Any, Protocol

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from .. import attributes as A
from .._callsite import callsite_attributes
from .._safe import report_internal_error
from ._metrics import GenAIMetrics

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
    """Collects what a stream's chunks carry; records it on the call at the end."""

    def add(self, chunk: Any) -> None: ...

    def record(self, call: ProviderCall) -> None: ...


class ApiRecorder(Protocol):
    """The API-specific half of an instrumented call. Every method may raise:
    the lifecycle catches it, and the user's call goes on."""

    def request(
        self, instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], content: bool
    ) -> tuple[str, dict[str, Any]]:
        """The span name and the request attributes (provider, operation, model,
        server, parameters and, when ``content``, the input content)."""
        ...

    def stream(self, result: Any, kwargs: Mapping[str, Any]) -> ChunkAccumulator | None:
        """An accumulator when ``result`` is a stream to wrap, else None."""
        ...

    def response(self, call: ProviderCall, result: Any, content: bool) -> Any:
        """Record a non-stream result on ``call`` and return None; or return a
        stand-in for ``result`` that will finish ``call`` itself later."""
        ...

    def error_type(self, error: BaseException) -> str:
        """``error.type`` for a failed call (e.g. the HTTP status or the class name)."""
        ...


class ProviderCall:
    """One provider call's span and metrics: opened once, finished once."""

    __slots__ = (
        "_finished",
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
        self.content = telemetry.capture_content
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.response_model: str | None = None
        self.last_chunk_ns: int | None = None
        self._finished = False

    @classmethod
    def open(
        cls,
        telemetry: Telemetry,
        recorder: ApiRecorder,
        instance: Any,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> ProviderCall | None:
        """Start the span; None (and the call runs untraced) if that fails."""
        try:
            name, attributes = recorder.request(instance, args, kwargs, telemetry.capture_content)
            attributes.update(callsite_attributes(skip=3))
            start_ns = time.time_ns()
            span = telemetry.tracer.start_span(
                name, kind=SpanKind.CLIENT, attributes=attributes, start_time=start_ns
            )
            metric_attributes = {k: attributes[k] for k in _METRIC_KEYS if k in attributes}
            return cls(telemetry, recorder, span, start_ns, metric_attributes)
        except Exception:
            report_internal_error("opening a provider span")
            return None

    # -- recording helpers for ApiRecorders -----------------------------------
    def set(self, attributes: Mapping[str, Any]) -> None:
        """Set span attributes, skipping None values."""
        if self.span.is_recording():
            self.span.set_attributes({k: v for k, v in attributes.items() if v is not None})

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
        return otel_context.attach(trace.set_span_in_context(self.span))

    def succeed(self, result: Any, kwargs: Mapping[str, Any]) -> Any:
        """Record ``result``; return it, or a traced proxy when it is a stream."""
        try:
            accumulator = self.recorder.stream(result, kwargs)
            if accumulator is not None:
                return wrap_stream(result, StreamState(self, accumulator))
            stand_in = self.recorder.response(self, result, self.content)
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
            self.span.set_attribute(A.ERROR_TYPE, error_type)
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, str(error)))
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
        self.span.end(end_time=end)


# --- wrappers ------------------------------------------------------------------

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def sync_wrapper(telemetry: Telemetry, recorder: ApiRecorder) -> Wrapper:
    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:  # fmt: skip
        call = ProviderCall.open(telemetry, recorder, instance, args, kwargs)
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
        return call.succeed(result, kwargs)

    return traced


def async_wrapper(telemetry: Telemetry, recorder: ApiRecorder) -> Wrapper:
    async def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:  # fmt: skip
        call = ProviderCall.open(telemetry, recorder, instance, args, kwargs)
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
        return call.succeed(result, kwargs)

    return traced


# --- streams -------------------------------------------------------------------


class StreamState:
    """Shared by the sync and async stream proxies: chunks in, one finish out.

    The span ends when the stream is exhausted, fails, is closed, leaves its
    ``with`` block, or is garbage-collected unfinished; its end time is the
    last chunk's arrival when there was one.
    """

    __slots__ = ("_finalizer", "accumulator", "call", "done", "first_chunk_ns")

    def __init__(self, call: ProviderCall, accumulator: ChunkAccumulator) -> None:
        self.call = call
        self.accumulator = accumulator
        self.first_chunk_ns: int | None = None
        self.done = False
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def watch(self, proxy: object) -> None:
        """Finish the span if ``proxy`` is collected before the stream ends."""
        self._finalizer = weakref.finalize(proxy, self.finish)

    def on_chunk(self, chunk: Any) -> None:
        now = time.time_ns()
        self.call.last_chunk_ns = now
        try:
            if self.first_chunk_ns is None:
                self.first_chunk_ns = now
                self.call.set({A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK:
                               (now - self.call.start_ns) / 1e9})  # fmt: skip
            self.accumulator.add(chunk)
        except Exception:
            report_internal_error("recording a stream chunk")

    def finish(self, error: BaseException | None = None) -> None:
        if self.done:
            return
        self.done = True
        if self._finalizer is not None:
            self._finalizer.detach()
        try:
            self.accumulator.record(self.call)
        except Exception:
            report_internal_error("recording a stream's result")
        if error is not None and not isinstance(error, (StopIteration, StopAsyncIteration)):
            self.call.fail(error)
            return
        self.call.finish(self.call.last_chunk_ns)


class TracedStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """A sync stream (the SDK's Stream object or a generator) that feeds a span."""

    def __init__(self, wrapped: Any, state: StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state
        state.watch(self)

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        try:
            chunk = next(self.__wrapped__)
        except StopIteration:
            self._self_state.finish()
            raise
        except BaseException as error:
            self._self_state.finish(error)
            raise
        self._self_state.on_chunk(chunk)
        return chunk

    def close(self) -> Any:
        try:
            closer = getattr(self.__wrapped__, "close", None)
            return closer() if closer is not None else None
        finally:
            self._self_state.finish()

    def __enter__(self) -> TracedStream:
        enter = getattr(self.__wrapped__, "__enter__", None)
        if enter is not None:
            enter()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            exit_ = getattr(self.__wrapped__, "__exit__", None)
            return exit_(*exc_info) if exit_ is not None else None
        finally:
            self._self_state.finish(exc_info[1])


class TracedAsyncStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """An async stream (the SDK's AsyncStream or an async generator) that feeds a span."""

    def __init__(self, wrapped: Any, state: StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state
        state.watch(self)

    def __aiter__(self) -> TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            self._self_state.finish()
            raise
        except BaseException as error:
            self._self_state.finish(error)
            raise
        self._self_state.on_chunk(chunk)
        return chunk

    async def close(self) -> Any:
        try:
            closer = getattr(self.__wrapped__, "close", None) or self.__wrapped__.aclose
            outcome = closer()
            if hasattr(outcome, "__await__"):
                outcome = await outcome
            return outcome
        finally:
            self._self_state.finish()

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_state.finish()

    async def __aenter__(self) -> TracedAsyncStream:
        enter = getattr(self.__wrapped__, "__aenter__", None)
        if enter is not None:
            await enter()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            exit_ = getattr(self.__wrapped__, "__aexit__", None)
            return (await exit_(*exc_info)) if exit_ is not None else None
        finally:
            self._self_state.finish(exc_info[1])


def wrap_stream(stream: Any, state: StreamState) -> Any:
    is_async = hasattr(stream, "__anext__") or hasattr(stream, "__aiter__")
    return (TracedAsyncStream if is_async else TracedStream)(stream, state)
