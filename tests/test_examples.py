"""examples/: every script runs offline against the provider stand-in
(``AIOBS_EXAMPLES_STANDIN=1``) as a user would run it, in its own process,
and writes the export the usage guide promises."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from _examples_support import EXAMPLES, response, run_example
from _zero_code_support import assert_clean_run, run_instrumented
from aiobs_otel.exporters.models import ObservabilityExport

CHAT = ("openai", "chat.completions.create", "gpt-4o-mini")
EMBED = ("openai", "embeddings.create", "text-embedding-3-small")
CONTENT = ("gemini", "models.generate_content", "gemini-2.0-flash")
VIDEO = ("gemini", "models.generate_videos", "veo-3.1-generate-preview")
RESPONSES = ("openai", "responses.create", "gpt-4.1-mini")
GEMINI_EMBED = ("gemini", "models.embed_content", "gemini-embedding-001")


def calls(export: ObservabilityExport) -> list[tuple[str, str, Any]]:
    return [(e.provider, e.api, e.request.get("model")) for e in export.events]


@pytest.mark.parametrize(
    ("name", "session", "expected"),
    [
        ("simple_chat", "simple-chat", [CHAT]),
        ("embeddings", "embeddings", [EMBED, EMBED]),
        ("gemini", "gemini", [CONTENT]),
        ("veo", "veo", [VIDEO]),
        ("pipeline", "pipeline", [CHAT, CHAT, CHAT]),
        ("labels", "labels", [CHAT]),
        ("responses_agent", "responses-agent", [RESPONSES, RESPONSES]),
        ("gemini_embeddings", "gemini-embeddings", [GEMINI_EMBED]),
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


def test_responses_agent_loop_with_a_tool_call(tmp_path: Path) -> None:
    export, stdout = run_example("responses_agent", tmp_path)
    first, second = export.events
    functions = {f.name: f for f in export.function_events}
    agent, tool = functions["weather_agent"], functions["get_weather"]
    assert (agent.kind, tool.kind) == ("agent", "tool")
    # the model asks for get_weather ...
    (call,) = response(first)["tool_calls"]
    assert call["name"] == "get_weather" and set(call["arguments"]) == {"city"}
    assert response(first)["finish_reason"] == "tool_call" and response(first)["text"] is None
    assert first.request["instructions"].startswith("Answer in one sentence")
    assert [t["name"] for t in first.request["other"]["tools"]] == ["get_weather"]
    # ... the tool runs with the model's arguments and call id ...
    assert tool.kwargs == {**call["arguments"], "tool_call_id": call["id"]}
    assert tool.tool_call_id == call["id"]
    assert tool.result == f"{call['arguments']['city']}: 18°C, light rain"
    # ... its output goes back as a function_call_output, and the model answers with it
    sent = second.request["input"]
    assert [item.get("type") for item in sent] == [None, "function_call", "function_call_output"]
    assert sent[-1] == {
        "type": "function_call_output",
        "call_id": call["id"],
        "output": tool.result,
    }
    assert response(second)["finish_reason"] == "stop" and "tool_calls" not in response(second)
    assert tool.result in response(second)["text"] and response(second)["text"] in stdout
    assert agent.result == response(second)["text"]
    for event in (first, second):
        usage = response(event)["usage"]
        assert usage["input_tokens_details"]["cached_tokens"] == usage["input_tokens"] // 2
        assert event.cost["total"] > 0  # type: ignore[attr-defined]
    # one trace: the agent at the root, both calls and the tool below it, in order
    assert [e.parent_span_id for e in (first, second, tool)] == [agent.span_id] * 3
    (root,) = export.trace_tree or []
    assert root["span_id"] == agent.span_id
    assert [c["span_id"] for c in root["children"]] == [first.span_id, tool.span_id, second.span_id]


def test_gemini_embeddings_batch_is_one_call_with_a_vector_per_text(tmp_path: Path) -> None:
    export, stdout = run_example("gemini_embeddings", tmp_path)
    (event,) = export.events
    texts = event.request["input"]
    assert len(texts) == 3 and texts[0] == "How do I reset my password?"
    assert event.request["dimensions"] == 768
    assert event.request["other"] == {"config": {"task_type": "SEMANTIC_SIMILARITY"}}
    data = response(event)["data"]
    assert [d["index"] for d in data] == [0, 1, 2]
    assert all(len(d["embedding"]) == 768 for d in data)
    assert response(event)["embedding_dimensions"] == 768
    assert response(event)["usage"] is None  # the Developer API reports no token counts
    assert "3 vectors of 768 dimensions" in stdout
    # the similarity printed is the one of the vectors recorded
    a, b = (d["embedding"] for d in data[:2])
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    similarity = sum(x * y for x, y in zip(a, b, strict=True)) / norms
    assert f"{similarity:+.3f}  {texts[0]!r} ~ {texts[1]!r}" in stdout


def test_gemini_embeddings_on_vertex_report_tokens(tmp_path: Path) -> None:
    export, _ = run_example("gemini_embeddings", tmp_path, GOOGLE_GENAI_USE_VERTEXAI="true")
    (event,) = export.events
    assert len(response(event)["data"]) == 3
    assert response(event)["usage"]["token_count"] > 0  # Vertex AI's usageMetadata
    assert event.cost["total"] > 0  # type: ignore[attr-defined]


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
