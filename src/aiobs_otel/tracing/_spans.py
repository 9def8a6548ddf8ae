"""The spans this package opens (traces, transactions, crawls) and their records.

Each is an INTERNAL span of the ``aiobs_otel.tracing`` scope that becomes a
function event of the JSON export with its ``kind`` (``trace``,
``transaction``, ``crawl``, ``crawl_page``, ``crawl_event``): ``api`` is the
kind, ``name`` the span's name, ``args`` / ``kwargs`` null, ``result`` its
output, plus ``input``, ``metadata`` and the kind's own fields.

``OpenSpan`` makes its span current when asked (spans started afterwards in
the same context nest under it) and ends it exactly once, from any thread;
it restores the previous context only where that is safe: in the context it
was made current in, with nothing attached on top since.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

from .. import attributes as A
from .. import kinds
from ..callsite import user_callsite
from ..guard import report_internal_error
from ..outgoing import outgoing_attributes, record_error, safe_error_text, set_error_status
from ..records import SpanFacts
from ..spans import finish_span, tracer
from ..values import clean_text


@dataclass(slots=True, eq=False)
class TracingRecord:
    """A trace, transaction or crawl span as a function event."""

    kind: str
    name: str
    input: Any = None
    output: Any = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    callsite: tuple[str | None, int | None, str | None] | None = None
    facts: SpanFacts | None = None

    is_function = True

    def event_fields(self) -> dict[str, Any]:
        fields = {
            "provider": "function",
            "api": self.kind,
            "name": self.name,
            "module": None,
            "args": None,
            "kwargs": None,
            "result": self.output,
            "enh_prompt": False,
            "enh_prompt_id": None,
            "auto_enhance_after": None,
            "kind": self.kind,
            "input": self.input,
            "metadata": self.metadata,
        }
        fields.update(self.extra)
        return fields


def start_attributes(kind: str, name: str) -> dict[str, Any]:
    return kinds.kind_attributes(kind, name)


class OpenSpan:
    """One span of ours: started by the constructor, ended once by ``end``."""

    def __init__(
        self,
        record: TracingRecord,
        attributes: dict[str, Any],
        *,
        start_ns: int | None = None,
        context: Context | None = None,
    ) -> None:
        self.record = record
        self._lock = threading.Lock()
        self._ended = False
        self._token: Any = None
        self._attached: Context | None = None
        record.callsite = user_callsite(skip=3)
        self.span: Span = tracer(A.SCOPE_TRACING).start_span(
            clean_text(record.name), context=context, kind=SpanKind.INTERNAL,
            attributes=outgoing_attributes(attributes), start_time=start_ns,
        )  # fmt: skip

    @property
    def ended(self) -> bool:
        return self._ended

    def make_current(self, context: Context | None = None) -> None:
        """Make the span current (``context``: built on the span's, with more keys)."""
        attached = context if context is not None else otel_trace.set_span_in_context(self.span)
        self._token = otel_context.attach(attached)
        self._attached = otel_context.get_current()

    def restore(self) -> None:
        token = self._token
        if token is not None and otel_context.get_current() is self._attached:
            self._token = None
            otel_context.detach(token)

    def end(
        self,
        attributes: dict[str, Any] | None = None,
        *,
        error: str | None = None,
        exception: BaseException | None = None,
        end_ns: int | None = None,
    ) -> bool:
        """End the span; False (and nothing done) when it had ended already."""
        with self._lock:
            if self._ended:
                return False
            self._ended = True
        self.restore()
        span = self.span
        extra = dict(attributes or {})
        try:
            if exception is not None:
                message = record_error(span, exception)
                self.record.error = f"{type(exception).__name__}: {message}"
                extra[A.ERROR_TYPE] = type(exception).__qualname__
            elif error is not None:
                self.record.error = safe_error_text(error)
                set_error_status(span, error)
        except Exception:
            report_internal_error("recording a span's error")
        finish_span(span, self.record, extra, end_ns)
        return True


def now_ns() -> int:
    return time.time_ns()
