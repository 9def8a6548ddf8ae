"""A 24-hour-like run: a million provider calls with a flush every 10,000.

What a long batch job or a service does: calls, and a flush now and then. The
process's resident memory (RSS, from ``/proc/self/statm``) is sampled after
every flush; it must stay flat: nothing of a flushed batch may stay behind
(records, bridges, metrics attribute sets, caches).

Each call goes through the whole chat lifecycle of the real instrumentor code
(the adapter reads the request, the span starts, metrics, cost, the record is
buffered) and returns a prebuilt ``ChatCompletion``: the SDK's own HTTP work
(about a millisecond per call) is left out so a million calls take minutes,
not a quarter of an hour. The model name changes every ten calls (100 names in
turn, as many metric series) and the user message every hundred calls, so
caches keyed by model or content see churn.

Usage::

    .venv/bin/python benchmarks/_memory.py --calls 100000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _workloads as W


@dataclass
class MemoryFigures:
    calls: int
    flush_every: int
    seconds: float
    rss_mib: list[float] = field(default_factory=list)  # after each flush

    @property
    def warm_mib(self) -> float:
        """RSS once the process is warm: after the first tenth of the flushes."""
        return self.rss_mib[max(0, len(self.rss_mib) // 10 - 1)]

    @property
    def growth_mib(self) -> float:
        return self.rss_mib[-1] - self.warm_mib

    @property
    def growth_per_100k_calls_kib(self) -> float:
        warm_calls = self.flush_every * max(1, len(self.rss_mib) // 10)
        span = max(1, self.calls - warm_calls)
        return self.growth_mib * 1024 / span * 100_000


def _rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _chat_lifecycle(clients: W.Clients) -> Any:
    """The instrumented chat wrapper, built as the instrumentor builds it."""
    from openai.types.chat import ChatCompletion
    from opentelemetry import metrics, trace

    from aiobs_otel.instrumentors.config import content_settings_from_env
    from aiobs_otel.instrumentors.lifecycle import Telemetry, sync_wrapper
    from aiobs_otel.instrumentors.metrics import GenAIMetrics
    from aiobs_otel.instrumentors.openai.chat import ChatAdapter

    telemetry = Telemetry(
        tracer=trace.get_tracer("aiobs_otel.openai"),
        metrics=GenAIMetrics(metrics.get_meter("aiobs_otel.openai")),
        content=content_settings_from_env(),
    )
    wrapper = sync_wrapper(telemetry, ChatAdapter())
    answer = ChatCompletion.model_validate(json.loads(W._chat_body()))

    def sdk_call(**kwargs: Any) -> Any:
        return answer

    instance = clients.openai.chat.completions

    def call(index: int) -> Any:
        model = f"{W.CHAT_MODEL}-{index // 10 % 100}"
        question = f"{W.MESSAGES[1]['content']} (variant {index // 100})"
        messages = [W.MESSAGES[0], {"role": "user", "content": question}]
        return wrapper(sdk_call, instance, (), {"model": model, "messages": messages})

    return call


def measure(calls: int, flush_every: int = 10_000) -> MemoryFigures:
    """``calls`` calls, a flush every ``flush_every`` (fewer for a short run,
    so there are at least ten RSS samples)."""
    from aiobs_otel import observer

    flush_every = max(1, min(flush_every, calls // 10))
    clients = W.make_clients()
    call = _chat_lifecycle(clients)
    figures = MemoryFigures(calls=calls, flush_every=flush_every, seconds=0.0)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aiobs-bench-memory-") as tmp:
        path = os.path.join(tmp, "export.json")
        for index in range(calls):
            call(index)
            if (index + 1) % flush_every == 0:
                observer.flush(path=path)  # closes the session, as in aiobs
                os.unlink(path)
                figures.rss_mib.append(_rss_mib())
                if index + 1 < calls:
                    observer.observe(session_name="benchmark", labels={"suite": "memory"})
    figures.seconds = time.perf_counter() - started
    return figures


def main() -> None:
    import _telemetry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--flush-every", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    pipeline = _telemetry.build_pipeline()
    figures = measure(args.calls, args.flush_every)
    pipeline.shutdown()
    if args.json:
        print(
            json.dumps(
                {
                    **asdict(figures),
                    "warm_mib": figures.warm_mib,
                    "growth_mib": figures.growth_mib,
                    "growth_per_100k_calls_kib": figures.growth_per_100k_calls_kib,
                }
            )
        )
        return
    print(f"{figures.calls:,} calls in {figures.seconds:.0f} s; RSS warm {figures.warm_mib:.1f} "
          f"MiB, end {figures.rss_mib[-1]:.1f} MiB ({figures.growth_mib:+.1f} MiB, "
          f"{figures.growth_per_100k_calls_kib:+.0f} KiB per 100k calls)")  # fmt: skip
    print("RSS after each flush (MiB):", " ".join(f"{v:.0f}" for v in figures.rss_mib))


if __name__ == "__main__":
    main()
