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
    phoenix_python,
    run_instrumented,
)

PROTOCOLS = ["http/protobuf", "grpc"]
PLAIN_SPANS = {
    "chat gpt-4o-mini": ("LLM", "chat", "openai"),
    "embeddings text-embedding-3-small": ("EMBEDDING", "embeddings", "openai"),
    "generate_content gemini-2.0-flash": ("LLM", "generate_content", "gcp.gemini"),
}


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    server = PhoenixServer(phoenix_python(), tmp_path_factory.mktemp("phoenix"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


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
