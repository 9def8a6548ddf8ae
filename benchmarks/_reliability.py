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

``workload()`` is the function for ``benchmarks/run.py`` to wire as rows.
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

from _timing import Plan, paired
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
        functions.outgoing_attributes = _identity  # type: ignore[assignment]
        spans.outgoing_attributes = _identity  # type: ignore[assignment]

    def on(self) -> None:
        functions.outgoing_attributes = self.real  # type: ignore[assignment]
        spans.outgoing_attributes = self.real  # type: ignore[assignment]


@observe
def _answer(question: str, user: str) -> str:
    return f"An API, {user}, is an interface."


def workload(plan: Plan) -> dict[str, dict[str, Any]]:
    call: Callable[[], Any] = lambda: _answer("What is an API?", user="ann@example.com")  # noqa: E731
    switch = _Without()
    rows: dict[str, dict[str, Any]] = {}
    observer.observe(session_name="bench-reliability")
    try:
        result = paired(plan, base=call, inst=call, enable=switch.on, disable=switch.off,
                        before_batch=observer._buffer.clear)  # fmt: skip
        rows["reliability/outgoing_unset"] = _row(result)
        switch.on()  # paired() leaves the base arm's state behind
        mask = lambda text: EMAIL.sub("<email>", text)  # noqa: E731
        result = paired(plan, base=call, inst=call, enable=lambda: aiobs_otel.set_mask(mask),
                        disable=lambda: aiobs_otel.set_mask(None),
                        before_batch=observer._buffer.clear)  # fmt: skip
        rows["reliability/mask_set"] = _row(result)
        attributes = Plan(plan.rounds, plan.batch * 20, plan.warmup)
        result = paired(attributes, base=lambda: _identity(CHAT_END),
                        inst=lambda: outgoing.outgoing_attributes(CHAT_END))  # fmt: skip
        rows["reliability/attributes_unset"] = _row(result)
    finally:
        switch.on()
        aiobs_otel.set_mask(None)
        observer.end()
        observer.reset()
    return rows


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
