"""The benchmark harness runs end to end and reports every row (no timing
assertions: the numbers belong in BENCHMARKS.md, not in a test)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = {
    "chat/aiobs-otel": "aiobs_otel.instrumentors.openai.chat",
    "stream/aiobs-otel": "aiobs_otel.instrumentors.openai.chat",
    "embeddings/aiobs-otel": "aiobs_otel.instrumentors.openai.embeddings",
    "generate_content/aiobs-otel": "aiobs_otel.instrumentors.google_genai.content",
    "responses/aiobs-otel": "aiobs_otel.instrumentors.openai.responses",
    "embed_content/aiobs-otel": "aiobs_otel.instrumentors.google_genai.embed_content",
}
FEATURES = ("chat_in_trace", "capture_off", "capture_locals", "tool", "generation",
            "observe_in_trace", "price_call", "eval_sampled_out", "eval_sampled_in")  # fmt: skip
EXPORT = tuple(f"export/{key}/{figure}" for key in ("embedding", "no_vectors")
               for figure in ("rate", "peak", "buffer"))  # fmt: skip
OTHERS = ("otel-contrib genai-openai", "otel-contrib openai-v2", "openinference", "openllmetry")


def test_quick_run_reports_every_row(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--rounds", "1",
               "--batch", "1", "--spans", "300", "--memory-calls", "2000",
               "--json", str(out)]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["id"]: row for row in json.loads(out.read_text(encoding="utf-8"))}

    own = {"observe/aiobs-otel", "observe/sdk-floor", "chat/sdk-floor", "stream/sdk-floor",
           *EXPORT, "memory/long-run", "sqs/up", "sqs/down", "reliability/outgoing_unset",
           "reliability/mask_set", "reliability/attributes_unset", "langfuse/span"}  # fmt: skip
    expected = {*OURS, *own, *(f"features/{key}" for key in FEATURES)}
    expected |= {f"{workload}/{arm}" for arm in OTHERS for workload in ("chat", "stream")}
    assert expected <= set(rows)
    for row_id, module in OURS.items():
        if importlib.util.find_spec(module) is not None:
            assert rows[row_id]["status"] == "ok", rows[row_id]
            assert rows[row_id]["ratio"].endswith(")")
    for row_id in own | {f"features/{key}" for key in FEATURES}:
        assert rows[row_id]["status"] == "ok", rows[row_id]
    assert rows["export/embedding/rate"]["data"]["spans"] == 300
    # the same spans without their vectors make a smaller file
    sizes = {
        key: rows[f"export/{key}/rate"]["data"]["file_bytes"] for key in ("embedding", "no_vectors")
    }
    assert sizes["no_vectors"] < sizes["embedding"] / 2, sizes
    assert rows["memory/long-run"]["data"]["calls"] == 2000
    assert not [r for r in rows.values() if r["status"].startswith("error")]
    assert "aiobs-otel overhead" in done.stdout
    assert "Flush, memory and streaming" in done.stdout
