"""Rows, the stdout table, and the generated part of BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from dataclasses import asdict, dataclass, field
from typing import Any

START = "<!-- results:start (written by benchmarks/run.py --write) -->"
END = "<!-- results:end -->"


@dataclass
class Row:
    """One measured (or unmeasurable) line of the results."""

    id: str  # stable key, e.g. "chat/aiobs-otel"
    workload: str
    arm: str
    status: str = "ok"  # "ok", or why there is no number
    base: str = ""
    inst: str = ""
    added: str = ""
    ratio: str = ""  # on CPU time
    wall: str = ""  # the ratio on wall time
    target: str = ""
    result: str = ""  # "met" / "missed: ..." / ""
    data: dict[str, Any] = field(default_factory=dict)

    def cells(self) -> list[str]:
        if self.status != "ok":
            return [self.workload, self.arm, self.status, "", "", "", "", self.target, "-"]
        return [self.workload, self.arm, self.base, self.inst, self.added, self.ratio,
                self.wall, self.target, self.result]  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


HEADERS = ["Workload", "Instrumentation", "Uninstrumented", "Instrumented", "Added [IQR]",
           "Ratio, CPU (IQR)", "Ratio, wall (IQR)", "Target", "Result"]  # fmt: skip


def us(value: float) -> str:
    return f"{value:,.1f} µs" if abs(value) < 100 else f"{value:,.0f} µs"


def ratio_text(ratio: float, iqr: tuple[float, float]) -> str:
    return f"{ratio:.3f}x ({iqr[0]:.3f} to {iqr[1]:.3f})"


def verdict(value: float, limit: float, *, higher_is_better: bool, unit: str) -> str:
    """ "met", or "missed by N <unit> (P%)"."""
    ok = value >= limit if higher_is_better else value <= limit
    if ok:
        return "met"
    gap = abs(value - limit)
    share = gap / limit * 100 if limit else 0.0
    amount = f"{gap:,.0f}" if gap >= 100 else f"{gap:.3g}"
    return f"missed by {amount} {unit} ({share:.0f}%)"


def text_table(rows: list[Row]) -> str:
    table = [HEADERS] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]

    def fmt(line: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(table[0]), rule, *(fmt(line) for line in table[1:])])


def markdown_table(rows: list[Row]) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(esc(c) for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(versions: dict[str, str | None]) -> list[str]:
    lines = [
        f"- Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores ({platform.system()} "
        f"{platform.release()})",
        f"- Python: {platform.python_version()} ({platform.python_implementation()})",
    ]
    lines += [f"- {name}: {version or 'not installed'}" for name, version in versions.items()]
    return lines


def results_markdown(sections: list[tuple[str, list[Row]]], env: list[str], plan: str) -> str:
    parts = [START, "", "### Environment", "", *env, f"- Plan: {plan}", ""]
    for title, rows in sections:
        parts += [f"### {title}", "", markdown_table(rows), ""]
    parts.append(END)
    return "\n".join(parts)


DEFAULT_HEAD = """# Benchmarks

What aiobs-otel costs, measured by `.venv/bin/python benchmarks/run.py`.
Regenerate the results with `benchmarks/run.py --write`; the text outside the
generated block is kept.

"""


def write_markdown(path: str, block: str) -> None:
    try:
        with open(path, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = DEFAULT_HEAD + START + "\n" + END + "\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: block, current, count=1)
    else:
        updated = current.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(updated)
