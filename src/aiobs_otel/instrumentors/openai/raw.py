"""``with_raw_response`` and ``with_streaming_response`` results.

Both make ``create`` return an HTTP response object instead of the parsed
result. What we do, so the user still gets what the SDK returns:

* ``with_raw_response`` on a non-stream call: the body is already read, so we
  call ``parse()`` ourselves (the SDK caches it: the user's own ``parse()``
  returns the same object), record it and end the span. The user gets the
  SDK's own response object.
* everything else (``with_streaming_response``, or ``stream=True``): the body
  has not been read and must not be read behind the user's back. The user gets
  a transparent proxy of the response; the span is completed when the user
  calls ``parse()`` (a parsed stream is traced like any stream) and ends on
  ``close()`` (the ``with`` exit) or when the response is garbage-collected.
  A body read with ``read()``/``json()``/``iter_*()`` is not parsed by us:
  the span then has the request and the duration only.
"""

from __future__ import annotations

import inspect
import weakref
from typing import Any

import wrapt

from ...guard import report_internal_error
from ..lifecycle import Adapter, ProviderCall
from ..streams import StreamState, wrap_stream


def is_raw_response(result: Any) -> bool:
    return hasattr(result, "http_response") and callable(getattr(result, "parse", None))


def _is_event_stream(result: Any) -> bool:
    headers = getattr(result, "headers", None) or {}
    return "text/event-stream" in str(headers.get("content-type", ""))


def record_raw_response(call: ProviderCall, result: Any, adapter: Adapter) -> Any:
    """None when ``result`` was recorded now; else the proxy to give the user."""
    if type(result).__name__ == "LegacyAPIResponse" and not _is_event_stream(result):
        adapter.response(call, result.parse())
        return None
    if inspect.iscoroutinefunction(type(result).parse):
        return TracedAsyncRawResponse(result, _RawState(call, adapter))
    return TracedRawResponse(result, _RawState(call, adapter))


class _RawState:
    """Turns what ``parse()`` returned into telemetry, once; ends the span once."""

    __slots__ = ("adapter", "call", "finalizer", "last", "stream")

    def __init__(self, call: ProviderCall, adapter: Adapter) -> None:
        self.call = call
        self.adapter = adapter
        self.stream: StreamState | None = None
        self.last: tuple[Any, Any] | None = None
        self.finalizer: weakref.finalize[Any, Any] | None = None

    def watch(self, proxy: object) -> None:
        self.finalizer = weakref.finalize(proxy, self.call.finish)

    def parsed(self, value: Any) -> Any:
        """What to hand the user for the SDK's parsed ``value``."""
        if self.last is not None and self.last[0] is value:
            return self.last[1]  # the SDK caches parse(); so do we
        out = value
        try:
            accumulator = self.adapter.stream(value, self.call.record)
            if accumulator is not None and self.stream is None:
                self.stream = StreamState(self.call, accumulator)
                out = wrap_stream(value, self.stream)
                if self.finalizer is not None:
                    # The stream may outlive this response object; it ends the span now.
                    self.finalizer.detach()
            elif accumulator is None and self.stream is None and self.last is None:
                self.adapter.response(self.call, value)
                self.end()
        except Exception:
            report_internal_error("recording a parsed raw response")
        self.last = (value, out)
        return out

    def end(self) -> None:
        if self.stream is not None:
            self.stream.finish()
        else:
            self.call.finish()
        if self.finalizer is not None:
            self.finalizer.detach()


class TracedRawResponse(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """The SDK's (unread) ``APIResponse``, with ``parse()`` and ``close()`` traced."""

    def __init__(self, wrapped: Any, state: _RawState) -> None:
        super().__init__(wrapped)
        self._self_state = state
        state.watch(self)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_state.parsed(self.__wrapped__.parse(*args, **kwargs))

    def close(self) -> Any:
        try:
            closer = getattr(self.__wrapped__, "close", None)
            return closer() if closer is not None else None
        finally:
            self._self_state.end()


class TracedAsyncRawResponse(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """The SDK's (unread) ``AsyncAPIResponse``, with ``parse()`` and ``close()`` traced."""

    def __init__(self, wrapped: Any, state: _RawState) -> None:
        super().__init__(wrapped)
        self._self_state = state
        state.watch(self)

    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_state.parsed(await self.__wrapped__.parse(*args, **kwargs))

    async def close(self) -> Any:
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_state.end()
