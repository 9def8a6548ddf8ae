"""Zero-code launch against a real OTLP backend: Arize Phoenix on 127.0.0.1.

A plain app (no observability code) runs under ``opentelemetry-instrument``
with only environment variables; its spans are read back through Phoenix's
REST API (``GET /v1/projects/<project>/spans``). Phoenix lives in its own
venv (``.venv-phoenix``, or ``PHOENIX_PYTHON``); without it these tests fail.

Phoenix keeps span attributes, parent links and its own span kind (derived
from ``gen_ai.operation.name``: LLM, EMBEDDING); it does not store the
OpenTelemetry span kind or Resource attributes, so labels are checked on the
spans (``aiobs.label.*`` on local roots).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _llm_stub import llm_env, llm_stub
from _zero_code_support import (
    APPS,
    PhoenixServer,
    assert_clean_run,
    run_instrumented,
)

pytest_plugins = ("phoenix_fixtures",)  # one Phoenix for the session

PROTOCOLS = ["http/protobuf", "grpc"]
PLAIN_SPANS = {
    "chat gpt-4o-mini": ("LLM", "chat", "openai"),
    "embeddings text-embedding-3-small": ("EMBEDDING", "embeddings", "openai"),
    "generate_content gemini-2.0-flash": ("LLM", "generate_content", "gcp.gemini"),
}


@pytest.fixture(scope="module")
def stub_env() -> Iterator[dict[str, str]]:
    with llm_stub() as url:
        yield llm_env(url)


def otlp_env(phoenix: PhoenixServer, protocol: str, project: str) -> dict[str, str]:
    """What a user sets: the standard variables only (plus a label)."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": phoenix.otlp_endpoint(protocol),
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        # Phoenix accepts traces only; a metrics exporter would log failures.
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        "AIOBS_LABEL_TEAM": "ml",
    }


def is_http(span: dict[str, Any]) -> bool:
    attributes = span["attributes"]
    return "http.method" in attributes or "http.request.method" in attributes


def without_http(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our spans. With the [http] extra installed, each provider call also has
    the contrib instrumentation's HTTP client span, below it (checked here)."""
    ours = [s for s in spans if not is_http(s)]
    ids = {s["context"]["span_id"] for s in ours}
    assert all(s["parent_id"] in ids for s in spans if is_http(s))
    return ours


def only_json_file(directory: Path) -> dict[str, Any]:
    [path] = [p for p in directory.glob("*.json")]
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_plain_app_reaches_phoenix(
    phoenix: PhoenixServer, stub_env: dict[str, str], tmp_path: Path, protocol: str
) -> None:
    project = f"plain-{uuid.uuid4().hex[:8]}"
    env = {**stub_env, **otlp_env(phoenix, protocol, project)}
    assert_clean_run(run_instrumented(APPS / "plain_llm_app.py", cwd=tmp_path, env=env))

    spans = phoenix.wait_for_spans(
        project, lambda found: len(without_http(found)) >= len(PLAIN_SPANS)
    )
    spans = without_http(spans)
    by_name = {span["name"]: span for span in spans}
    assert sorted(by_name) == sorted(PLAIN_SPANS), phoenix.log_tail()
    assert len(spans) == len(PLAIN_SPANS)  # nothing twice

    document = only_json_file(tmp_path)  # the local file is written too
    session_id = document["sessions"][0]["id"]
    json_ids = {e["span_id"]: e for e in document["events"]}
    for name, (phoenix_kind, operation, provider) in PLAIN_SPANS.items():
        span = by_name[name]
        attributes = span["attributes"]
        assert span["span_kind"] == phoenix_kind
        assert span["parent_id"] is None  # each call is its own trace in a plain app
        assert span["status_code"] != "ERROR"
        assert attributes["gen_ai.operation.name"] == operation
        assert attributes["gen_ai.provider.name"] == provider
        assert attributes["gen_ai.request.model"] == name.split(" ", 1)[1]
        assert attributes["gen_ai.usage.input_tokens"] > 0
        assert attributes["server.address"] == "127.0.0.1"
        assert attributes["session.id"] == session_id
        assert attributes["aiobs.label.team"] == "ml"
        assert attributes["aiobs.label.aiobs_python_version"]
        # the same span went to both sinks
        assert json_ids[span["context"]["span_id"]]["trace_id"] == span["context"]["trace_id"]
    assert len({span["context"]["trace_id"] for span in spans}) == len(PLAIN_SPANS)
    chat = by_name["chat gpt-4o-mini"]["attributes"]
    assert chat["gen_ai.response.id"] == "chatcmpl-stub-1"
    assert chat["gen_ai.usage.output_tokens"] == 5
    assert chat["gen_ai.request.temperature"] == 0.2
    assert "sk-test-not-a-real-key" not in json.dumps(spans)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_observe_sessions_and_parent_links_reach_phoenix(
    phoenix: PhoenixServer, stub_env: dict[str, str], tmp_path: Path, protocol: str
) -> None:
    project = f"observed-{uuid.uuid4().hex[:8]}"
    env = {**stub_env, **otlp_env(phoenix, protocol, project)}
    flushed = tmp_path / "explicit.json"
    result = run_instrumented(APPS / "observed_app.py", str(flushed), cwd=tmp_path, env=env)
    assert_clean_run(result)

    # three @observe calls, each with one chat call inside
    spans = phoenix.wait_for_spans(project, lambda found: len(without_http(found)) >= 6)
    spans = without_http(spans)
    assert len(spans) == 6, [s["name"] for s in spans]
    functions = {s["context"]["span_id"]: s for s in spans if s["name"] == "answer"}
    chats = [s for s in spans if s["name"] == "chat gpt-4o-mini"]
    assert len(functions) == len(chats) == 3
    for chat in chats:
        parent = functions[chat["parent_id"]]
        assert parent["context"]["trace_id"] == chat["context"]["trace_id"]
        assert chat["attributes"]["session.id"] == parent["attributes"]["session.id"]
        assert "aiobs.label.team" not in chat["attributes"]  # labels sit on local roots
        assert parent["parent_id"] is None
        assert parent["attributes"]["aiobs.label.team"] == "ml"

    explicit = json.loads(flushed.read_text())
    [explicit_session] = [s for s in explicit["sessions"] if s["name"] == "explicit"]
    labelled = [
        f for f in functions.values() if f["attributes"]["session.id"] == explicit_session["id"]
    ]
    assert [f["attributes"]["aiobs.label.stage"] for f in labelled] == ["eval"]
    assert len({f["attributes"]["session.id"] for f in functions.values()}) == 3


def test_llmops_agentic_app_kinds_and_trace_context_in_phoenix(
    phoenix: PhoenixServer, tmp_path: Path
) -> None:
    """The llmops README's agentic pattern (tests/apps/llmops_agentic_app.py)
    sends its spans to Phoenix: AGENT / TOOL / LLM kinds, and the trace's user,
    conversation, tags and metadata on every span."""
    import os
    import subprocess
    import sys
    import urllib.request

    from _bedrock_stub import bedrock_env, bedrock_stub

    project = f"agentic-{uuid.uuid4().hex[:8]}"
    with bedrock_stub() as (endpoint, _):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIOBS_", "OTEL_"))}
        env.update(bedrock_env(endpoint))
        env.update(otlp_env(phoenix, "http/protobuf", project), AIOBS_OTEL_STRICT="1",
                   MODEL_ID="anthropic.claude-3-sonnet-20240229-v1:0")  # fmt: skip
        result = subprocess.run(
            [sys.executable, str(APPS / "llmops_agentic_app.py")], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert_clean_run(result)
    spans = phoenix.wait_for_spans(project, lambda found: len(found) >= 6)
    kinds = sorted((s["name"], s["span_kind"]) for s in spans)
    assert kinds == [
        ("agentic_rag", "CHAIN"),
        ("bedrock_converse", "LLM"),
        ("bedrock_converse", "LLM"),
        ("execute_tool retrieve_context", "TOOL"),
        ("invoke_agent agent_loop", "AGENT"),
        ("retrieve", "CHAIN"),
    ], phoenix.log_tail()
    document = only_json_file(tmp_path)
    session_id = document["sessions"][0]["id"]
    for span in spans:
        attributes = span["attributes"]
        assert attributes["user.id"] == "user_123"
        assert attributes["gen_ai.conversation.id"] == "session_456"
        assert attributes["tag.tags"] == ["agentic", "rag"]
        assert attributes["metadata.version"] == "1.0.0"  # Phoenix parses and flattens it
        assert attributes["session.id"] == session_id  # the aiobs session
    llm = next(s for s in spans if s["span_kind"] == "LLM")["attributes"]
    assert llm["llm.token_count.prompt"] == 21 and llm["llm.token_count.completion"] == 9
    tool = next(s for s in spans if s["span_kind"] == "TOOL")["attributes"]
    assert tool["tool.name"] == "retrieve_context"
    # Phoenix's Sessions view groups traces by session.id: the aiobs session here
    url = f"{phoenix.base_url}/v1/projects/{project}/sessions"
    with urllib.request.urlopen(url, timeout=10) as reply:
        sessions = json.load(reply)["data"]
    assert [s["session_id"] for s in sessions] == [session_id]
