"""The sampled LLM judge: configuration, scheduling, stats and drain.

``schedule_evaluations`` runs on the user's thread right after the evaluated
function returned: one random draw (a seeded ``random.Random``, one draw per
call, so a seed gives a repeatable sample), then, for a sampled call, a
bounded text copy of its input and output and a non-blocking put on the
worker's queue. The judge runs later, on the worker, under an evaluation span
that is a child of the evaluated span; inside it a context flag marks the
judge's own calls, which are traced but never evaluated.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import time
from typing import Any

from opentelemetry.trace import SpanContext

from .. import env
from ..guard import report_internal_error
from ._clients import make_ask
from ._job import JudgeJob
from ._options import EvalOptions
from ._recent import recent_spans
from ._render import render
from ._spans import Target
from ._state import Judge, JudgeStats, in_judge, state
from ._worker import DrainResult, Worker

logger = logging.getLogger("aiobs_otel.evaluations")
EXIT_TIMEOUT_ENV = "AIOBS_EVAL_EXIT_TIMEOUT"


def configure_judge(
    client: Any = None,
    *,
    model: str | None = None,
    timeout: float = 30.0,
    temperature: float | None = None,
    json_mode: bool = True,
    queue_size: int = 1000,
    concurrency: int = 2,
    seed: int | None = None,
) -> None:
    """Set the judge once: an ``openai.OpenAI`` or ``google.genai.Client`` with
    ``model=``, or a callable ``(JudgeRequest) -> str | dict``. ``client=None``
    removes it. ``timeout`` bounds each judge call (seconds); ``seed`` makes
    the sampling repeatable; ``queue_size`` calls wait at most (more are dropped
    and counted); ``concurrency`` judge calls run at once."""
    if timeout <= 0 or queue_size < 1 or not 1 <= concurrency <= 16:
        raise ValueError("configure_judge: timeout > 0, queue_size >= 1, concurrency 1..16")
    judge: Judge | None = None
    if client is not None:
        ask, kind = make_ask(
            client, model, timeout=timeout, temperature=temperature, json_mode=json_mode
        )
        worker = Worker(queue_size=queue_size, concurrency=concurrency)
        judge = Judge(ask=ask, kind=kind, model=model, timeout=timeout, worker=worker)
    with state.lock:
        old, state.judge = state.judge, judge
        if judge is not None:
            state.workers.append(judge.worker)
        state.rng = random.Random(seed)
        install_exit_hook = judge is not None and not state.exit_hook
        state.exit_hook = state.exit_hook or install_exit_hook
    if old is not None:
        old.worker.retire()  # it finishes what it has queued
    if install_exit_hook:
        atexit.register(_drain_at_exit)


def is_judging() -> bool:
    """True inside a judge's call (its spans are traced, never evaluated)."""
    return in_judge.get()


def schedule_evaluations(
    options: EvalOptions | None,
    *,
    span_context: SpanContext,
    inputs: Any,
    output: Any,
    response_id: str | None = None,
    session_id: str | None = None,
) -> None:
    """After an evaluated call returned: maybe queue its judgement. Never blocks,
    never raises (a problem is logged), never changes the call's result.
    ``session_id``: the evaluated span's aiobs session, which the evaluation joins."""
    if options is None or in_judge.get() or not span_context.is_valid:
        return
    try:
        _schedule(options, span_context, inputs, output, response_id, session_id)
    except Exception:
        report_internal_error("scheduling an evaluation")


def _schedule(
    options: EvalOptions,
    span_context: SpanContext,
    inputs: Any,
    output: Any,
    response_id: str | None,
    session_id: str | None = None,
) -> None:
    with state.lock:
        state.counts["calls"] += 1
        sampled = state.rng.random() < options.sample_rate
        judge = state.judge
        if not sampled:
            state.counts["sampled_out"] += 1
            return
        if judge is None:
            state.counts["no_judge"] += 1
            warn, state.warned_no_judge = not state.warned_no_judge, True
    if judge is None:
        if warn:
            logger.warning("aiobs-otel: evaluations requested but no judge: call configure_judge()")
        return
    if judge.worker.full() or not judge.worker.submit(
        JudgeJob(
            judge,
            options,
            _target(span_context, response_id, session_id),
            render(inputs),
            render(output),
        )
    ):
        _dropped()
        return
    state.add("queued")


def _target(span_context: SpanContext, response_id: str | None, session_id: str | None) -> Target:
    known = response_id or recent_spans.response_id(span_context.span_id)
    return Target(span_context, f"{span_context.span_id:016x}", known, session_id)


def _dropped() -> None:
    with state.lock:
        state.counts["dropped"] += 1
        warn, state.warned_full = not state.warned_full, True
    if warn:
        logger.warning("aiobs-otel: the judge's queue is full; evaluations are dropped and counted")


def judge_stats() -> JudgeStats:
    """The judge's counters since the process started (see ``JudgeStats``)."""
    with state.lock:
        counts = dict(state.counts)
        workers = list(state.workers)
    counts["pending"] = sum(w.pending for w in workers)
    return JudgeStats(**counts)


def drain(timeout: float = 5.0, *, cancel_pending: bool = False) -> DrainResult:
    """Wait up to ``timeout`` seconds in all for queued and running judgements
    (call it before a flush, and at exit with ``cancel_pending=True``: what is
    still left is then recorded as failed ``abandoned`` evaluations and counted)."""
    if in_judge.get():  # a judge flushing would wait on itself
        return DrainResult(finished=False, pending=judge_stats().pending, abandoned=0)
    deadline = time.monotonic() + max(0.0, timeout)
    with state.lock:
        workers = list(state.workers)
    results = [w.drain(deadline - time.monotonic(), cancel_pending=cancel_pending) for w in workers]
    with state.lock:  # retired workers with nothing left are forgotten
        state.workers = [
            w for w in state.workers if not (w.pending == 0 and w is not _current_worker())
        ]
    return DrainResult(
        finished=all(r.finished for r in results),
        pending=sum(r.pending for r in results),
        abandoned=sum(r.abandoned for r in results),
    )


def _current_worker() -> Worker | None:
    return state.judge.worker if state.judge is not None else None


def _drain_at_exit() -> None:
    try:
        timeout = float(os.environ.get(EXIT_TIMEOUT_ENV, "5"))
    except ValueError:
        timeout = 5.0
    result = drain(timeout, cancel_pending=True)
    if result.abandoned:
        logger.warning("aiobs-otel: %d evaluation(s) abandoned at exit", result.abandoned)


FLUSH_TIMEOUT_ENV = "AIOBS_EVAL_FLUSH_TIMEOUT"


def finish_pending_judgements() -> None:
    """Before a flush: judgements still running join it, within
    ``AIOBS_EVAL_FLUSH_TIMEOUT`` seconds (default 5); later ones go in the next."""
    if judge_stats().pending:
        drain(env.number(FLUSH_TIMEOUT_ENV, 5.0, minimum=0))
