"""The capabilities users switch on, measured on the run's own pipeline.

Rows (each paired against the call without the feature, in the same process):

- ``features/chat_in_trace``: the instrumented chat call inside an open trace
  context (user, session, tags, metadata) and under an ``@observe(kind="agent")``
  parent, against the same uninstrumented call in the same context: the chat
  call as an llmops user runs it (kinds, trace context and cost all on);
- ``features/capture_off``, ``capture_locals``, ``tool``, ``generation``:
  decorated variants of one small function against a plain ``@observe``
  (capture off must cost nothing; the others say what they add);
- ``features/observe_in_trace``: a plain ``@observe`` inside a trace context
  against the same call outside one (the attributes stamped on each span);
- ``features/price_call``: pricing one call (the cached lookup every provider
  call does), against an empty call;
- ``features/eval_sampled_out`` / ``eval_sampled_in``: scheduling an evaluation
  for a call the sample leaves out / takes (the judge, a no-op callable, runs
  on the worker thread; CPU time counts it).
- ``reliability/*`` (``_reliability.py``): the outgoing-string pass of every
  span (lone surrogates, the user's mask) unset, and with a mask set;
- ``langfuse/span`` (``_langfuse.py``): a span in a trace context with the
  Langfuse processor (its ``langfuse.*`` attributes and the batch hand-off).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import _workloads as W
from _report import Row, ratio_text, us
from _telemetry import Pipeline
from _timing import Paired, Plan, paired
from opentelemetry import context as otel_context
from opentelemetry import trace

COMPLETION = {
    "object": "chat.completion", "id": "chatcmpl-1", "model": "gpt-4o-mini",
    "choices": [{"message": {"role": "assistant", "content": "An API is an interface."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 7},
}  # fmt: skip
TRACE = {"user_id": "user-1", "session_id": "conversation-1", "tags": ["rag", "bench"],
         "metadata": {"version": "1"}}  # fmt: skip


def feature_row(row_id: str, workload: str, baseline: str, result: Paired, *,
                ratios: bool = True) -> Row:  # fmt: skip
    """``ratios=False`` for a baseline that is an empty call (a ratio to nothing
    says nothing; the added time is the figure)."""
    cpu = result.cpu
    low, high = cpu.added_iqr_us
    return Row(
        id=row_id, workload=workload, arm=f"vs {baseline}",
        base=us(cpu.base_us), inst=us(cpu.inst_us),
        added=f"{us(cpu.added_us)} [{low:,.1f} to {high:,.1f}]",
        ratio=ratio_text(cpu.ratio, cpu.ratio_iqr) if ratios else "",
        wall=ratio_text(result.wall.ratio, result.wall.ratio_iqr) if ratios else "",
        data={"rounds": len(cpu.base_ns), "cpu_added_us": cpu.added_us, "cpu_ratio": cpu.ratio,
              "cpu_base_us": cpu.base_us, "wall_added_us": result.wall.added_us},
    )  # fmt: skip


def _small(a: int, b: int) -> int:
    total = a + b
    scaled = total * 2
    return scaled


def _decorated(**options: Any) -> Callable[..., Any]:
    from aiobs_otel import observe

    def small(a: int, b: int) -> int:
        total = a + b
        scaled = total * 2
        return scaled

    decorated: Callable[..., Any] = observe(**options)(small)
    return decorated


def _in_context(context: Any, func: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        token = otel_context.attach(context)
        try:
            return func()
        finally:
            otel_context.detach(token)

    return run


def chat_in_trace(plan: Plan, pipeline: Pipeline, chat: Callable[[], Any],
                  enable: Callable[[], None], disable: Callable[[], None]) -> Row:  # fmt: skip
    from aiobs_otel import observe
    from aiobs_otel.tracing import trace as trace_context

    contexts: list[Any] = []

    @observe(kind="agent", name="agent")
    def agent() -> None:
        contexts.append(otel_context.get_current())

    with trace_context("bench-pipeline", **TRACE):  # type: ignore[arg-type]
        agent()
    # the agent span (ended) stays the parent of every call of both arms
    (context,) = contexts
    call = _in_context(context, chat)
    result = paired(plan, base=call, inst=call, enable=enable, disable=disable,
                    before_batch=pipeline.clear)  # fmt: skip
    return feature_row("features/chat_in_trace",
                       "chat in a trace context, under an agent span (cost on)",
                       "uninstrumented chat, same context", result)  # fmt: skip


def decorator_rows(plan: Plan, pipeline: Pipeline) -> list[Row]:
    from aiobs_otel import observe
    from aiobs_otel.tracing import trace as trace_context

    plain = observe(_small)

    @observe(kind="generation", model="gpt-4o-mini")
    def generation(prompt: str) -> dict[str, Any]:
        return COMPLETION

    off = _decorated(capture_locals=False, capture_self=False)
    local = _decorated(capture_locals=True)
    tool = _decorated(kind="tool")
    cases = [
        ("capture_off", "@observe(capture_locals=False, capture_self=False)", lambda: off(1, 2)),
        ("capture_locals", "@observe(capture_locals=True)", lambda: local(1, 2)),
        ("tool", '@observe(kind="tool")', lambda: tool(1, 2)),
        ("generation", '@observe(kind="generation") returning a completion dict',
         lambda: generation("What is an API?")),
    ]  # fmt: skip
    rows = []
    for key, workload, inst in cases:
        result = paired(plan, base=lambda: plain(1, 2), inst=inst, before_batch=pipeline.clear)
        rows.append(feature_row(f"features/{key}", workload, "plain @observe", result))
    with trace_context("bench", **TRACE):  # type: ignore[arg-type]
        inside = otel_context.get_current()
    outside = otel_context.Context()
    result = paired(plan, base=_in_context(outside, lambda: plain(1, 2)),
                    inst=_in_context(inside, lambda: plain(1, 2)),
                    before_batch=pipeline.clear)  # fmt: skip
    rows.append(feature_row("features/observe_in_trace", "@observe inside a trace context",
                            "the same call outside one", result))  # fmt: skip
    return rows


def cost_and_evaluation_rows(plan: Plan) -> list[Row]:
    from aiobs_otel.cost import price_call
    from aiobs_otel.evaluations import (
        configure_judge,
        drain,
        schedule_evaluations,
        validate_eval_options,
    )

    def priced() -> Any:
        return price_call(provider="openai", model=W.CHAT_MODEL, input_tokens=1500,
                          output_tokens=800, cache_read_input_tokens=500,
                          reasoning_output_tokens=None)  # fmt: skip

    priced()  # the lookup is cached from here on, as in a running process
    rows = [feature_row("features/price_call", "price_call (a known model, cached lookup)",
                        "an empty call", paired(plan, base=lambda: None, inst=priced),
                        ratios=False)]  # fmt: skip
    with trace.get_tracer("bench").start_as_current_span("generation") as span:
        context = span.get_span_context()
    configure_judge(client=lambda request: '{"score": 1}', queue_size=100_000, concurrency=1,
                    timeout=300)  # fmt: skip
    inputs = {"messages": W.MESSAGES, "temperature": 0.2}
    try:
        for key, rate in (("eval_sampled_out", 0.0), ("eval_sampled_in", 1.0)):
            options = validate_eval_options(evals=["correctness"], sample_rate=rate)

            def scheduled(options: Any = options) -> None:
                schedule_evaluations(options, span_context=context, inputs=inputs,
                                     output=W.ANSWER)  # fmt: skip

            result = paired(plan, base=lambda: None, inst=scheduled,
                            before_batch=lambda: drain(60))  # fmt: skip
            label = f"schedule_evaluations, sample_rate={rate:g} (judge on the worker)"
            rows.append(feature_row(f"features/{key}", label, "an empty call", result,
                                    ratios=False))  # fmt: skip
    finally:
        drain(60)
        configure_judge(None)
    return rows


def outgoing_rows(plan: Plan, pipeline: Pipeline) -> list[Row]:
    import _langfuse
    import _reliability

    labels = {
        "reliability/outgoing_unset": ("@observe, the outgoing-string pass in place (no mask)",
                                       "the pass replaced by the identity", True),
        "reliability/mask_set": ("@observe with a regex mask set (set_mask)", "no mask", True),
        "reliability/attributes_unset": ("the outgoing pass on a chat call's 16 attributes",
                                         "the identity", False),
    }  # fmt: skip
    rows = []
    for row_id, result in _reliability.measure(plan, pipeline.clear).items():
        workload, baseline, ratios = labels[row_id]
        rows.append(feature_row(row_id, workload, baseline, result, ratios=ratios))
    rows.append(feature_row("langfuse/span", "a span in a trace context, Langfuse configured",
                            "the same span without Langfuse", _langfuse.measure(plan)))  # fmt: skip
    return rows
