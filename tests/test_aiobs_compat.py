"""Files we write load with the real aiobs 0.2.0 models.

aiobs has import-time side effects, so it lives in its own interpreter:
``AIOBS_REF_PYTHON``, else ``.venv-aiobs/bin/python`` in the repository (which
``scripts/test.sh`` creates with ``pip install aiobs==0.2.0``). Without it the
test fails: compatibility is the point of the format, never skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel import Observer, observe

FlushJson = Callable[..., dict[str, Any]]

VALIDATE = """
import importlib.metadata, json, sys
from aiobs.models import ObservabilityExport

raw = open(sys.argv[1], encoding="utf-8").read()
export = ObservabilityExport.model_validate(json.loads(raw))
functions = {e.name: e for e in export.function_events}
print(json.dumps({
    "aiobs_version": importlib.metadata.version("aiobs"),
    "version": export.version,
    "sessions": [(s.id, s.name, s.ended_at is not None, s.labels) for s in export.sessions],
    "function_names": sorted(functions),
    "errors": {n: e.error for n, e in functions.items()},
    "parents": {n: e.parent_span_id for n, e in functions.items()},
    "span_ids": {n: e.span_id for n, e in functions.items()},
    "enh": {n: [e.enh_prompt, e.enh_prompt_id, e.auto_enhance_after] for n, e in functions.items()},
    "enh_prompt_traces": export.enh_prompt_traces,
    "events": [(e.provider, e.api, e.parent_span_id, e.session_id) for e in export.events],
    "tree_roots": [n["name"] if "name" in n else n["api"] for n in export.trace_tree or []],
    "callsite": functions["research"].callsite.model_dump() if "research" in functions else None,
}))
"""


def reference_python() -> str:
    default = os.path.join(os.path.dirname(__file__), "..", ".venv-aiobs", "bin", "python")
    python = os.environ.get("AIOBS_REF_PYTHON") or os.path.abspath(default)
    if not os.path.exists(python):
        pytest.fail(
            f"no Python with aiobs==0.2.0 at {python}: run scripts/test.sh, or set "
            "AIOBS_REF_PYTHON to an interpreter that has it (pip install aiobs==0.2.0)"
        )
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        pytest.fail(f"AIOBS_REF_PYTHON={python!r} is not an executable file")
    return python


def validate_with_aiobs(path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIOBS_", "OTEL_"))}
    done = subprocess.run(
        [reference_python(), "-c", VALIDATE, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, f"aiobs rejected {path}:\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


_clients: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def chat_client() -> Iterator[None]:
    """The real openai client, talking to the provider stand-in on 127.0.0.1."""
    import openai

    from aiobs_otel.demo import StandIn

    with StandIn() as standin:
        _clients["openai"] = openai.OpenAI(
            base_url=standin.openai_base_url, api_key="test", max_retries=0
        )
        yield
    _clients.clear()


@observe(enh_prompt=True, auto_enhance_after=10)
def summarize(text: str) -> str:
    # observe() switched the chat instrumentor on, as aiobs's does
    _clients["openai"].chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": text}]
    )
    return "short"


@observe
def validate(summary: str) -> None:
    raise ValueError(f"too short: {summary}")


@observe(name="research")
def research_pipeline(query: str) -> dict[str, Any]:
    summary = summarize(query * 3)
    with contextlib.suppress(ValueError):
        validate(summary)
    return {"summary": summary, "raw": b"\x00\x01", "score": float("nan")}


def test_export_validates_with_aiobs_models(
    observer: Observer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference_python()  # fail fast, before doing any work
    monkeypatch.setenv("AIOBS_LABEL_STAGE", "ci")
    session_id = observer.observe(session_name="compat", labels={"team": "ml"})
    observer.add_label("run", "42")
    research_pipeline("What is an API?")
    observer.end()
    path = tmp_path / "export.json"
    observer.flush(path=str(path))

    seen = validate_with_aiobs(path)
    assert seen["aiobs_version"] == "0.2.0"
    assert seen["version"] == 1
    ((sid, name, ended, labels),) = seen["sessions"]
    assert (sid, name, ended) == (session_id, "compat", True)
    assert labels["team"] == "ml" and labels["run"] == "42" and labels["stage"] == "ci"
    assert seen["function_names"] == ["research", "summarize", "validate"]
    assert seen["errors"] == {
        "research": None,
        "summarize": None,
        "validate": "ValueError: too short: short",
    }
    assert seen["parents"]["research"] is None
    assert seen["parents"]["summarize"] == seen["span_ids"]["research"]
    assert seen["parents"]["validate"] == seen["span_ids"]["research"]
    enh_flag, enh_id, after = seen["enh"]["summarize"]
    assert enh_flag is True and enh_id and after == 10
    assert seen["enh_prompt_traces"] == [enh_id]
    ((provider, api, parent, event_session),) = seen["events"]
    assert (provider, api, event_session) == ("openai", "chat.completions.create", session_id)
    assert parent == seen["span_ids"]["summarize"]
    assert seen["tree_roots"] == ["research"]
    assert seen["callsite"]["file"].endswith("test_aiobs_compat.py")
    assert isinstance(seen["callsite"]["line"], int)


def test_empty_and_tree_less_exports_validate(observer: Observer, tmp_path: Path) -> None:
    reference_python()
    empty = tmp_path / "empty.json"
    observer.flush(path=str(empty))  # no session at all
    assert validate_with_aiobs(empty)["sessions"] == []

    observer.observe()
    research_pipeline("q")
    flat = tmp_path / "flat.json"
    observer.flush(path=str(flat), include_trace_tree=False)
    seen = validate_with_aiobs(flat)
    assert seen["tree_roots"] == []
    assert len(seen["function_names"]) == 3


def test_demo_export_validates_with_aiobs_models(observer: Observer, tmp_path: Path) -> None:
    from aiobs_otel.demo import pipeline

    out = tmp_path / "demo.json"
    pipeline.run("What is an API?", out=str(out), show=False)
    checked = validate_with_aiobs(out)
    assert len(checked["events"]) == 8  # 7 calls of the pipeline, 1 of the judge
    assert checked["function_names"] == [
        "critique",
        "illustrate",
        "pipeline",
        "research",
        "summarize",
    ]
