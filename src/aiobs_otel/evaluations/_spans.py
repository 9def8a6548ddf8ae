"""The evaluation span and its ``gen_ai.evaluation.result`` event.

An evaluation is an INTERNAL span ``evaluation {name}`` (``aiobs.span.kind`` =
``evaluation``, OpenInference kind EVALUATOR) whose parent is the evaluated
span, so it sits below it in every trace view. The GenAI event travels as a
span event on it (OTLP backends such as Phoenix take traces only), and also
through the OpenTelemetry logs API when a LoggerProvider is configured, with
the evaluated span's ids as the conventions ask.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider, LogRecord, get_logger_provider
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode

from .. import attributes as A
from ..records import deliver
from ..version import __version__
from ._export import EvaluationRecord

SCOPE = A.SCOPE_EVALUATIONS
_providers: dict[str, Any] = {"tracer": None, "logger": None}


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """What ``record_evaluation`` recorded (and what a judge recorded)."""

    name: str
    score: float | None
    label: str | None
    rationale: str | None
    trace_id: str
    span_id: str
    """The evaluation span's id (16 hex)."""
    evaluated_span_id: str
    """The evaluated span's id (16 hex), or the string the caller named it by."""
    response_id: str | None
    evaluator_metadata: dict[str, Any] | None
    source: str
    """``manual`` (record_evaluation) or ``llm_judge``."""
    error: str | None = None
    """``"ExcType: message"`` when the evaluation failed (a judge error)."""


@dataclass(frozen=True, slots=True)
class Target:
    """The span under evaluation (and the aiobs session it belongs to, so an
    evaluation finished later in the background still joins that session)."""

    context: SpanContext
    evaluated_span_id: str
    response_id: str | None
    session_id: str | None = None


def use_providers(*, tracer_provider: Any = None, logger_provider: Any = None) -> None:
    """Send evaluation spans (and log events) to these providers instead of the
    global ones (``None``: the global one)."""
    _providers["tracer"] = tracer_provider
    _providers["logger"] = logger_provider


def _tracer() -> trace.Tracer:
    return trace.get_tracer(SCOPE, __version__, tracer_provider=_providers["tracer"])


class EvaluationSpan:
    """One evaluation's span, started now and finished once (ok or failed)."""

    def __init__(
        self, *, name: str, target: Target, source: str, metadata: dict[str, Any] | None
    ) -> None:
        self.name = name
        self.target = target
        self.source = source
        self.metadata = metadata
        attributes: dict[str, Any] = {
            A.AIOBS_SPAN_KIND: "evaluation",
            A.OPENINFERENCE_SPAN_KIND: "EVALUATOR",
            A.GEN_AI_EVALUATION_NAME: name,
            A.AIOBS_EVALUATION_EVALUATED_SPAN_ID: target.evaluated_span_id,
            A.AIOBS_EVALUATION_SOURCE: source,
        }
        if target.response_id:
            attributes[A.GEN_AI_RESPONSE_ID] = target.response_id
        if target.session_id:
            attributes[A.SESSION_ID] = target.session_id
        if metadata:
            attributes[A.AIOBS_EVALUATION_METADATA] = json.dumps(metadata, ensure_ascii=False)
        parent = trace.set_span_in_context(NonRecordingSpan(target.context))
        self.span = _tracer().start_span(
            f"evaluation {name}", context=parent, kind=SpanKind.INTERNAL, attributes=attributes
        )
        self._lock = threading.Lock()
        self._done = False

    def succeed(
        self, score: float | None, label: str | None, rationale: str | None
    ) -> EvaluationResult | None:
        event: dict[str, Any] = {A.GEN_AI_EVALUATION_NAME: self.name}
        verdict: dict[str, Any] = {}
        for key, attribute, value in (
            ("score", A.GEN_AI_EVALUATION_SCORE_VALUE, score),
            ("label", A.GEN_AI_EVALUATION_SCORE_LABEL, label),
            ("rationale", A.GEN_AI_EVALUATION_EXPLANATION, rationale),
        ):
            if value is not None:
                event[attribute] = value
                verdict[key] = value
        return self._finish(event, verdict, score, label, rationale, None)

    def fail(self, error_type: str, message: str) -> EvaluationResult | None:
        event = {A.GEN_AI_EVALUATION_NAME: self.name, A.ERROR_TYPE: error_type}
        error = f"{error_type}: {message}"
        return self._finish(event, {"error": error}, None, None, None, error)

    @property
    def finished(self) -> bool:
        return self._done

    def _finish(
        self,
        event: dict[str, Any],
        verdict: dict[str, Any],
        score: float | None,
        label: str | None,
        rationale: str | None,
        error: str | None,
    ) -> EvaluationResult | None:
        with self._lock:  # a judge's worker and drain() may race to finish it
            if self._done:
                return None
            self._done = True
        if self.target.response_id:
            event[A.GEN_AI_RESPONSE_ID] = self.target.response_id
        span = self.span
        span.set_attributes({k: v for k, v in event.items() if k != A.GEN_AI_EVALUATION_NAME})
        span.set_attribute(A.OPENINFERENCE_OUTPUT_VALUE, json.dumps(verdict, ensure_ascii=False))
        span.set_attribute(A.OPENINFERENCE_OUTPUT_MIME_TYPE, "application/json")
        if error is not None:
            span.set_attribute(A.AIOBS_EVALUATION_ERROR, error)
            span.set_status(Status(StatusCode.ERROR, error))
        span.add_event(A.GEN_AI_EVALUATION_RESULT_EVENT, event)
        span.end()
        deliver(span, EvaluationRecord.of(span))  # for the JSON export, with its event
        _emit_log_event(event, self.target.context)
        own = span.get_span_context()
        return EvaluationResult(
            name=self.name,
            score=score,
            label=label,
            rationale=rationale,
            trace_id=f"{own.trace_id:032x}"
            if own.is_valid
            else f"{self.target.context.trace_id:032x}",
            span_id=f"{own.span_id:016x}" if own.is_valid else "",
            evaluated_span_id=self.target.evaluated_span_id,
            response_id=self.target.response_id,
            evaluator_metadata=self.metadata,
            source=self.source,
            error=error,
        )


def _logger_provider() -> LoggerProvider | None:
    provider = _providers["logger"] or get_logger_provider()
    # The API's stand-ins until an SDK provider is set: nothing would receive it.
    if type(provider).__name__ in ("ProxyLoggerProvider", "NoOpLoggerProvider"):
        return None
    return provider


def _emit_log_event(attributes: dict[str, Any], evaluated: SpanContext) -> None:
    provider = _logger_provider()
    if provider is None:
        return
    logger = provider.get_logger(SCOPE, __version__)
    try:  # the conventions: the event carries the evaluated span's ids
        record = LogRecord(
            context=trace.set_span_in_context(NonRecordingSpan(evaluated)),
            attributes=attributes,
            event_name=A.GEN_AI_EVALUATION_RESULT_EVENT,
        )
    except TypeError:  # opentelemetry-api before 1.35: no event_name, no context yet
        record = LogRecord(
            trace_id=evaluated.trace_id,
            span_id=evaluated.span_id,
            trace_flags=evaluated.trace_flags,
            attributes={**attributes, "event.name": A.GEN_AI_EVALUATION_RESULT_EVENT},
        )
    logger.emit(record)
