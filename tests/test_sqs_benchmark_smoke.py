"""The SQS benchmark workload runs end to end on its own and reports every figure
(no timing assertions: the numbers belong in BENCHMARKS.md, not in a test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _sqs_support import app_env

ROOT = Path(__file__).resolve().parent.parent


def test_the_sqs_workload_reports_its_figures(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "_sqs.py"), "--quick", "--json"]
    done = subprocess.run(command, cwd=tmp_path, env=app_env({}), capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.splitlines()[-1])
    assert set(figures) == {
        "base_us", "up_added_us", "up_ratio", "down_added_us", "down_ratio", "up_cpu_us",
        "down_cpu_us", "sent_per_s", "assembled_per_s", "spilled_per_s", "batches",
    }  # fmt: skip
    assert all(isinstance(value, (int, float)) and value > 0 for key, value in figures.items()
               if not key.endswith("added_us"))  # fmt: skip
    assert figures["batches"] >= 30  # 300 traces in the burst, ten per batch at most
