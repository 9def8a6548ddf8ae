"""Paired, interleaved timing: the robust way to measure a few percent on a
noisy, shared machine.

Each round times one batch of the uninstrumented workload and one batch of
the instrumented one, back to back, alternating which goes first. A ratio is
taken per round (both halves saw the same machine load), and the result is the
median over many rounds, with the interquartile range as the noise estimate.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Series:
    """Per-call nanoseconds of the two arms, one pair per round, on one clock."""

    base_ns: list[float] = field(default_factory=list)
    inst_ns: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [i / b for b, i in zip(self.base_ns, self.inst_ns, strict=True) if b > 0]

    @property
    def added_ns(self) -> list[float]:
        return [i - b for b, i in zip(self.base_ns, self.inst_ns, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def ratio_iqr(self) -> tuple[float, float]:
        return _quartiles(self.ratios)

    @property
    def base_us(self) -> float:
        return statistics.median(self.base_ns) / 1000

    @property
    def inst_us(self) -> float:
        return statistics.median(self.inst_ns) / 1000

    @property
    def added_us(self) -> float:
        return statistics.median(self.added_ns) / 1000

    @property
    def added_iqr_us(self) -> tuple[float, float]:
        low, high = _quartiles(self.added_ns)
        return low / 1000, high / 1000


@dataclass
class Paired:
    """The same rounds on two clocks: wall time (``perf_counter_ns``) and the
    process's CPU time (``process_time_ns``, all threads). The workloads are
    CPU-bound (no I/O: the transport is in-process), so on an idle machine the
    two agree; on a shared one, CPU time leaves out the time other processes
    held the cores, and is the steadier estimate."""

    wall: Series = field(default_factory=Series)
    cpu: Series = field(default_factory=Series)


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


@dataclass
class Plan:
    """How much to measure: ``rounds`` pairs of ``batch`` calls, after ``warmup`` rounds."""

    rounds: int
    batch: int
    warmup: int = 2


def _time_batch(call: Callable[[], Any], batch: int,
                before: Callable[[], object] | None) -> tuple[float, float]:  # fmt: skip
    """Per-call (wall ns, CPU ns) of one batch."""
    if before is not None:
        before()
    gc.collect()
    cpu = time.process_time_ns()
    start = time.perf_counter_ns()
    for _ in range(batch):
        call()
    wall_end = time.perf_counter_ns()
    cpu_end = time.process_time_ns()
    return (wall_end - start) / batch, (cpu_end - cpu) / batch


def paired(
    plan: Plan,
    *,
    base: Callable[[], Any],
    inst: Callable[[], Any],
    enable: Callable[[], None] | None = None,
    disable: Callable[[], None] | None = None,
    before_batch: Callable[[], object] | None = None,
) -> Paired:
    """Time ``base`` (after ``disable``) against ``inst`` (after ``enable``).

    ``enable`` / ``disable`` switch an instrumentation on and off between
    batches (never inside one); ``before_batch`` runs untimed before each batch
    (e.g. to empty span buffers so every round does the same work).
    """
    result = Paired()

    def run_base() -> tuple[float, float]:
        if disable is not None:
            disable()
        return _time_batch(base, plan.batch, before_batch)

    def run_inst() -> tuple[float, float]:
        if enable is not None:
            enable()
        return _time_batch(inst, plan.batch, before_batch)

    try:
        for index in range(plan.warmup + plan.rounds):
            if index % 2 == 0:
                b, i = run_base(), run_inst()
            else:
                i, b = run_inst(), run_base()
            if index >= plan.warmup:
                result.wall.base_ns.append(b[0])
                result.wall.inst_ns.append(i[0])
                result.cpu.base_ns.append(b[1])
                result.cpu.inst_ns.append(i[1])
    finally:
        if disable is not None:
            disable()
    return result
