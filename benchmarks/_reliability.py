"""What the outgoing-string work (lone surrogates made encodable, the user's
mask) costs an ``@observe`` call and a provider-call-sized attribute set.

Usage::

    .venv/bin/python benchmarks/_reliability.py      # about half a minute

Rows (CPU time, paired and interleaved in one process, see ``_timing``):

- ``reliability/outgoing_unset``: a plain ``@observe`` call with the
  outgoing pass in place (no mask set) against the same call with that pass
  replaced by the identity — the code as if the hook did not exist. The
  ratio should be 1: unset, the hook is one ``is None`` test and one
  ``str.isascii()`` per string attribute.
- ``reliability/mask_set``: the same call with a regex mask set
  (``set_mask``) against no mask.
- ``reliability/attributes_unset``: ``outgoing_attributes`` on the 16
  attributes of a chat call (ASCII), against the identity: the absolute
  time it adds per span.

``measure()`` gives ``benchmarks/run.py`` the rows (``_features.outgoing_rows``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import Paired, Plan, paired
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

import aiobs_otel
from aiobs_otel import functions, observe, observer, outgoing, spans

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
CHAT_END = {
    "gen_ai.response.id": "chatcmpl-1", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 7, "gen_ai.usage.cost.amount": 0.0001,
    "gen_ai.usage.cost.currency": "USD", "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
    "server.address": "api.openai.com", "server.port": 443, "aiobs.api": "chat.completions.create",
    "gen_ai.input.messages":
        '[{"role":"user","parts":[{"type":"text","content":"What is an API?"}]}]',
    "gen_ai.output.messages":
        '[{"role":"assistant","parts":[{"type":"text","content":"An interface."}]}]',
    "code.function.name": "main",
}  # fmt: skip


class _Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _identity(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    return attributes


class _Without:
    """Switches the outgoing pass off (the identity) and back on."""

    def __init__(self) -> None:
        self.real = outgoing.outgoing_attributes

    def off(self) -> None:
        self._use(_identity)

    def on(self) -> None:
        self._use(self.real)

    @staticmethod
    def _use(outgoing_pass: Callable[[Mapping[str, Any]], Any]) -> None:
        # The two modules that call the pass imported it by name.
        for module in (functions, spans):
            setattr(module, "outgoing_attributes", outgoing_pass)  # noqa: B010


@observe
def _answer(question: str, user: str) -> str:
    return f"An API, {user}, is an interface."


def measure(plan: Plan, before_batch: Callable[[], Any]) -> dict[str, Paired]:
    """The three rows' paired results; ``before_batch`` empties whatever buffers
    the ended spans (the observer's, or the benchmark pipeline's)."""
    call: Callable[[], Any] = lambda: _answer("What is an API?", user="ann@example.com")  # noqa: E731
    switch = _Without()
    results: dict[str, Paired] = {}
    try:
        results["reliability/outgoing_unset"] = paired(
            plan, base=call, inst=call, enable=switch.on, disable=switch.off,
            before_batch=before_batch)  # fmt: skip
        switch.on()  # paired() leaves the base arm's state behind
        mask = lambda text: EMAIL.sub("<email>", text)  # noqa: E731
        results["reliability/mask_set"] = paired(
            plan, base=call, inst=call, enable=lambda: aiobs_otel.set_mask(mask),
            disable=lambda: aiobs_otel.set_mask(None), before_batch=before_batch)  # fmt: skip
        attributes = Plan(plan.rounds, plan.batch * 20, plan.warmup)
        results["reliability/attributes_unset"] = paired(
            attributes, base=lambda: _identity(CHAT_END),
            inst=lambda: outgoing.outgoing_attributes(CHAT_END))  # fmt: skip
    finally:
        switch.on()
        aiobs_otel.set_mask(None)
    return results


def workload(plan: Plan) -> dict[str, dict[str, Any]]:
    observer.observe(session_name="bench-reliability")
    try:
        results = measure(plan, observer._buffer.clear)
    finally:
        observer.end()
        observer.reset()
    return {name: _row(result) for name, result in results.items()}


def _row(result: Any) -> dict[str, Any]:
    low, high = result.cpu.added_iqr_us
    return {
        "ratio": round(result.cpu.ratio, 4),
        "added_cpu_us": round(result.cpu.added_us, 3),
        "added_cpu_iqr_us": [round(low, 3), round(high, 3)],
        "base_cpu_us": round(result.cpu.base_us, 3),
        "added_wall_us": round(result.wall.added_us, 3),
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
        print(f"{name:30} {json.dumps(data)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)


if __name__ == "__main__":
    main()
