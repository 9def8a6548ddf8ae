"""What the span kinds, capture options and trace contexts cost an ``@observe`` call.

Usage::

    .venv/bin/python benchmarks/_kinds.py      # about half a minute

Each row pairs two decorated versions of the same small function (two
arguments, a few locals) in the same process, with the SDK pipeline our
observer builds (session and trace-context processors, a no-op exporter), and
reports the ratio and the added microseconds per call in CPU time:

- ``kinds/capture_off``: ``@observe(capture_locals=False, capture_self=False)``
  against a plain ``@observe``: "zero cost when off" (the ratio should be 1);
- ``kinds/capture_locals``: ``capture_locals=True`` against a plain ``@observe``
  (the profile hook for one frame, the locals' JSON);
- ``kinds/tool``: ``kind="tool"`` (call id, arguments and result as JSON);
- ``kinds/generation``: ``kind="generation"`` returning a chat-completion dict
  (prompt, response, usage, cost);
- ``kinds/in_trace``: a plain ``@observe`` inside a trace context against the
  same call outside one (the attributes stamped on each span).

``workload()`` is the function for ``benchmarks/run.py`` to wire as rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import Plan, paired
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from aiobs_otel import observe, observer
from aiobs_otel.tracing import trace as trace_context

COMPLETION = {
    "object": "chat.completion", "id": "chatcmpl-1", "model": "gpt-4o-mini",
    "choices": [{"message": {"role": "assistant", "content": "An API is an interface."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 7},
}  # fmt: skip


class _Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _body(a: int, b: int) -> int:
    total = a + b
    scaled = total * 2
    return scaled


def _decorated(**options: Any) -> Callable[..., Any]:
    def body(a: int, b: int) -> int:
        total = a + b
        scaled = total * 2
        return scaled

    decorated: Callable[..., Any] = observe(**options)(body)
    return decorated


def workload(plan: Plan) -> dict[str, dict[str, float]]:
    plain = observe(_body)
    off = _decorated(capture_locals=False, capture_self=False)
    local = _decorated(capture_locals=True)
    tool = _decorated(kind="tool")

    @observe(kind="generation", model="gpt-4o-mini")
    def generation(prompt: str) -> dict[str, Any]:
        return COMPLETION

    cases: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "kinds/capture_off": (lambda: plain(1, 2), lambda: off(1, 2)),
        "kinds/capture_locals": (lambda: plain(1, 2), lambda: local(1, 2)),
        "kinds/tool": (lambda: plain(1, 2), lambda: tool(1, 2)),
        "kinds/generation": (lambda: plain(1, 2), lambda: generation("What is an API?")),
    }
    rows: dict[str, dict[str, float]] = {}
    observer.observe(session_name="bench-kinds")
    for name, (base, inst) in cases.items():
        result = paired(plan, base=base, inst=inst, before_batch=observer._buffer.clear)
        rows[name] = _row(result)
    with trace_context("bench", user_id="u1", session_id="c1", tags=["a", "b"],
                       metadata={"version": "1"}):  # fmt: skip
        inside = otel_context.get_current()
        # the same parent span, without the trace context
        outside = trace.set_span_in_context(trace.get_current_span(), otel_context.Context())
        result = paired(plan, base=lambda: _run_in(outside, plain),
                        inst=lambda: _run_in(inside, plain),
                        before_batch=observer._buffer.clear)  # fmt: skip
        rows["kinds/in_trace"] = _row(result)
    observer.end()
    observer.reset()
    return rows


def _run_in(context: Any, func: Callable[..., Any]) -> Any:
    token = otel_context.attach(context)
    try:
        return func(1, 2)
    finally:
        otel_context.detach(token)


def _row(result: Any) -> dict[str, float]:
    return {
        "ratio": round(result.cpu.ratio, 4),
        "added_cpu_us": round(result.cpu.added_us, 2),
        "base_cpu_us": round(result.cpu.base_us, 2),
        "added_wall_us": round(result.wall.added_us, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Drop()))
    trace.set_tracer_provider(provider)
    rows = workload(Plan(args.rounds, args.batch, 2))
    for name, data in rows.items():
        print(f"{name:22} {json.dumps(data)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)


if __name__ == "__main__":
    main()
