"""The rows of ``benchmarks/run.py``: each workload measured with and without
one instrumentation, with its target and verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import _arms
import _export
import _telemetry
import _workloads as W
from _report import Row, ratio_text, us, verdict
from _timing import Paired, Plan, Series, paired

# The targets of issue 16 (CPU time of all threads, ratios against the same
# workload uninstrumented, in the same process run).
RATIO_TARGETS = {"chat": 1.10, "embeddings": 1.10, "generate_content": 1.12}
CHUNK_TARGET_US = 3.0
OBSERVE_TARGET = 1.2  # @observe's added time against a bare SDK span's
FLUSH_TARGET = 50_000  # spans/s, the whole flush including the file write
SPAN_BYTES_TARGET = 1024  # buffered bytes per span


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


def ratio_check(limit: float) -> Callable[[Series], str]:
    def check(result: Series) -> str:
        if result.ratio <= limit:
            return "met"
        over = (result.ratio - 1) * 100
        return f"missed: +{over:.1f}% vs the +{(limit - 1) * 100:.0f}% budget"

    return check


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
    decorator pays: a bare ``start_as_current_span`` on the same pipeline. The
    target compares the two rows' added times."""
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

    results = {
        key: paired(plan, base=lambda: plain(1, 2), inst=inst, before_batch=pipeline.clear)
        for key, inst in (("aiobs-otel", lambda: traced(1, 2)), ("sdk-floor", bare))
    }
    floor_us = results["sdk-floor"].cpu.added_us

    def check(r: Series) -> str:
        times = r.added_us / floor_us if floor_us > 0 else float("inf")
        return "met" if times <= OBSERVE_TARGET else f"missed: {times:.2f}x the bare span"

    target = f"≤ {OBSERVE_TARGET:g}x the bare span's added time"
    return [
        provider_row("observe/aiobs-otel", "@observe (trivial function)", "aiobs-otel",
                     results["aiobs-otel"], target=target, check=check),
        provider_row("observe/sdk-floor", "bare SDK span (reference)", "opentelemetry-sdk",
                     results["sdk-floor"], target="", check=lambda _r: ""),
    ]  # fmt: skip


def genai_floor_rows(plan: Plan, pipeline: _telemetry.Pipeline, chat: Callable[[], Any] | None,
                     switch: _arms.Switch | None) -> list[Row]:  # fmt: skip
    """What OpenTelemetry itself charges for the telemetry our chat call
    produces, with none of our code on the path: a CLIENT span with the same
    name and attributes (copied from a real instrumented call, not timed),
    ended, plus the three GenAI histogram records with our metric attributes;
    and, for streams, the one histogram record the conventions ask for per
    chunk (``time_per_output_chunk``). A row's "Added" minus its floor is our
    own code."""
    from opentelemetry.trace import SpanKind

    from aiobs_otel import attributes as A

    if chat is None or switch is None:
        return []
    switch.enable()
    try:
        chat()
    finally:
        switch.disable()
    span = pipeline.counter.last
    if span is None:
        return []
    attributes = dict(span.attributes or {})
    metric_keys = (A.GEN_AI_OPERATION_NAME, A.GEN_AI_PROVIDER_NAME, A.GEN_AI_REQUEST_MODEL,
                   A.GEN_AI_RESPONSE_MODEL, "server.address", "server.port")  # fmt: skip
    metric_attributes = {k: attributes[k] for k in metric_keys if k in attributes}
    tracer = pipeline.tracer_provider.get_tracer("aiobs_otel.bench_floor")
    meter = pipeline.meter_provider.get_meter("aiobs_otel.bench_floor")
    duration = meter.create_histogram(A.METRIC_OPERATION_DURATION, unit="s")
    tokens = meter.create_histogram(A.METRIC_TOKEN_USAGE, unit="{token}")
    per_chunk = meter.create_histogram(A.METRIC_TIME_PER_OUTPUT_CHUNK, unit="s")
    inputs = {**metric_attributes, A.GEN_AI_TOKEN_TYPE: "input"}
    outputs = {**metric_attributes, A.GEN_AI_TOKEN_TYPE: "output"}

    def floor() -> None:
        tracer.start_span(span.name, kind=SpanKind.CLIENT, attributes=attributes).end()
        duration.record(0.5, metric_attributes)
        tokens.record(31, inputs)
        tokens.record(34, outputs)

    def chunk() -> None:
        per_chunk.record(0.002, metric_attributes)

    shape = f"{len(attributes)} span attributes, {len(metric_attributes)} metric attributes"
    return [
        provider_row("chat/sdk-floor", "chat telemetry, OpenTelemetry SDK only (reference)",
                     "opentelemetry-sdk", paired(plan, base=lambda: None, inst=floor,
                                                 before_batch=pipeline.clear),
                     target="", check=lambda _r: shape),
        provider_row("stream/sdk-floor", "one time_per_output_chunk record (reference)",
                     "opentelemetry-sdk", paired(plan, base=lambda: None, inst=chunk),
                     target="", check=lambda _r: "the conventions ask for one per chunk"),
    ]  # fmt: skip


def export_rows(spans: int, groups: int, repeats: int, pipeline: _telemetry.Pipeline,
                calls: dict[str, Any], switches: list[_arms.Switch],
                label: str, *, key: str = "embedding",
                vectors: bool = True) -> tuple[list[Row], dict[str, Any]]:  # fmt: skip
    """The flush of ``spans`` buffered spans: its rate (file write included),
    its extra peak memory against the buffer's own size, and the buffer's
    bytes per span. ``vectors=False``: the embeddings calls' vectors left out,
    as ``AIOBS_EXPORT_EMBEDDINGS=false`` leaves them."""
    templates = _export.real_spans(pipeline, calls, switches, groups)
    if not vectors:
        _export.drop_vectors(templates)
    result = _export.measure(pipeline, templates, spans, repeats)
    data = {**result.__dict__, "flush_rate": result.flush_rate}
    mix = "" if switches else " (provider instrumentors not available: @observe spans only)"
    workload = f"flush of {result.spans:,} spans{mix}, {label}"
    per_span = result.buffer_bytes / result.spans
    mib = 2**20
    rows = [
        Row(id=f"export/{key}/rate", workload=workload, arm="aiobs-otel",
            inst=f"{result.flush_s:.2f} s",
            added=f"file {result.file_bytes / mib:,.0f} MiB",
            ratio=f"{result.flush_rate:,.0f} spans/s", target=f"≥ {FLUSH_TARGET:,} spans/s",
            result=verdict(result.flush_rate, FLUSH_TARGET, higher_is_better=True,
                           unit="spans/s"), data=data),
        Row(id=f"export/{key}/peak", workload=f"{workload}: extra peak memory", arm="aiobs-otel",
            base=f"buffer {result.buffer_bytes / mib:,.0f} MiB",
            inst=f"peak +{result.flush_peak_bytes / mib:,.0f} MiB",
            ratio=f"{result.flush_peak_bytes / max(1, result.buffer_bytes):.2f}x the buffer",
            target="≤ 1x the buffer",
            result=verdict(result.flush_peak_bytes / mib, result.buffer_bytes / mib,
                           higher_is_better=False, unit="MiB")),
        Row(id=f"export/{key}/buffer", workload=f"{workload}: buffered bytes per span",
            arm="aiobs-otel", inst=f"{per_span:,.0f} B/span", target=f"≤ {SPAN_BYTES_TARGET:,} B",
            result=verdict(per_span, SPAN_BYTES_TARGET, higher_is_better=False, unit="B")),
    ]  # fmt: skip
    return rows, data


def memory_row(figures: dict[str, Any]) -> Row:
    """The 24-hour-like run (``_memory.py``): RSS after the warm-up and at the end."""
    growth = figures["growth_mib"]
    flat = growth <= max(2.0, 0.02 * figures["warm_mib"])
    return Row(
        id="memory/long-run",
        workload=f"{figures['calls']:,} chat calls, a flush every {figures['flush_every']:,}",
        arm="aiobs-otel", base=f"RSS warm {figures['warm_mib']:,.0f} MiB",
        inst=f"end {figures['rss_mib'][-1]:,.0f} MiB", added=f"{growth:+.1f} MiB",
        ratio=f"{figures['growth_per_100k_calls_kib']:+,.0f} KiB per 100k calls",
        target="flat (≤ 2% of the warm RSS)", result="met" if flat else "missed: RSS grows",
        data=figures,
    )  # fmt: skip


def sqs_rows(figures: dict[str, Any]) -> list[Row]:
    """SQS streaming (``_sqs.py``): the app thread's added time per trace, up and down."""
    rows = []
    for key, label in (("up", "SQS up (moto)"), ("down", "SQS down: every trace spilled")):
        rows.append(Row(
            id=f"sqs/{key}", workload=f"a 3-span trace streamed to SQS, {label}",
            arm="aiobs-otel", base=us(figures["base_us"]),
            inst=us(figures["base_us"] + figures[f"{key}_added_us"]),
            added=f"{us(figures[f'{key}_added_us'])} (all threads {us(figures[f'{key}_cpu_us'])})",
            ratio=f"{figures[f'{key}_ratio']:.3f}x", data=figures,
        ))  # fmt: skip
    return rows
