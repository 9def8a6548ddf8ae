"""``aiobs-otel demo``: the offline pipeline end to end, through the real clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel.cli import main
from aiobs_otel.demo import pipeline
from aiobs_otel.exporters.models import ObservabilityExport


def test_demo_writes_a_valid_nested_export(observer: Any, tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    assert pipeline.run("What is an API?", out=str(out), show=False) == str(out)
    export = ObservabilityExport.model_validate(json.loads(out.read_text()))
    assert [s.name for s in export.sessions] == ["aiobs-otel demo"]
    assert export.sessions[0].labels and export.sessions[0].labels["environment"] == "demo"
    functions = {f.name: f for f in export.function_events}
    assert set(functions) == {"pipeline", "research", "summarize", "critique", "illustrate"}
    apis = sorted(e.api for e in export.events)
    # the fourth chat call is the sampled judge's, evaluating summarize()
    assert apis == sorted(
        ["chat.completions.create"] * 4
        + ["embeddings.create"]
        + ["models.generate_content"] * 2
        + ["models.generate_videos"]
    )
    # Every provider call hangs under the step that made it.
    steps = {f.span_id for f in export.function_events if f.name != "pipeline"}
    assert all(e.parent_span_id in steps for e in export.events)
    failed = [e for e in export.events if e.error]
    assert len(failed) == 1 and failed[0].error.startswith("RateLimitError")  # type: ignore[union-attr]
    video = next(e for e in export.events if e.api == "models.generate_videos")
    assert video.response["done"] is True
    assert export.enh_prompt_traces == [functions["summarize"].enh_prompt_id]
    extra = functions["summarize"].model_extra or {}
    [evaluation] = extra["evaluations"]
    assert (evaluation["name"], evaluation["label"], evaluation["source"]) == (
        "correctness", "correct", "llm_judge")  # fmt: skip
    # every priced call has a cost, and the export totals them
    costs = [(e.model_extra or {}).get("cost") for e in export.events]
    assert sum(1 for c in costs if c) >= 5
    totals = (export.model_extra or {})["cost_totals"]["total"]
    assert totals["amount"]["USD"] > 0


def test_demo_command_shows_the_tree(
    observer: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "demo.json"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Export written to {out}" in printed
    assert "illustrate()" in printed and "done, 1 video(s): gs://aiobs-demo/videos/" in printed
    assert "1 session(s), 8 provider call(s), 5 function call(s), 1 error(s), cost $" in printed
    assert "✓ correctness: correct (1.0)" in printed
