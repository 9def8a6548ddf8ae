"""``run.py --profile WORKLOAD``: where an instrumented call spends its time.

Profiles the instrumented workload with cProfile and prints the hottest
functions, first everywhere, then only in aiobs-otel and OpenTelemetry code
(what the instrumentation adds on top of the SDK call).
"""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from typing import Any

import _arms
import _telemetry
import _workloads as W

CALLS = {"chat": 400, "stream": 40, "embeddings": 400, "generate_content": 400, "observe": 50_000}


def _workload(name: str, clients: W.Clients) -> tuple[Callable[[], Any] | None, Any]:
    if name == "observe":
        from aiobs_otel import observe

        @observe
        def plain(a: int, b: int) -> int:
            return a + b

        return (lambda: plain(1, 2)), None
    makers = {"chat": (W.chat_call, _arms.AIOBS_CHAT),
              "stream": (W.stream_call, _arms.AIOBS_CHAT),
              "embeddings": (W.embeddings_call, _arms.AIOBS_EMBEDDINGS),
              "generate_content": (W.gemini_call, _arms.AIOBS_GENAI)}  # fmt: skip
    maker, spec = makers[name]
    return maker(clients), spec


def main(name: str) -> int:
    pipeline = _telemetry.build_pipeline()
    clients = W.make_clients()
    call, spec = _workload(name, clients)
    if call is None:
        print(f"{name}: the SDK is not installed")
        return 1
    switch = None
    if spec is not None:
        switch, status = _arms.open_switch(spec, pipeline, call)
        if switch is None:
            print(f"{name}: {status}")
            return 1
        switch.enable()
    for _ in range(20):
        call()
    pipeline.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(CALLS[name]):
        call()
    profiler.disable()
    _arms.close_all()
    views: list[tuple[str, tuple[str, ...]]] = [
        ("all code", ()),
        ("aiobs_otel + opentelemetry only", ("aiobs_otel|opentelemetry",)),
    ]
    for title, restriction in views:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(*restriction, 30)
        print(f"==== {name}, {CALLS[name]} instrumented calls, by own time: {title}")
        print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("aiobs_otel", 30)
    print(f"==== {name}: aiobs_otel functions by cumulative time")
    print(out.getvalue())
    return 0
