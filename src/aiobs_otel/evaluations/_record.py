"""``record_evaluation``: a score, label and rationale for a span, by hand."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanContext

from .. import attributes as A
from . import _validate as V
from ._recent import parse_span_id, recent_spans
from ._spans import EvaluationResult, EvaluationSpan, Target

logger = logging.getLogger("aiobs_otel.evaluations")
DEFAULT_NAME = "evaluation"


def record_evaluation(
    *,
    name: str = DEFAULT_NAME,
    score: float | None = None,
    label: str | None = None,
    rationale: str | None = None,
    evaluated_span_id: str | None = None,
    evaluator_metadata: Mapping[str, Any] | None = None,
) -> EvaluationResult | None:
    """Record an evaluation of the current span (or of ``evaluated_span_id``).

    At least one of ``score`` (a finite number), ``label`` and ``rationale``
    (non-empty strings) is required, and ``evaluator_metadata`` must be a JSON
    object: otherwise ``ValueError``. Returns ``None`` when there is no active
    trace (no current span and no known ``evaluated_span_id``), else what was
    recorded: an ``evaluation {name}`` child span of the evaluated span carrying
    the GenAI ``gen_ai.evaluation.result`` event.

    Example::

        record_evaluation(name="status_check", score=1.0, label="healthy",
                          rationale="HTTP 200 and body.ok",
                          evaluator_metadata={"method": "rules_v1"})
    """
    checked_name = V.check_name(name)
    checked_score = V.check_score(score)
    checked_label = V.check_text("label", label, V.MAX_LABEL)
    checked_rationale = V.check_text("rationale", rationale, V.MAX_RATIONALE)
    span_id = V.check_span_id(evaluated_span_id)
    metadata = V.check_metadata("record_evaluation: evaluator_metadata", evaluator_metadata)
    if checked_score is None and checked_label is None and checked_rationale is None:
        raise ValueError("record_evaluation: give at least one of score, label or rationale")
    target = find_target(span_id)
    if target is None:
        logger.debug("aiobs-otel: record_evaluation(%r) outside any trace: not recorded", name)
        return None
    span = EvaluationSpan(name=checked_name, target=target, source="manual", metadata=metadata)
    return span.succeed(checked_score, checked_label, checked_rationale)


def find_target(evaluated_span_id: str | None) -> Target | None:
    """The evaluated span: the current one, or the one ``evaluated_span_id`` names
    (current, or recently started in this process). An id that names no span we
    know is kept as given, under the current span; without a current span, None."""
    current_span = trace.get_current_span()
    current = current_span.get_span_context()
    if evaluated_span_id is None:
        if not current.is_valid:
            return None
        return _target(current, f"{current.span_id:016x}", current_span)
    number = parse_span_id(evaluated_span_id)
    if number is not None:
        if current.is_valid and current.span_id == number:
            return _target(current, f"{number:016x}", current_span)
        remembered = recent_spans.find(number)
        if remembered is not None:
            return _target(remembered, f"{number:016x}", None)
    if not current.is_valid:
        return None
    return Target(context=current, evaluated_span_id=evaluated_span_id, response_id=None,
                  session_id=_session_of(current_span))  # fmt: skip


def _target(context: SpanContext, span_id: str, span: Any) -> Target:
    """A target with the evaluated span's response id, when it is known: set on
    the (still open) span itself, or seen when it or a child ended."""
    response_id = recent_spans.response_id(context.span_id)
    if response_id is None and span is not None:
        own = getattr(span, "attributes", None) or {}
        value = own.get(A.GEN_AI_RESPONSE_ID)
        response_id = value if isinstance(value, str) else None
    return Target(context=context, evaluated_span_id=span_id, response_id=response_id,
                  session_id=_session_of(span))  # fmt: skip


def _session_of(span: Any) -> str | None:
    """The aiobs session of a (recording) span, from its ``session.id``."""
    value = (getattr(span, "attributes", None) or {}).get(A.SESSION_ID)
    return value if isinstance(value, str) else None
