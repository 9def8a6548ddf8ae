"""What aiobs-otel costs: one command, one process, ratios against uninstrumented runs.

Usage::

    .venv/bin/python benchmarks/run.py            # full run (5 to 10 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # smoke run (under ~30 s)
    .venv/bin/python benchmarks/run.py --write    # also update BENCHMARKS.md
    .venv/bin/python benchmarks/run.py --profile chat   # where the instrumented time goes

The other OpenAI instrumentations are measured when installed (BENCHMARKS.md
says how to set up the separate venv that holds them, and the method).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _arms
import _export
import _report
import _telemetry
import _workloads as W
from _report import Row, ratio_text, us, verdict
from _timing import Paired, Plan, Series, paired

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHAT_TARGET = 1.03
CHUNK_TARGET_US = 5.0
OBSERVE_TARGET_US = 10.0
EXPORT_TARGET = 20_000
OURS_TITLE = "aiobs-otel overhead (per call; Added = median paired difference [IQR])"
OTHERS_TITLE = "OpenAI chat under each instrumentation (same pipeline, same process)"


@dataclass
class Plans:
    call: Plan
    stream: Plan
    observe: Plan
    spans: int
    groups: int
    flush_repeats: int


def make_plans(args: argparse.Namespace) -> Plans:
    if args.quick:
        plans = Plans(Plan(5, 3, 1), Plan(3, 1, 1), Plan(5, 200, 1), 3_000, 6, 1)
    else:
        plans = Plans(Plan(60, 15, 3), Plan(40, 4, 2), Plan(40, 500, 3), 100_000, 200, 1)
    for plan in (plans.call, plans.stream, plans.observe):
        if args.rounds:
            plan.rounds, plan.warmup = args.rounds, min(plan.warmup, 1)
        if args.batch:
            plan.batch = args.batch
    if args.spans:
        plans.spans, plans.groups = args.spans, min(plans.groups, max(1, args.spans // 50))
    return plans


# --- rows ----------------------------------------------------------------------------


def unavailable(row_id: str, workload: str, arm: str, status: str, target: str = "") -> Row:
    return Row(id=row_id, workload=workload, arm=arm, status=status, target=target)


def provider_row(row_id: str, workload: str, arm: str, result: Paired, *, target: str,
                 check: Callable[[Series], str], added_per: int = 1) -> Row:  # fmt: skip
    """Absolute times, added time and ratio on CPU time (the verdict's clock), and
    the wall-time ratio beside it."""
    cpu, wall = result.cpu, result.wall
    low, high = (v / added_per for v in cpu.added_iqr_us)
    unit = "/chunk" if added_per > 1 else ""
    return Row(
        id=row_id, workload=workload, arm=arm,
        base=us(cpu.base_us), inst=us(cpu.inst_us),
        added=f"{us(cpu.added_us / added_per)}{unit} [{low:,.1f} to {high:,.1f}]",
        ratio=ratio_text(cpu.ratio, cpu.ratio_iqr), wall=ratio_text(wall.ratio, wall.ratio_iqr),
        target=target, result=check(cpu),
        data={"rounds": len(cpu.base_ns), "per": added_per, **_numbers("cpu", cpu),
              **_numbers("wall", wall)},
    )  # fmt: skip


def _numbers(clock: str, series: Series) -> dict[str, float]:
    names = ("base_us", "inst_us", "added_us", "ratio")
    return {f"{clock}_{name}": getattr(series, name) for name in names}


def chat_check(result: Series) -> str:
    if result.ratio <= CHAT_TARGET:
        return "met"
    over = (result.ratio - 1) * 100
    return f"missed: +{over:.1f}% vs the +{(CHAT_TARGET - 1) * 100:.0f}% budget"


def chunk_check(result: Series) -> str:
    per_chunk = result.added_us / W.STREAM_CHUNKS
    return verdict(per_chunk, CHUNK_TARGET_US, higher_is_better=False, unit="µs/chunk")


def measure_arm(spec: _arms.ArmSpec, key: str, workload: str,
                call: Callable[[], Any] | None, plan: Plan, pipeline: _telemetry.Pipeline, *,
                target: str = "", check: Callable[[Series], str] = lambda _r: "",
                added_per: int = 1) -> tuple[Row, _arms.Switch | None]:  # fmt: skip
    """One workload with and without one instrumentation; the row is a status
    instead of numbers when the instrumentation cannot run."""
    row_id = f"{key}/{spec.key}"
    if call is None:
        return unavailable(row_id, workload, spec.key, "SDK not installed", target), None
    switch, status = _arms.open_switch(spec, pipeline, call)
    if switch is None:
        return unavailable(row_id, workload, spec.key, status, target), None
    try:
        result = paired(plan, base=call, inst=call, enable=switch.enable,
                        disable=switch.disable, before_batch=pipeline.clear)  # fmt: skip
    except Exception as error:
        return unavailable(row_id, workload, spec.key, f"error: {error!r}", target), None
    row = provider_row(row_id, workload, spec.key, result, target=target, check=check,
                       added_per=added_per)  # fmt: skip
    traced, untraced = _arms.check_switch(switch, pipeline, call)
    if traced == 0 or untraced:
        status = f"switch check failed after the run: {traced} spans on, {untraced} off"
    notes = [n for n in (row.result, switch.shape, status if status != "ok" else "") if n]
    row.result = "; ".join(notes)
    return row, switch


def observe_rows(plan: Plan, pipeline: _telemetry.Pipeline) -> list[Row]:
    """``@observe`` on a trivial function, and the floor any OpenTelemetry-based
    decorator pays: a bare ``start_as_current_span`` on the same pipeline."""
    from opentelemetry import trace

    from aiobs_otel import attributes as A
    from aiobs_otel import observe

    def plain(a: int, b: int) -> int:
        return a + b

    traced = observe(plain)
    tracer = trace.get_tracer(A.SCOPE_FUNCTIONS)

    def bare() -> int:
        with tracer.start_as_current_span("plain"):
            return plain(1, 2)

    target = f"≤ {OBSERVE_TARGET_US:g} µs/call"

    def check(r: Series) -> str:
        return verdict(r.added_us, OBSERVE_TARGET_US, higher_is_better=False, unit="µs")

    rows = []
    for row_id, workload, arm, inst, row_target in (
        ("observe/aiobs-otel", "@observe (trivial function)", "aiobs-otel",
         lambda: traced(1, 2), target),
        ("observe/sdk-floor", "bare SDK span (reference)", "opentelemetry-sdk", bare, ""),
    ):  # fmt: skip
        result = paired(plan, base=lambda: plain(1, 2), inst=inst, before_batch=pipeline.clear)
        rows.append(provider_row(row_id, workload, arm, result, target=row_target,
                                 check=check if row_target else (lambda _r: "")))  # fmt: skip
    return rows


def genai_floor_row(plan: Plan, pipeline: _telemetry.Pipeline) -> Row:
    """What OpenTelemetry itself charges for one chat call's telemetry, with
    none of our code on the path: a CLIENT span carrying the attributes our
    chat span carries (built beforehand, not timed), ended, plus the three
    GenAI histogram records. The chat row's "Added" minus this is our code."""
    from opentelemetry.trace import SpanKind

    from aiobs_otel import attributes as A
    from aiobs_otel.instrumentors import semconv
    from aiobs_otel.instrumentors.lifecycle import span_name
    from aiobs_otel.instrumentors.openai.chat import API, ChatAdapter
    from aiobs_otel.instrumentors.record import LLMCall

    kwargs = {"model": W.CHAT_MODEL, "messages": W.MESSAGES, "temperature": 0.2,
              "max_tokens": 120}  # fmt: skip
    adapter = ChatAdapter()
    call = LLMCall(api=API, provider="")
    adapter.request(call, None, kwargs)
    call.content = True
    adapter.content(call, kwargs)
    name = span_name(call.operation, call.request_model)
    request = semconv.start_attributes(call)
    content = semconv.content_attributes(call)
    response = {
        A.GEN_AI_RESPONSE_ID: "chatcmpl-bench",
        A.GEN_AI_RESPONSE_MODEL: W.CHAT_MODEL + "-2024-07-18",
        A.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
        A.GEN_AI_USAGE_INPUT_TOKENS: 31,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: 34,
        A.GEN_AI_OUTPUT_MESSAGES: content.get(A.GEN_AI_INPUT_MESSAGES, "[]"),
    }
    tracer = pipeline.tracer_provider.get_tracer("aiobs_otel.bench_floor")
    meter = pipeline.meter_provider.get_meter("aiobs_otel.bench_floor")
    duration = meter.create_histogram(A.METRIC_OPERATION_DURATION, unit="s")
    tokens = meter.create_histogram(A.METRIC_TOKEN_USAGE, unit="{token}")
    metric_keys = (A.GEN_AI_OPERATION_NAME, A.GEN_AI_PROVIDER_NAME, A.GEN_AI_REQUEST_MODEL)
    metric_attributes = {k: request[k] for k in metric_keys if k in request}

    def floor() -> None:
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=request)
        span.set_attributes(content)
        span.set_attributes(response)
        span.end()
        duration.record(0.5, metric_attributes)
        tokens.record(31, {**metric_attributes, A.GEN_AI_TOKEN_TYPE: "input"})
        tokens.record(34, {**metric_attributes, A.GEN_AI_TOKEN_TYPE: "output"})

    result = paired(plan, base=lambda: None, inst=floor, before_batch=pipeline.clear)
    return provider_row("chat/sdk-floor", "chat telemetry, OpenTelemetry SDK only (reference)",
                        "opentelemetry-sdk", result, target="", check=lambda _r: "")  # fmt: skip


def export_row(plans: Plans, pipeline: _telemetry.Pipeline, calls: dict[str, Any],
               switches: list[_arms.Switch]) -> tuple[Row, dict[str, Any]]:  # fmt: skip
    templates = _export.real_spans(pipeline, calls, switches, plans.groups)
    result = _export.measure(pipeline, templates, plans.spans, plans.flush_repeats)
    data = {**result.__dict__, "convert_rate": result.convert_rate,
            "flush_rate": result.flush_rate}  # fmt: skip
    mix = "" if switches else " (provider instrumentors not available: @observe spans only)"
    peak = f"peak +{result.flush_peak_bytes / 2**20:,.0f} MiB"
    row = Row(
        id="export/aiobs-otel", workload=f"export {result.spans:,} spans{mix}", arm="aiobs-otel",
        base="", inst=f"{result.convert_s:.2f} s", added=peak,
        ratio=f"{result.convert_rate:,.0f} spans/s", target=f"≥ {EXPORT_TARGET:,} spans/s",
        result=verdict(result.convert_rate, EXPORT_TARGET, higher_is_better=True, unit="spans/s"),
        data=data,
    )  # fmt: skip
    return row, data


# --- main ----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> tuple[list[Row], list[Row], dict[str, Any], dict[str, Any]]:
    plans = make_plans(args)
    pipeline = _telemetry.build_pipeline()
    clients = W.make_clients()
    chat, stream = W.chat_call(clients), W.stream_call(clients)
    stream_name = f"stream ({W.STREAM_CHUNKS} chunks)"
    chunk_target = f"≤ {CHUNK_TARGET_US:g} µs/chunk"
    cases = [  # spec, key, workload, call, plan, target, check, calls per added
        (_arms.AIOBS_CHAT, "chat", "chat", chat, plans.call, f"≤ {CHAT_TARGET:g}x", chat_check, 1),
        (_arms.AIOBS_CHAT, "stream", stream_name, stream, plans.stream, chunk_target,
         chunk_check, W.STREAM_CHUNKS),
        (_arms.AIOBS_EMBEDDINGS, "embeddings", "embeddings", W.embeddings_call(clients),
         plans.call, "", None, 1),
        (_arms.AIOBS_GENAI, "generate_content", "generate_content", W.gemini_call(clients),
         plans.call, "", None, 1),
    ]  # fmt: skip
    ours: list[Row] = []
    export_calls: dict[str, Callable[[], Any]] = {}
    export_switches: list[_arms.Switch] = []
    for spec, key, workload, call, plan, target, check, per in cases:
        row, switch = measure_arm(spec, key, workload, call, plan, pipeline, target=target,
                                  check=check or (lambda _r: ""), added_per=per)  # fmt: skip
        ours.append(row)
        progress(row)
        if switch is not None and key != "stream" and call is not None:
            export_calls[key] = call
            export_switches.append(switch)
    for row in observe_rows(plans.observe, pipeline):
        ours.append(row)
        progress(row)
    floor = genai_floor_row(plans.observe, pipeline)
    ours.append(floor)
    progress(floor)

    others: list[Row] = [r for r in ours if r.id.split("/")[0] in ("chat", "stream")]
    for spec in _arms.OTHER_OPENAI:
        if _arms.distribution_version(spec.distribution) is None and args.skip_missing:
            continue
        for key, workload, call, plan, per in (
            ("chat", "chat", chat, plans.call, 1),
            ("stream", stream_name, stream, plans.stream, W.STREAM_CHUNKS),
        ):
            row, _ = measure_arm(spec, key, workload, call, plan, pipeline, added_per=per)
            others.append(row)
            progress(row)

    export, export_data = export_row(plans, pipeline, export_calls, export_switches)
    ours.append(export)
    progress(export)
    versions = {
        "opentelemetry-sdk": _arms.distribution_version("opentelemetry-sdk"),
        "openai": clients.openai_version,
        "google-genai": clients.genai_version,
        "aiobs-otel": _arms.distribution_version("aiobs-otel"),
        "wrapt": _arms.distribution_version("wrapt"),
    }
    versions.update({s.distribution: _arms.distribution_version(s.distribution)
                     for s in _arms.OTHER_OPENAI})  # fmt: skip
    _arms.close_all()
    pipeline.shutdown()
    return ours, others, export_data, versions


def progress(row: Row) -> None:
    what = row.ratio or row.status
    print(f"  measured {row.id}: {what}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, under ~30 s")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--rounds", type=int, help="override the rounds of every timing")
    parser.add_argument("--batch", type=int, help="override the calls per timed batch")
    parser.add_argument("--spans", type=int, help="override the export's span count")
    parser.add_argument(
        "--skip-missing",
        action="store_true",
        help="leave out other instrumentations that are not installed",
    )
    parser.add_argument(
        "--profile",
        choices=["chat", "stream", "embeddings", "generate_content", "observe"],
        help="profile one instrumented workload instead of benchmarking",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.profile:
        import _profile

        return _profile.main(args.profile)
    started = time.perf_counter()
    ours, others, export_data, versions = run(args)
    plan = "quick (smoke run: numbers are indicative only)" if args.quick else "full"
    print(f"\n{OURS_TITLE}")
    print(_report.text_table(ours))
    print(f"\n{OTHERS_TITLE}")
    print(_report.text_table(others))
    for line in _report.export_lines(export_data):
        print(line)
    print(f"\n({plan}; {time.perf_counter() - started:.0f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            unique = {r.id: r.as_dict() for r in ours + others}
            json.dump(list(unique.values()), handle, indent=2)
    if args.write:
        sections = [(OURS_TITLE, ours), (OTHERS_TITLE, others)]
        block = _report.results_markdown(sections, _report.environment(versions),
                                         _report.export_lines(export_data), plan)  # fmt: skip
        _report.write_markdown(os.path.join(ROOT, "BENCHMARKS.md"), block)
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
