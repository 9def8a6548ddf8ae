"""``Observer(tracer_provider=mine)`` with no global provider: ``@observe`` spans
and the provider calls inside them reach ``mine`` (a subprocess: the test
process has a global provider, which would hide the bug)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "apps" / "explicit_provider_app.py"


def test_observe_spans_reach_the_observers_own_provider(tmp_path: Path) -> None:
    out = tmp_path / "mine.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AIOBS_"))}
    env["AIOBS_OTEL_STRICT"] = "1"
    done = subprocess.run(
        [sys.executable, str(APP), str(out)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["global"] == "ProxyTracerProvider"  # nothing was made global
    by_name = {s["name"]: s for s in seen["spans"]}
    assert set(by_name) == {"pipeline", "answer", "chat gpt-4o-mini"}
    assert by_name["pipeline"]["parent"] is None
    assert by_name["answer"]["parent"] == by_name["pipeline"]["id"]
    assert by_name["chat gpt-4o-mini"]["parent"] == by_name["answer"]["id"]

    document = json.loads(out.read_text())
    functions = {f["name"]: f for f in document["function_events"]}
    assert set(functions) == {"pipeline", "answer"}
    (event,) = document["events"]
    assert event["parent_span_id"] == functions["answer"]["span_id"] == by_name["answer"]["id"]
    assert [s["name"] for s in document["sessions"]] == ["mine"]
