"""Evaluations: recorded scores, and a sampled LLM judge that never blocks.

Usage::

    from aiobs_otel.evaluations import record_evaluation, configure_judge

    record_evaluation(name="status_check", score=1.0, label="healthy",
                      rationale="HTTP 200", evaluator_metadata={"method": "rules_v1"})

    configure_judge(client=openai.OpenAI(), model="gpt-4o-mini")
    # then @observe(kind="generation", evals=["correctness"], sample_rate=0.2)

Each evaluation is an ``evaluation {name}`` span below the evaluated span,
carrying the GenAI ``gen_ai.evaluation.result`` event.
"""

from ._clients import JudgeRequest
from ._criteria import BUILT_IN, Criterion
from ._export import evaluation_entry, evaluations_by_span, is_evaluation_span
from ._judge import (
    EXIT_TIMEOUT_ENV,
    configure_judge,
    drain,
    finish_pending_judgements,
    is_judging,
    judge_stats,
    schedule_evaluations,
)
from ._options import EvalOptions, validate_eval_options
from ._recent import RecentSpans, recent_spans
from ._record import record_evaluation
from ._spans import SCOPE, EvaluationResult, use_providers
from ._state import JudgeStats
from ._verdict import Verdict, VerdictError, parse_verdict
from ._worker import DrainResult

BUILT_IN_CRITERIA = tuple(BUILT_IN)

__all__ = [
    "BUILT_IN_CRITERIA",
    "EXIT_TIMEOUT_ENV",
    "SCOPE",
    "Criterion",
    "DrainResult",
    "EvalOptions",
    "EvaluationResult",
    "JudgeRequest",
    "JudgeStats",
    "RecentSpans",
    "Verdict",
    "VerdictError",
    "configure_judge",
    "drain",
    "evaluation_entry",
    "evaluations_by_span",
    "finish_pending_judgements",
    "is_evaluation_span",
    "is_judging",
    "judge_stats",
    "parse_verdict",
    "recent_spans",
    "record_evaluation",
    "schedule_evaluations",
    "use_providers",
    "validate_eval_options",
]
