"""Trace contexts: who and what a run is about, on every span started inside.

``start_trace`` opens a span of kind ``trace`` (Phoenix: CHAIN), a child of
the current span if there is one, makes it current and puts a ``TraceScope``
in the context: every span started inside carries its user, conversation,
tags and metadata (``trace_context.ContextSpanProcessor``). ``end_trace`` /
``finish_trace`` set the output and end it; ``trace(...)`` does both around a
``with`` block. Ending a trace that is not open (twice, or never started)
returns ``False`` and changes nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace

from .. import attributes as A
from .. import kinds
from ..limits import limited_json, trace_io_limit
from ..outgoing import outgoing_text
from ..trace_context import TraceScope, checked_metadata, current_scope, tags_list, with_scope
from ..values import clean_text
from ._spans import OpenSpan, TracingRecord, start_attributes

_HANDLE_KEY = otel_context.create_key("aiobs-open-trace")
ENVIRONMENT_VARIABLES = ("LLMOPS_ENV", "ENV")
PROJECT_VARIABLES = ("LLMOPS_PROJECT_ID", "PROJECT_ID")


class TraceHandle:
    """An open trace: ``trace_id`` / ``span_id`` (hex), ``set_output``, ``end``."""

    def __init__(self, opened: OpenSpan, scope: TraceScope) -> None:
        self._opened = opened
        self.scope = scope
        context = opened.span.get_span_context()
        self.trace_id = f"{context.trace_id:032x}"
        self.span_id = f"{context.span_id:016x}"
        self._output: Any = None
        self._has_output = False

    @property
    def name(self) -> str:
        return self._opened.record.name

    @property
    def ended(self) -> bool:
        return self._opened.ended

    def set_input(self, value: Any) -> None:
        text = limited_json(value, trace_io_limit())
        self._opened.record.input = _loads(text)
        self._opened.span.set_attributes(_io_attributes(A.AIOBS_TRACE_INPUT, text, "input"))

    def set_output(self, value: Any) -> None:
        self._output, self._has_output = value, True

    def update(self, *, name: str | None = None, user_id: str | None = None,
               session_id: str | None = None) -> None:  # fmt: skip
        """What ``finalize_and_send`` may give late: it reaches the trace's own
        span only (spans that already started keep what they had)."""
        span, record = self._opened.span, self._opened.record
        if name:
            span.update_name(clean_text(name))
            record.name = name
            span.set_attribute(A.AIOBS_TRACE_NAME, outgoing_text(name))
        if user_id:
            span.set_attribute(A.USER_ID, outgoing_text(user_id))
            record.extra["user_id"] = user_id
        if session_id:
            span.set_attribute(A.GEN_AI_CONVERSATION_ID, outgoing_text(session_id))
            record.extra["conversation_id"] = session_id

    def release(self) -> None:
        """Restore the context ``start_trace`` changed, if it is still current."""
        self._opened.restore()

    def end(self, *, error: BaseException | None = None) -> bool:
        attributes: dict[str, Any] = {}
        if self._has_output:
            text = limited_json(self._output, trace_io_limit())
            self._opened.record.output = _loads(text)
            attributes.update(_io_attributes(A.AIOBS_TRACE_OUTPUT, text, "output"))
        return self._opened.end(attributes, exception=error)


def _io_attributes(ours: str, text: str, side: str) -> dict[str, str]:
    if side == "input":
        return {ours: text, A.OPENINFERENCE_INPUT_VALUE: text,
                A.OPENINFERENCE_INPUT_MIME_TYPE: "application/json"}  # fmt: skip
    return {ours: text, A.OPENINFERENCE_OUTPUT_VALUE: text,
            A.OPENINFERENCE_OUTPUT_MIME_TYPE: "application/json"}  # fmt: skip


def _loads(text: str) -> Any:
    return json.loads(text)


def _first_env(names: Sequence[str]) -> str | None:
    for name in names:
        value = (os.environ.get(name) or "").strip()
        if value:
            return value
    return None


def _session_label(key: str) -> str | None:
    from .. import observer

    try:
        return observer.get_labels().get(key)
    except RuntimeError:  # no active session
        return None


def injected_metadata(environment: str | None, project_id: str | None) -> dict[str, str]:
    """llmops's auto-injected ``environment`` / ``project_id``: the argument, else
    ``LLMOPS_ENV`` / ``LLMOPS_PROJECT_ID``, else ``ENV`` / ``PROJECT_ID``, else the
    session labels ``environment`` / ``project_id``; left out when none is set."""
    out: dict[str, str] = {}
    environment = environment or _first_env(ENVIRONMENT_VARIABLES) or _session_label("environment")
    project_id = project_id or _first_env(PROJECT_VARIABLES) or _session_label("project_id")
    if environment:
        out["environment"] = environment
    if project_id:
        out["project_id"] = project_id
    return out


def _optional_text(value: object, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}: {value!r}")
    return value


def start_trace(
    name: str,
    *,
    user_id: str | None = None,
    session_id: str | None = None,
    tags: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    trace_input: Any = None,
    environment: str | None = None,
    project_id: str | None = None,
) -> TraceHandle:
    """Open a trace context (see the module doc) and return its handle.

    ``session_id`` is the conversation (``gen_ai.conversation.id``); the aiobs
    session stays ``session.id``. A nested trace inherits what it does not set.
    ``ValueError`` for a name that is not a non-empty string, metadata that is
    not a dict, tags that are not a list of strings."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a trace needs a name (a non-empty string), got {name!r}")
    user = _optional_text(user_id, "user_id")
    conversation = _optional_text(session_id, "session_id")
    own_tags = tags_list(tags)
    own_metadata = checked_metadata(metadata)
    parent = current_scope()
    merged_metadata = {
        **(parent.metadata if parent else {}),
        **injected_metadata(_optional_text(environment, "environment"),
                            _optional_text(project_id, "project_id")),
        **own_metadata,
    }  # fmt: skip
    scope = TraceScope.build(
        name,
        user_id=user or (parent.user_id if parent else None),
        conversation_id=conversation or (parent.conversation_id if parent else None),
        tags=list(dict.fromkeys([*(parent.tags if parent else ()), *own_tags])),
        metadata=merged_metadata,
    )
    record = TracingRecord(kinds.TRACE, name, metadata=merged_metadata or None)
    record.extra = {
        "user_id": scope.user_id,
        "conversation_id": scope.conversation_id,
        "tags": list(scope.tags),
    }
    attributes = {**start_attributes(kinds.TRACE, name), **scope.span_attributes}
    opened = OpenSpan(record, attributes)
    handle = TraceHandle(opened, scope)
    if trace_input is not None:
        handle.set_input(trace_input)
    context = otel_trace.set_span_in_context(opened.span)
    context = otel_context.set_value(_HANDLE_KEY, handle, with_scope(scope, context))
    opened.make_current(context)
    return handle


def current_trace() -> TraceHandle | None:
    """The innermost open trace of the current context, or None."""
    handle = otel_context.get_value(_HANDLE_KEY)
    if isinstance(handle, TraceHandle) and not handle.ended:
        return handle
    return None


def end_trace(*, trace_output: Any = None) -> bool:
    """End the current trace (with ``trace_output`` when given): ``True``, or
    ``False`` when no trace is open here (never started, or ended already). A
    trace ended from another thread is still current here: this call makes the
    context what it was before ``start_trace`` again (and returns ``False``)."""
    found = otel_context.get_value(_HANDLE_KEY)
    if isinstance(found, TraceHandle) and found.ended:
        found.release()
        return False
    handle = current_trace()
    if handle is None:
        return False
    if trace_output is not None:
        handle.set_output(trace_output)
    return handle.end()


@contextmanager
def trace(
    name: str,
    *,
    user_id: str | None = None,
    session_id: str | None = None,
    tags: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    trace_input: Any = None,
    environment: str | None = None,
    project_id: str | None = None,
) -> Iterator[TraceHandle]:
    """``with trace("rag", user_id="u1", session_id="s1") as t: ... t.set_output(...)``;
    an exception is recorded on the trace's span and re-raised unchanged."""
    handle = start_trace(
        name, user_id=user_id, session_id=session_id, tags=tags, metadata=metadata,
        trace_input=trace_input, environment=environment, project_id=project_id,
    )  # fmt: skip
    try:
        yield handle
    except BaseException as error:
        handle.end(error=error)
        raise
    handle.end()
