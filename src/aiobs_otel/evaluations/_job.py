"""One evaluated call's judgements: one evaluation span per criterion, the
judge asked under it (bounded by the judge's timeout), the verdict recorded."""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace

from ._clients import JudgeRequest
from ._criteria import Criterion, build_prompt
from ._options import EvalOptions
from ._spans import EvaluationSpan, Target
from ._state import Judge, in_judge, state
from ._verdict import VerdictError, parse_verdict

logger = logging.getLogger("aiobs_otel.evaluations")
_LOUD_FAILURES = 10  # judge failures logged as warnings; later ones at debug level


class JudgeJob:
    """The judgements of one evaluated call, one per criterion, in order."""

    def __init__(
        self, judge: Judge, options: EvalOptions, target: Target, input_text: str, output_text: str
    ) -> None:
        self.judge, self.options, self.target = judge, options, target
        self.input_text, self.output_text = input_text, output_text
        self._lock = threading.Lock()
        self._next = 0  # index of the next criterion to start
        self._current: EvaluationSpan | None = None
        self._abandoned = False

    def run(self) -> None:
        while True:
            with self._lock:
                if self._abandoned or self._next >= len(self.options.criteria):
                    return
                criterion = self.options.criteria[self._next]
                self._next += 1
                span = self._current = self._open(criterion)
            self._judge(criterion, span)

    def _open(self, criterion: Criterion) -> EvaluationSpan:
        metadata = {**self.options.metadata, "criterion": criterion.name, "judge": self.judge.kind}
        if self.judge.model:
            metadata["judge_model"] = self.judge.model
        return EvaluationSpan(
            name=criterion.name, target=self.target, source="llm_judge", metadata=metadata
        )

    def _judge(self, criterion: Criterion, span: EvaluationSpan) -> None:
        request = JudgeRequest(
            criterion=criterion.name,
            prompt=build_prompt(criterion, self.input_text, self.output_text),
            input_text=self.input_text,
            output_text=self.output_text,
            model=self.judge.model,
            metadata=self.options.metadata,
        )

        def call() -> Any:  # on the call's own thread: the evaluation span is its parent
            token = otel_context.attach(trace.set_span_in_context(span.span))
            in_judge.set(True)
            try:
                return self.judge.ask(request)
            finally:
                otel_context.detach(token)

        try:
            verdict = parse_verdict(self.judge.worker.call_bounded(call, self.judge.timeout))
        except VerdictError as exc:
            self._failed(span, "unparsable_verdict", str(exc))
        except TimeoutError as exc:
            self._failed(span, "timeout", str(exc))
        except Exception as exc:
            self._failed(span, type(exc).__name__, str(exc))
        else:
            if span.succeed(verdict.score, verdict.label, verdict.rationale) is not None:
                state.add("evaluations_ok")

    def _failed(self, span: EvaluationSpan, error_type: str, message: str) -> None:
        if span.fail(error_type, message) is None:
            return  # drain() abandoned it meanwhile, and counted it
        with state.lock:
            state.counts["evaluations_failed"] += 1
            loud = state.counts["evaluations_failed"] <= _LOUD_FAILURES
        logger.log(
            logging.WARNING if loud else logging.DEBUG,
            "aiobs-otel: judge %r of span %s failed (%s): %s; recorded as a failed evaluation",
            span.name,
            self.target.evaluated_span_id,
            error_type,
            message,
        )

    def abandon(self, reason: str) -> int:
        with self._lock:
            self._abandoned = True
            current = self._current
            never_started = list(self.options.criteria[self._next :])
            self._next = len(self.options.criteria)
        count = 0
        if current is not None and current.fail("abandoned", reason) is not None:
            count += 1
        for criterion in never_started:
            self._open(criterion).fail("abandoned", reason)
            count += 1
        state.add("evaluations_abandoned", count)
        return count
