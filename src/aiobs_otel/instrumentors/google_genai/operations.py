"""Long-running operations (Veo): the calls still waiting for their result,
and the short span that reports one's end when a poll sees it done."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import Link, SpanContext, SpanKind, Tracer

from ... import attributes as A
from ...callsite import user_callsite
from ...guard import report_internal_error
from ...outgoing import outgoing_attributes, safe_error_text, set_error_status
from ...spans import finish_span
from ...values import dumps
from .. import semconv
from ..lifecycle import Wrapper, span_name
from ..record import LLMCall
from . import reader as g

MAX_PENDING = 1024


@dataclass(frozen=True)
class PendingOperation:
    """What a later poll needs to report the operation's end."""

    span_context: SpanContext
    call: LLMCall  # the generate_videos call (its request side)
    session_id: Any

    @classmethod
    def of(cls, span: Any, call: LLMCall) -> PendingOperation:
        attributes = getattr(span, "attributes", None) or {}
        return cls(span.get_span_context(), call, attributes.get(A.SESSION_ID))


class PendingOperations:
    """Operation name -> its generate_videos call; bounded (oldest dropped), thread-safe."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._items: OrderedDict[str, PendingOperation] = OrderedDict()

    def remember(self, name: str, pending: PendingOperation) -> None:
        with self._lock:
            self._items[name] = pending
            self._items.move_to_end(name)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def take(self, name: str) -> PendingOperation | None:
        with self._lock:
            return self._items.pop(name, None)

    def __len__(self) -> int:
        return len(self._items)


PENDING = PendingOperations()

StateReader = Callable[[Any], dict[str, Any]]


def _completion_record(pending: PendingOperation, state: dict[str, Any]) -> LLMCall:
    """A record for the poll span: the original call's request side, the final state."""
    origin = pending.call
    call = LLMCall(
        api=origin.api,
        provider=origin.provider,
        request_model=origin.request_model,
        server_address=origin.server_address,
        server_port=origin.server_port,
        secrets=origin.secrets,
        content=origin.content,
        export=dataclasses.replace(origin.export, state=state),
        completes_span_id=pending.span_context.span_id,
        callsite=user_callsite(skip=4),
    )
    call.extra_attributes[A.AIOBS_RESPONSE_EXTRA] = dumps(state)
    call.extra_attributes[A.AIOBS_COMPLETES_SPAN_ID] = format(call.completes_span_id, "016x")
    return call


def record_poll(tracer: Tracer, operation: Any, start_ns: int, read_state: StateReader) -> None:
    """Emit the completion span when ``operation`` is a done, remembered one."""
    name = g.field(operation, "name")
    if not isinstance(name, str) or not g.field(operation, "done"):
        return
    pending = PENDING.take(name)
    if pending is None:
        return
    state = read_state(operation)
    call = _completion_record(pending, state)
    attributes = semconv.start_attributes(call)
    if pending.session_id is not None:
        attributes[A.SESSION_ID] = pending.session_id
    span = tracer.start_span(
        span_name(f"poll {call.api.operation}", call.request_model),
        kind=SpanKind.CLIENT, attributes=outgoing_attributes(attributes),
        links=[Link(pending.span_context)], start_time=start_ns,
    )  # fmt: skip
    try:
        error = state.get("error")
        if error:
            record_operation_error(span, call, error)
    finally:  # whatever failed above, the span ends
        finish_span(span, call, semconv.end_attributes(call, content_on_span=False))


def record_operation_error(span: Any, call: LLMCall, error: Any) -> None:
    """A finished operation's own error (the API call itself succeeded)."""
    code = g.field(error, "code")
    message = str(g.field(error, "message") or error)
    call.error_type = str(code) if code is not None else "OperationError"
    call.error = f"OperationError: {safe_error_text(message, call.secrets)}"
    set_error_status(span, message, call.secrets)


def poll_wrapper(tracer: Tracer, is_async: bool, read_state: StateReader) -> Wrapper:
    def after(result: Any, start_ns: int) -> None:
        try:
            record_poll(tracer, result, start_ns, read_state)
        except Exception:
            report_internal_error("recording a long-running operation's poll")

    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:  # fmt: skip
        start_ns = time.time_ns()
        result = wrapped(*args, **kwargs)
        after(result, start_ns)
        return result

    async def traced_async(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                           kwargs: dict[str, Any]) -> Any:  # fmt: skip
        start_ns = time.time_ns()
        result = await wrapped(*args, **kwargs)
        after(result, start_ns)
        return result

    return traced_async if is_async else traced
