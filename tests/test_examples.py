"""examples/: every script runs offline against the provider stand-in
(``AIOBS_EXAMPLES_STANDIN=1``) as a user would run it, in its own process,
and writes the export the usage guide promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _zero_code_support import REPO, assert_clean_run, run_instrumented
from aiobs_otel.exporters.models import ObservabilityExport

EXAMPLES = REPO / "examples"
CHAT = ("openai", "chat.completions.create", "gpt-4o-mini")
EMBED = ("openai", "embeddings.create", "text-embedding-3-small")
CONTENT = ("gemini", "models.generate_content", "gemini-2.0-flash")
VIDEO = ("gemini", "models.generate_videos", "veo-3.1-generate-preview")
# Keys, endpoints and OTel settings of the developer's shell must not leak in:
# with OPENAI_API_KEY set, a broken stand-in switch would reach the real API.
_NOT_INHERITED = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_")


def run_example(
    name: str, tmp_path: Path, *args: str, **env: str
) -> tuple[ObservabilityExport, str]:
    """``python examples/<name>.py [args]`` in tmp_path; returns the export and stdout."""
    out = tmp_path / "export.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    clean.update(AIOBS_EXAMPLES_STANDIN="1", AIOBS_OTEL_STRICT="1", LLM_OBS_OUT=str(out), **env)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert_clean_run(result)
    assert f"Export written to {out}" in result.stdout  # each example says where
    return ObservabilityExport.model_validate(json.loads(out.read_text())), result.stdout


def calls(export: ObservabilityExport) -> list[tuple[str, str, Any]]:
    return [(e.provider, e.api, e.request.get("model")) for e in export.events]


def response(event: Any) -> dict[str, Any]:
    assert event.error is None and event.response is not None, event
    return dict(event.response)


@pytest.mark.parametrize(
    ("name", "session", "expected"),
    [
        ("simple_chat", "simple-chat", [CHAT]),
        ("embeddings", "embeddings", [EMBED, EMBED]),
        ("gemini", "gemini", [CONTENT]),
        ("veo", "veo", [VIDEO]),
        ("pipeline", "pipeline", [CHAT, CHAT, CHAT]),
        ("labels", "labels", [CHAT]),
    ],
)
def test_each_example_records_its_calls(
    name: str, session: str, expected: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    export, _ = run_example(name, tmp_path)
    assert [s.name for s in export.sessions] == [session]
    assert calls(export) == expected
    session_id = export.sessions[0].id
    for event in export.events:
        assert event.session_id == session_id
        assert (event.callsite.file or "").endswith(f"examples/{name}.py")
        if event.api in ("chat.completions.create", "models.generate_content"):
            assert "stand-in's answer" in response(event)["text"]


def test_simple_chat_records_the_conversation(tmp_path: Path) -> None:
    export, stdout = run_example("simple_chat", tmp_path)
    (event,) = export.events
    question = "In one sentence, what is observability?"
    assert event.request["messages"][-1] == {"role": "user", "content": question}
    assert event.request["temperature"] == 0.2
    assert response(event)["text"] in stdout  # the answer printed is the one recorded
    assert response(event)["usage"]["total_tokens"] > 0


def test_embeddings_single_and_batch(tmp_path: Path) -> None:
    export, _ = run_example("embeddings", tmp_path)
    single, batch = export.events
    assert single.request["input"] == "Hello world"
    assert batch.request["input"] == ["Hello world", "Goodbye world", "How are you?"]
    # the vectors as aiobs records them: response.data[i].embedding
    assert [len(response(single)["data"]), len(response(batch)["data"])] == [1, 3]
    assert response(single)["embedding_dimensions"] == 1536


def test_gemini_records_contents_and_text(tmp_path: Path) -> None:
    export, stdout = run_example("gemini", tmp_path)
    (event,) = export.events
    assert "Explain quantum computing" in json.dumps(event.request["contents"])
    assert response(event)["text"] in stdout


def test_veo_merges_the_polled_result_into_the_call(tmp_path: Path) -> None:
    export, stdout = run_example("veo", tmp_path)
    (event,) = export.events
    assert "waves crashing" in json.dumps(event.request)
    assert event.request["config"]["aspect_ratio"] == "16:9"
    result = response(event)
    assert result["done"] is True and "/operations/" in result["operation_name"]
    (video,) = result["generated_videos"]
    assert video["video"]["mime_type"] == "video/mp4"  # aiobs's shape
    assert "1 video(s) generated" in stdout


def test_pipeline_nests_each_call_under_its_step(tmp_path: Path) -> None:
    export, _ = run_example("pipeline", tmp_path)
    steps = {f.name: f for f in export.function_events}
    assert set(steps) == {"pipeline", "research", "summarize", "critique"}
    top = steps["pipeline"]
    assert top.parent_span_id is None and top.args == ["What is an API?"]
    for name in ("research", "summarize", "critique"):
        assert steps[name].parent_span_id == top.span_id
    parents = [e.parent_span_id for e in export.events]
    assert parents == [steps[n].span_id for n in ("research", "summarize", "critique")]
    assert steps["summarize"].enh_prompt and steps["summarize"].auto_enhance_after == 10
    assert export.enh_prompt_traces == [steps["summarize"].enh_prompt_id]
    assert export.trace_tree is not None and len(export.trace_tree) == 1


def test_pipeline_takes_the_prompt_from_the_command_line(tmp_path: Path) -> None:
    export, _ = run_example("pipeline", tmp_path, "Why version APIs?")
    research = next(f for f in export.function_events if f.name == "research")
    assert research.args == ["Why version APIs?"]
    assert "Why version APIs?" in export.events[0].request["messages"][0]["content"]


def test_labels_from_code_env_and_updates(tmp_path: Path) -> None:
    # A label from the shell wins over the example's setdefault; explicit code
    # labels win over the shell.
    export, stdout = run_example(
        "labels", tmp_path, AIOBS_LABEL_TEAM="search", AIOBS_LABEL_ENVIRONMENT="dev"
    )
    labels = export.sessions[0].labels or {}
    assert labels["team"] == "search"
    assert labels["environment"] == "production"
    assert labels["project"] == "recommendation-engine"
    assert labels["user_tier"] == "enterprise" and labels["feature_flag"] == "new_model"
    assert "experiment_id" not in labels  # removed again
    assert {"aiobs_sdk_version", "aiobs_python_version", "aiobs_os"} <= set(labels)
    assert "environment: production" in stdout


def test_zero_code_app_is_recorded_by_the_launcher(tmp_path: Path) -> None:
    code = (EXAMPLES / "zero_code_app.py").read_text().split('"""', 2)[2]  # after the docstring
    assert "aiobs_otel" not in code and "opentelemetry" not in code
    result = run_instrumented(
        EXAMPLES / "zero_code_app.py",
        cwd=tmp_path,
        env={
            "AIOBS_EXAMPLES_STANDIN": "1",
            "OTEL_PYTHON_DISTRO": "aiobs_otel",
            "OTEL_PYTHON_CONFIGURATOR": "aiobs_otel",
        },
    )
    assert_clean_run(result)
    # No LLM_OBS_OUT: the default file, ./<session-id>.json, written at exit.
    (path,) = tmp_path.glob("*.json")
    export = ObservabilityExport.model_validate(json.loads(path.read_text()))
    (session,) = export.sessions
    assert path.name == f"{session.id}.json" and session.name == "zero_code_app"
    assert calls(export) == [CHAT, EMBED, CONTENT]
    assert all(e.session_id == session.id for e in export.events)
    chat, _, content = export.events
    assert response(chat)["text"] in result.stdout
    assert response(content)["text"] in result.stdout
