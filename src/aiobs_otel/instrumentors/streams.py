"""Stream proxies: a provider call whose result is a stream ends its span
when the stream does.

While the wrapped stream produces a chunk (``next`` / ``__anext__``), the
call's span is current, so HTTP spans of SDKs that only send the request on
the first ``next()`` (google-genai) nest under it. It is detached before the
chunk goes back to the user, never held across their code.
"""

from __future__ import annotations

import time
import weakref
from contextvars import Token
from typing import Any, Protocol

import wrapt
from opentelemetry import context as otel_context
from opentelemetry.context import Context

from ..guard import report_internal_error
from .record import LLMCall


class ChunkAccumulator(Protocol):
    """Folds a stream's chunks as they arrive; fills the call's record at the end."""

    def add(self, chunk: Any) -> None: ...

    def record(self, call: LLMCall) -> None: ...


class StreamOwner(Protocol):
    """The provider call a stream belongs to (see ``lifecycle.ProviderCall``)."""

    record: LLMCall
    start_ns: int
    last_chunk_ns: int | None

    def context(self) -> Token[Context]: ...

    def fail(self, error: BaseException) -> None: ...

    def finish(self, end_ns: int | None = None) -> None: ...


class StreamState:
    """Shared by the sync and async stream proxies: chunks in, one finish out.

    The span ends when the stream is exhausted, fails, is closed, leaves its
    ``with`` block, or is garbage-collected unfinished; its end time is the
    last chunk's arrival when there was one. An exception raised by the
    user's own code inside the ``with`` block does not fail the span: only
    the stream's own errors do.
    """

    __slots__ = ("_finalizer", "accumulator", "call", "done")

    def __init__(self, call: StreamOwner, accumulator: ChunkAccumulator) -> None:
        self.call = call
        self.accumulator = accumulator
        self.done = False
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def watch(self, proxy: object) -> None:
        """Finish the span if ``proxy`` is collected before the stream ends."""
        self._finalizer = weakref.finalize(proxy, self.finish)

    def on_chunk(self, chunk: Any) -> None:
        now = time.time_ns()
        call = self.call
        try:
            last = call.last_chunk_ns
            record = call.record
            if last is None:
                record.time_to_first_chunk = (now - call.start_ns) / 1e9
                record.stream = True
            elif record.chunk_gaps is None:
                record.chunk_gaps = [(now - last) / 1e9]
            else:
                record.chunk_gaps.append((now - last) / 1e9)
            call.last_chunk_ns = now
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
            self.accumulator.record(self.call.record)
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
        state = self._self_state
        token = state.call.context()
        try:
            chunk = next(self.__wrapped__)
        except StopIteration:
            otel_context.detach(token)
            state.finish()
            raise
        except BaseException as error:
            otel_context.detach(token)
            state.finish(error)
            raise
        otel_context.detach(token)
        state.on_chunk(chunk)
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
            outcome = exit_(*exc_info) if exit_ is not None else None
        except BaseException as error:
            # The stream's own exit failed; the user's exception re-raised is not ours.
            self._self_state.finish(None if error is exc_info[1] else error)
            raise
        self._self_state.finish()
        return outcome


class TracedAsyncStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """An async stream (the SDK's AsyncStream or an async generator) that feeds a span."""

    def __init__(self, wrapped: Any, state: StreamState) -> None:
        super().__init__(wrapped)
        self._self_state = state
        state.watch(self)

    def __aiter__(self) -> TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        state = self._self_state
        token = state.call.context()
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            otel_context.detach(token)
            state.finish()
            raise
        except BaseException as error:
            otel_context.detach(token)
            state.finish(error)
            raise
        otel_context.detach(token)
        state.on_chunk(chunk)
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
            outcome = (await exit_(*exc_info)) if exit_ is not None else None
        except BaseException as error:
            self._self_state.finish(None if error is exc_info[1] else error)
            raise
        self._self_state.finish()
        return outcome


def wrap_stream(stream: Any, state: StreamState) -> Any:
    is_async = hasattr(stream, "__anext__") or hasattr(stream, "__aiter__")
    return (TracedAsyncStream if is_async else TracedStream)(stream, state)
