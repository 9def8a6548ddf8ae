"""What scheduling evaluations costs the evaluated call (the user's thread).

Usage::

    .venv/bin/python benchmarks/_evaluations.py      # a few seconds

Rows (added microseconds per call against an empty call, in process CPU time,
which counts the worker's threads too, and in wall time; and the ratio against
an uninstrumented OpenAI chat call on an in-process transport):
- ``evals/sampled_out``: ``schedule_evaluations`` for a call the sample leaves
  out (``sample_rate=0``): what every evaluated call pays;
- ``evals/sampled_in``: a sampled call: the bounded text copy of its input and
  output and the queue put (the judge, a no-op callable, runs on the worker);
- ``evals/queue_full``: a sampled call refused by a full queue (dropped, counted).

``workload()`` is the function for ``benchmarks/run.py`` to wire as rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _workloads as W
from _timing import Plan, paired
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from aiobs_otel.evaluations import (
    configure_judge,
    drain,
    schedule_evaluations,
    validate_eval_options,
)

INPUTS = {"messages": W.MESSAGES, "temperature": 0.2}


def _span_context() -> Any:
    with TracerProvider().get_tracer("bench").start_as_current_span("generation") as span:
        return span.get_span_context()


def workload(plan: Plan) -> dict[str, dict[str, float]]:
    context = _span_context()
    clients = W.make_clients()
    chat = W.chat_call(clients)
    rows: dict[str, dict[str, float]] = {}
    blocked = threading.Event()

    def verdict(request: Any) -> str:
        return '{"score": 1}'

    def stuck(request: Any) -> str:
        blocked.wait(120)
        return '{"score": 1}'

    cases = {  # name: (sample rate, judge, queue size, wait for the queue before a batch)
        "evals/sampled_out": (0.0, verdict, 100_000, True),
        "evals/sampled_in": (1.0, verdict, 100_000, True),
        "evals/queue_full": (1.0, stuck, 1, False),
    }
    for name, (rate, judge, queue_size, wait) in cases.items():
        configure_judge(client=judge, queue_size=queue_size, concurrency=1, timeout=300)
        options = validate_eval_options(evals=["correctness"], sample_rate=rate)

        def scheduled(options: Any = options) -> None:
            schedule_evaluations(options, span_context=context, inputs=INPUTS, output=W.ANSWER)

        before = (lambda: drain(60)) if wait else None
        alone = paired(plan, base=lambda: None, inst=scheduled, before_batch=before)

        def chat_and_schedule(scheduled: Any = scheduled) -> None:
            chat()
            scheduled()

        with_chat = paired(plan, base=chat, inst=chat_and_schedule, before_batch=before)
        rows[name] = {
            # CPU time counts every thread: for sampled_in, the worker's judging too
            "added_cpu_us": round(alone.cpu.added_us, 2),
            "added_wall_us": round(alone.wall.added_us, 2),
            "ratio_vs_chat": round(with_chat.cpu.ratio, 4),
        }
        blocked.set()
        drain(60)
        blocked.clear()
    configure_judge(None)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    trace.set_tracer_provider(TracerProvider())  # evaluation spans cost what they cost
    rows = workload(Plan(args.rounds, args.batch, 2))
    for name, data in rows.items():
        print(f"{name:20} {json.dumps(data)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)


if __name__ == "__main__":
    main()
