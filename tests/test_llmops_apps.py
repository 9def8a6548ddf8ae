"""The llmops README's "Agentic Integration Pattern" and "Complete Workflow",
import changed, run as a new user would: ``python app.py`` in its own process,
the real boto3 client talking to a Bedrock stand-in on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _bedrock_stub import ANSWER, bedrock_env, bedrock_stub
from _zero_code_support import APPS, assert_clean_run

SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


@pytest.fixture(scope="module")
def stub() -> Iterator[tuple[dict[str, str], list[tuple[str, dict[str, Any]]]]]:
    with bedrock_stub() as (endpoint, calls):
        yield bedrock_env(endpoint), calls


def run_app(
    script: str, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIOBS_", "OTEL_", "AWS_"))}
    clean.update(AIOBS_OTEL_STRICT="1", **env)
    return subprocess.run(
        [sys.executable, str(APPS / script), *args], cwd=cwd, env=clean,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def only_export(directory: Path) -> dict[str, Any]:
    [path] = list(directory.glob("*.json"))
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def tree_shape(node: dict[str, Any]) -> Any:
    return (node["kind"], node["name"], [tree_shape(c) for c in node["children"]])


def test_agentic_integration_pattern(stub: Any, tmp_path: Path) -> None:
    env, calls = stub
    result = run_app("llmops_agentic_app.py", cwd=tmp_path, env={**env, "MODEL_ID": SONNET})
    assert_clean_run(result)
    assert result.stdout.strip() == ANSWER
    document = only_export(tmp_path)  # written when the trace ended
    [root] = document["trace_tree"]
    assert tree_shape(root) == ("trace", "agentic_rag", [
        ("agent", "agent_loop", [
            ("generation", "bedrock_converse", []),
            ("tool", "retrieve_context", [("function", "retrieve", [])]),
            ("generation", "bedrock_converse", []),
        ]),
    ])  # fmt: skip
    assert root["user_id"] == "user_123" and root["conversation_id"] == "session_456"
    assert root["input"] == {"user_msg": "What is Python?"}
    assert root["result"] == {"bot_response": ANSWER}
    generations = [e for e in document["function_events"] if e["kind"] == "generation"]
    for generation in generations:
        assert generation["usage"] == {"input_tokens": 21, "output_tokens": 9, "total_tokens": 30}
        assert generation["model"] == SONNET  # MODEL_ID, as llmops's default model
        assert generation["cost"]["total"] > 0
    assert generations[1]["response"] == ANSWER
    [tool] = [e for e in document["function_events"] if e["kind"] == "tool"]
    assert tool["tool_call_id"].startswith("call_")
    assert tool["result"] == ["Python is a programming language.", "It was created by Guido."]
    assert [action for action, _ in calls[-2:]] == ["converse", "converse"]
    assert "testing-secret-not-real" not in json.dumps(document)


def test_complete_workflow(stub: Any, tmp_path: Path) -> None:
    env, _ = stub
    result = run_app("llmops_workflow_app.py", cwd=tmp_path, env=env)
    assert_clean_run(result)
    assert result.stdout.strip() == ANSWER
    document = only_export(tmp_path)
    [root] = document["trace_tree"]
    assert tree_shape(root) == ("trace", "rag_pipeline", [
        ("function", "retrieve_context", []), ("generation", "generate_answer", []),
    ])  # fmt: skip
    assert root["metadata"] == {"pipeline": "v1"}
    generation = root["children"][1]
    assert generation["usage"]["total_tokens"] == 30
    assert generation["prompt"] == "What is Python?"
    # converse results do not name their model: without model= (or MODEL_ID) no price
    assert generation["model"] is None and generation["cost"] is None


def test_complete_workflow_as_written(stub: Any, tmp_path: Path) -> None:
    """The README passes ``content`` as a string; boto3 refuses it before any
    request. The user gets boto3's own error, and the trace is still written."""
    env, _ = stub
    result = run_app("llmops_workflow_app.py", "--as-written", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "botocore.exceptions.ParamValidationError" in result.stderr
    assert "aiobs-otel:" not in result.stderr
    events = {e["name"]: e for e in only_export(tmp_path)["function_events"]}
    assert events["generate_answer"]["error"].startswith("ParamValidationError: ")
    assert events["rag_pipeline"]["error"] is None
