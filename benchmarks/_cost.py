"""What pricing one call costs: ``price_call`` on the hot path.

Usage::

    .venv/bin/python benchmarks/_cost.py            # a few seconds
    .venv/bin/python benchmarks/_cost.py --json out.json

Rows:
- ``cost/price_call``: one ``price_call`` for a known model (cached lookup), as
  a paired ratio against an uninstrumented OpenAI chat call on an in-process
  transport (the call it would be added to), and as added microseconds;
- ``cost/unknown_model``: the same for a model the table lacks (cached miss);
- ``cost/first_lookup``: the one-time costs, in a fresh interpreter: loading
  genai-prices' table, and the first lookup of one model name.

``workload()`` is the function for ``benchmarks/run.py`` to wire as a row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _workloads as W
from _timing import Plan, paired

from aiobs_otel.cost import price_call

_FIRST_LOOKUP = """
import time
from aiobs_otel.cost import preload_prices, price_call  # aiobs-otel itself loaded
t0 = time.perf_counter()
preload_prices()
t1 = time.perf_counter()
price_call(provider="gcp.gemini", model="gemini-2.5-flash", input_tokens=10, output_tokens=5)
t2 = time.perf_counter()
print(f"{(t1 - t0) * 1e3:.1f} {(t2 - t1) * 1e6:.1f}")
"""


def _priced(model: str) -> Any:
    def call() -> Any:
        return price_call(
            provider="openai",
            model=model,
            input_tokens=1500,
            output_tokens=800,
            cache_read_input_tokens=500,
            reasoning_output_tokens=None,
        )

    return call


def workload(plan: Plan, model: str = W.CHAT_MODEL) -> dict[str, Any]:
    """Paired: a chat call, against a chat call plus ``price_call`` for ``model``."""
    clients = W.make_clients()
    chat = W.chat_call(clients)
    priced = _priced(model)
    priced()  # the lookup is cached from here on, as in a running process

    def chat_and_price() -> Any:
        chat()
        return priced()

    result = paired(plan, base=chat, inst=chat_and_price)
    alone = paired(plan, base=lambda: None, inst=priced)
    return {
        "ratio_vs_chat": round(result.cpu.ratio, 4),
        "added_us": round(alone.cpu.added_us, 2),
        "added_iqr_us": [round(v, 2) for v in alone.cpu.added_iqr_us],
        "chat_us": round(result.cpu.base_us, 1),
    }


def first_lookup() -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _FIRST_LOOKUP], capture_output=True, text=True,
                          check=True)  # fmt: skip
    load_ms, first_us = (float(v) for v in done.stdout.split())
    return {"table_load_ms": load_ms, "first_lookup_us": first_us}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    plan = Plan(args.rounds, args.batch, 2)
    rows = {
        "cost/price_call": workload(plan),
        "cost/unknown_model": workload(plan, model="my-private-model"),
        "cost/first_lookup": first_lookup(),
    }
    for name, data in rows.items():
        print(f"{name:22} {json.dumps(data)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=2)


if __name__ == "__main__":
    main()
