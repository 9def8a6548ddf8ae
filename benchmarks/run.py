"""What aiobs-otel costs: one command, one process, ratios against uninstrumented runs.

Usage::

    .venv/bin/python benchmarks/run.py            # full run (about 17 minutes on 2 cores)
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
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import subprocess

import _arms
import _features
import _report
import _rows
import _telemetry
import _workloads as W
from _report import Row
from _timing import Plan

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OURS_TITLE = "aiobs-otel overhead (per call; Added = median paired difference [IQR])"
FEATURES_TITLE = "Capabilities as users switch them on (same pipeline, same process)"
OTHERS_TITLE = "OpenAI chat under each instrumentation (same pipeline, same process)"
LONG_TITLE = "Flush, memory and streaming"


@dataclass
class Plans:
    call: Plan
    stream: Plan
    observe: Plan
    spans: int
    groups: int
    flush_repeats: int
    memory_calls: int


def make_plans(args: argparse.Namespace) -> Plans:
    if args.quick:
        plans = Plans(Plan(5, 3, 1), Plan(3, 1, 1), Plan(5, 200, 1), 3_000, 6, 1, 20_000)
    else:
        plans = Plans(Plan(60, 15, 3), Plan(40, 4, 2), Plan(40, 500, 3), 100_000, 200, 1,
                      1_000_000)  # fmt: skip
    for plan in (plans.call, plans.stream, plans.observe):
        if args.rounds:
            plan.rounds, plan.warmup = args.rounds, min(plan.warmup, 1)
        if args.batch:
            plan.batch = args.batch
    if args.spans:
        plans.spans, plans.groups = args.spans, min(plans.groups, max(1, args.spans // 50))
    if args.memory_calls:
        plans.memory_calls = args.memory_calls
    return plans


# --- main ----------------------------------------------------------------------------


@dataclass
class Results:
    sections: list[tuple[str, list[Row]]]
    versions: dict[str, str | None]


def provider_rows(plans: Plans, pipeline: _telemetry.Pipeline, clients: W.Clients,
                  ) -> tuple[list[Row], dict[str, Any], list[_arms.Switch]]:  # fmt: skip
    """Every traced API once; returns the rows, and the calls and switches the
    export and the feature rows reuse."""
    stream_name = f"stream ({W.STREAM_CHUNKS} chunks)"
    chunk_target = f"≤ {_rows.CHUNK_TARGET_US:g} µs/chunk"
    targets = _rows.RATIO_TARGETS

    def ratio(key: str) -> tuple[str, Any]:
        limit = targets.get(key)
        return (f"≤ {limit:g}x", _rows.ratio_check(limit)) if limit else ("", None)

    cases = [  # spec, key, workload, call, plan, (target, check), calls per added
        (_arms.AIOBS_CHAT, "chat", "chat", W.chat_call(clients), plans.call, ratio("chat"), 1),
        (_arms.AIOBS_CHAT, "stream", stream_name, W.stream_call(clients), plans.stream,
         (chunk_target, _rows.chunk_check), W.STREAM_CHUNKS),
        (_arms.AIOBS_EMBEDDINGS, "embeddings", "embeddings", W.embeddings_call(clients),
         plans.call, ratio("embeddings"), 1),
        (_arms.AIOBS_GENAI, "generate_content", "generate_content", W.gemini_call(clients),
         plans.call, ratio("generate_content"), 1),
        (_arms.AIOBS_RESPONSES, "responses", "responses.create (Responses API)",
         W.responses_call(clients), plans.call, ratio("responses"), 1),
        (_arms.AIOBS_EMBED_CONTENT, "embed_content", "embed_content (3 texts)",
         W.embed_content_call(clients), plans.call, ratio("embed_content"), 1),
    ]  # fmt: skip
    rows: list[Row] = []
    calls: dict[str, Any] = {}
    switches: list[_arms.Switch] = []
    for spec, key, workload, call, plan, (target, check), per in cases:
        row, switch = _rows.measure_arm(spec, key, workload, call, plan, pipeline,
                                        target=target, check=check or (lambda _r: ""),
                                        added_per=per)  # fmt: skip
        rows.append(progress(row))
        if switch is not None and key in ("chat", "embeddings", "generate_content"):
            calls[key] = call
            switches.append(switch)
    rows += [progress(r) for r in _rows.observe_rows(plans.observe, pipeline)]
    chat_switch = next((s for s in switches if s.spec is _arms.AIOBS_CHAT), None)
    floors = _rows.genai_floor_rows(plans.observe, pipeline, calls.get("chat"), chat_switch)
    rows += [progress(r) for r in floors]
    return rows, calls, switches


def feature_rows(plans: Plans, pipeline: _telemetry.Pipeline, calls: dict[str, Any],
                 switches: list[_arms.Switch]) -> list[Row]:  # fmt: skip
    rows: list[Row] = []
    chat_switch = next((s for s in switches if s.spec is _arms.AIOBS_CHAT), None)
    if chat_switch is not None:
        row = _features.chat_in_trace(plans.call, pipeline, calls["chat"], chat_switch.enable,
                                      chat_switch.disable)  # fmt: skip
        row.target = f"≤ {_rows.RATIO_TARGETS['chat']:g}x"
        row.result = _rows.ratio_check(_rows.RATIO_TARGETS["chat"])(_row_series(row))
        rows.append(progress(row))
    rows += [progress(r) for r in _features.decorator_rows(plans.observe, pipeline)]
    rows += [progress(r) for r in _features.cost_and_evaluation_rows(plans.observe)]
    rows += [progress(r) for r in _features.outgoing_rows(plans.observe, pipeline)]
    return rows


def _row_series(row: Row) -> Any:
    """The verdict functions take a Series; a feature row keeps its numbers in data."""
    from types import SimpleNamespace

    return SimpleNamespace(ratio=row.data["cpu_ratio"], added_us=row.data["cpu_added_us"])


def other_rows(plans: Plans, pipeline: _telemetry.Pipeline, clients: W.Clients,
               ours: list[Row], skip_missing: bool) -> list[Row]:  # fmt: skip
    rows: list[Row] = [r for r in ours if r.id.split("/")[0] in ("chat", "stream")]
    stream_name = f"stream ({W.STREAM_CHUNKS} chunks)"
    chat, stream = W.chat_call(clients), W.stream_call(clients)
    for spec in _arms.OTHER_OPENAI:
        if _arms.distribution_version(spec.distribution) is None and skip_missing:
            continue
        for key, workload, call, plan, per in (
            ("chat", "chat", chat, plans.call, 1),
            ("stream", stream_name, stream, plans.stream, W.STREAM_CHUNKS),
        ):
            row, _ = _rows.measure_arm(spec, key, workload, call, plan, pipeline, added_per=per)
            rows.append(progress(row))
    return rows


def subprocess_figures(script: str, *args: str) -> dict[str, Any] | str:
    """Figures a benchmark script prints as JSON in its own process (a clean RSS,
    its own environment); a string saying why when it cannot run."""
    command = [sys.executable, os.path.join(HERE, script), "--json", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"error: {last[:200]}"
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def long_rows(plans: Plans, pipeline: _telemetry.Pipeline, calls: dict[str, Any],
              switches: list[_arms.Switch], quick: bool) -> list[Row]:  # fmt: skip
    rows: list[Row] = []
    with_vectors, _ = _rows.export_rows(plans.spans, plans.groups, plans.flush_repeats,
                                        pipeline, calls, switches,
                                        "embedding vectors exported (the default)")  # fmt: skip
    rows += [progress(r) for r in with_vectors]
    without, _ = _rows.export_rows(plans.spans, plans.groups, plans.flush_repeats, pipeline,
                                   calls, switches, "no vectors (AIOBS_EXPORT_EMBEDDINGS=false)",
                                   key="no_vectors", vectors=False)  # fmt: skip
    rows += [progress(r) for r in without]
    memory = subprocess_figures("_memory.py", "--calls", str(plans.memory_calls))
    if isinstance(memory, str):
        rows.append(progress(_rows.unavailable("memory/long-run", "long run", "aiobs-otel",
                                               memory)))  # fmt: skip
    else:
        rows.append(progress(_rows.memory_row(memory)))
    sqs = subprocess_figures("_sqs.py", *(["--quick"] if quick else []))
    if isinstance(sqs, str):
        rows.append(progress(_rows.unavailable("sqs/up", "SQS streaming", "aiobs-otel", sqs)))
    else:
        rows += [progress(r) for r in _rows.sqs_rows(sqs)]
    return rows


def run(args: argparse.Namespace) -> Results:
    plans = make_plans(args)
    pipeline = _telemetry.build_pipeline()
    clients = W.make_clients()
    ours, calls, switches = provider_rows(plans, pipeline, clients)
    features = feature_rows(plans, pipeline, calls, switches)
    others = other_rows(plans, pipeline, clients, ours, args.skip_missing)
    long = long_rows(plans, pipeline, calls, switches, args.quick)
    versions = {
        "opentelemetry-sdk": _arms.distribution_version("opentelemetry-sdk"),
        "openai": clients.openai_version,
        "google-genai": clients.genai_version,
        "aiobs-otel": _arms.distribution_version("aiobs-otel"),
        "wrapt": _arms.distribution_version("wrapt"),
        "genai-prices": _arms.distribution_version("genai-prices"),
    }
    versions.update({s.distribution: _arms.distribution_version(s.distribution)
                     for s in _arms.OTHER_OPENAI})  # fmt: skip
    _arms.close_all()
    pipeline.shutdown()
    sections = [(OURS_TITLE, ours), (FEATURES_TITLE, features), (OTHERS_TITLE, others),
                (LONG_TITLE, long)]  # fmt: skip
    return Results(sections, versions)


def progress(row: Row) -> Row:
    what = row.ratio or row.status
    print(f"  measured {row.id}: {what}", file=sys.stderr, flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, under ~30 s")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--rounds", type=int, help="override the rounds of every timing")
    parser.add_argument("--batch", type=int, help="override the calls per timed batch")
    parser.add_argument("--spans", type=int, help="override the export's span count")
    parser.add_argument("--memory-calls", type=int, help="override the long run's call count")
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
    results = run(args)
    plan = "quick (smoke run: numbers are indicative only)" if args.quick else "full"
    for title, rows in results.sections:
        print(f"\n{title}")
        print(_report.text_table(rows))
    elapsed = time.perf_counter() - started
    print(f"\n({plan}; {elapsed:.0f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            unique = {r.id: r.as_dict() for _, rows in results.sections for r in rows}
            json.dump(list(unique.values()), handle, indent=2)
    if args.write:
        block = _report.results_markdown(results.sections, _report.environment(results.versions),
                                         f"{plan}, {elapsed / 60:.0f} minutes")  # fmt: skip
        _report.write_markdown(os.path.join(ROOT, "BENCHMARKS.md"), block)
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
