"""llmops's ``TraceManager``: ``start_trace`` / ``end_trace`` / ``finalize_and_send``.

A thin layer over ``aiobs_otel.tracing``. What it adds is what an llmops
program, which never calls ``observer.observe()``, needs to be recorded:

* ``start_trace`` opens an aiobs session when none is active (named after the
  project id, else the trace; labels ``environment`` / ``project_id`` when
  known), so spans reach the JSON export and any OTLP endpoint configured;
* when the last trace open in that session ends (``end_trace`` or
  ``finalize_and_send``), the session is flushed: one ObservabilityExport
  file per trace run, as llmops sent one message per trace. A session you
  opened yourself (or zero-code's) is never flushed here: yours to flush.

Ending a trace that is not open returns ``False``; a failing flush is logged,
never raised into your code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .. import langfuse, tracing

logger = logging.getLogger("aiobs_otel")
_lock = threading.Lock()
_state: dict[str, Any] = {"session": None, "open": 0}


def _labels(environment: str | None, project_id: str | None) -> dict[str, str]:
    from .. import labels as label_rules

    found = tracing.injected_metadata(environment, project_id)
    out = {}
    for key, value in found.items():
        try:
            label_rules.validate_value(key, value)
        except ValueError:
            continue
        out[key] = value
    return out


def _open_session(name: str, environment: str | None, project_id: str | None) -> None:
    from .. import observer

    with _lock:
        if observer.session_id is None:
            session_name = project_id or tracing.injected_metadata(None, None).get("project_id")
            _state["session"] = observer.observe(
                session_name=session_name or name, labels=_labels(environment, project_id)
            )
            _state["open"] = 0
        if _state["session"] is not None and observer.session_id == _state["session"]:
            _state["open"] += 1


def _trace_ended() -> None:
    from .. import observer

    with _lock:
        owned = _state["session"]
        if owned is None:
            return
        if observer.session_id != owned:
            _state["session"] = None  # someone else took over the session
            return
        _state["open"] = max(_state["open"] - 1, 0)
        if _state["open"]:
            return
        _state["session"] = None
    try:
        observer.flush()
    except Exception:
        logger.warning("aiobs-otel: could not write the trace's export", exc_info=True)


class TraceManager:
    """llmops-observability's trace lifecycle, on ``aiobs_otel.tracing``."""

    @classmethod
    def start_trace(
        cls,
        name: str,
        project_id: str | None = None,
        environment: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        session_id: str | None = None,
        tags: Sequence[str] | None = None,
        trace_input: Any = None,
    ) -> str:
        """Open a trace; return its trace id (32 hex). ``session_id`` is the
        conversation (``gen_ai.conversation.id``)."""
        _open_session(name, environment, project_id)
        handle = tracing.start_trace(
            name, user_id=user_id, session_id=session_id, tags=tags, metadata=metadata,
            trace_input=trace_input, environment=environment, project_id=project_id,
        )  # fmt: skip
        project = handle.scope.metadata.get("project_id")
        if isinstance(project, str) and project:
            # llmops names the Langfuse trace after the project ("Trace Name (in
            # Langfuse): Uses PROJECT_ID"); the operation stays the span's name.
            langfuse.update_trace(handle.trace_id, handle.span_id, name=project)
        return handle.trace_id

    @classmethod
    def end_trace(cls) -> bool:
        """End the current trace: ``True``; ``False`` when none is open."""
        ended = tracing.end_trace()
        if ended:
            _trace_ended()
        return ended

    @classmethod
    def finalize_and_send(
        cls,
        user_id: str | None = None,
        session_id: str | None = None,
        trace_name: str | None = None,
        trace_input: Any = None,
        trace_output: Any = None,
    ) -> bool:
        """Set the trace's input and output (and a late name, user or session,
        which reach the trace's own span) and end it. ``False`` when no trace
        is open."""
        handle = tracing.current_trace()
        if handle is None:
            return False
        handle.update(name=trace_name, user_id=user_id, session_id=session_id)
        langfuse.update_trace(handle.trace_id, handle.span_id, name=trace_name,
                              session_id=session_id)  # fmt: skip
        if trace_input is not None:
            handle.set_input(trace_input)
        if trace_output is not None:
            handle.set_output(trace_output)
        ended = handle.end()
        if ended:
            _trace_ended()
        return ended
