"""A new user's two first runs, seen in Arize Phoenix: ``examples/responses_agent.py``
(a Responses API agent loop with a tool call) and ``examples/gemini_embeddings.py``
(a Gemini embeddings batch), run as the README says, against the provider
stand-in, with nothing but the standard OTLP variables pointing at Phoenix.

The same spans reach both sinks: the JSON file (its span ids) and Phoenix,
read back through its REST API. Phoenix derives its span kinds and its
``llm.*`` / ``embedding.*`` / ``tool.*`` views from our attributes.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _examples_support import response, run_example
from _zero_code_support import PhoenixServer
from aiobs_otel.exporters.models import ObservabilityExport

pytest_plugins = ("phoenix_fixtures",)


@dataclass
class Run:
    export: ObservabilityExport
    spans: dict[str, list[dict[str, Any]]]  # Phoenix's spans by name

    def one(self, name: str) -> dict[str, Any]:
        (span,) = self.spans[name]
        return span


def run_into_phoenix(name: str, phoenix: PhoenixServer, tmp_path: Path, expected_spans: int) -> Run:
    project = f"{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    export, _ = run_example(
        name, tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=phoenix.base_url,  # what a user sets, as the README says
        OTEL_METRICS_EXPORTER="none",  # Phoenix takes traces only
        OTEL_RESOURCE_ATTRIBUTES=f"openinference.project.name={project}",
    )  # fmt: skip
    found = phoenix.wait_for_spans(project, lambda spans: len(spans) >= expected_spans)
    assert len(found) == expected_spans, ([s["name"] for s in found], phoenix.log_tail())
    by_name: dict[str, list[dict[str, Any]]] = {}
    for span in sorted(found, key=lambda s: s["start_time"]):
        by_name.setdefault(span["name"], []).append(span)
    # every span is also in the JSON file, with the same ids
    exported = {e.span_id: e.trace_id for e in [*export.events, *export.function_events]}
    assert {s["context"]["span_id"]: s["context"]["trace_id"] for s in found} == exported
    session_id = export.sessions[0].id
    assert all(s["attributes"]["session.id"] == session_id for s in found)
    return Run(export, by_name)


@pytest.fixture(scope="module")
def agent_run(phoenix: PhoenixServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_into_phoenix("responses_agent", phoenix, tmp_path_factory.mktemp("agent"), 4)


@pytest.fixture(scope="module")
def embeddings_run(phoenix: PhoenixServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_into_phoenix("gemini_embeddings", phoenix, tmp_path_factory.mktemp("embed"), 1)


def test_the_agent_loop_is_one_trace_of_agent_tool_and_llm_spans(agent_run: Run) -> None:
    agent = agent_run.one("invoke_agent weather_agent")
    tool = agent_run.one("execute_tool get_weather")
    first, second = agent_run.spans["chat gpt-4.1-mini"]
    assert (agent["span_kind"], tool["span_kind"]) == ("AGENT", "TOOL")
    assert (first["span_kind"], second["span_kind"]) == ("LLM", "LLM")
    assert agent["parent_id"] is None
    for child in (first, tool, second):
        assert child["parent_id"] == agent["context"]["span_id"]
        assert child["context"]["trace_id"] == agent["context"]["trace_id"]
        assert child["status_code"] != "ERROR"
    assert agent["attributes"]["gen_ai.agent.name"] == "weather_agent"
    assert tool["attributes"]["tool.name"] == "get_weather"


def test_the_first_llm_span_asks_for_the_tool(agent_run: Run) -> None:
    first, _ = agent_run.spans["chat gpt-4.1-mini"]
    tool = agent_run.one("execute_tool get_weather")["attributes"]
    attributes = first["attributes"]
    assert attributes["aiobs.api"] == "responses.create"
    assert attributes["gen_ai.response.finish_reasons"] == ["tool_call"]
    assert attributes["gen_ai.system_instructions"].count("Answer in one sentence") == 1
    (output,) = json.loads(attributes["gen_ai.output.messages"])
    (call,) = output["parts"]
    assert call["type"] == "tool_call" and call["name"] == "get_weather"
    assert call["id"] == tool["gen_ai.tool.call.id"]  # the tool span names the model's call
    # Phoenix's own view of the same call
    prefix = "llm.output_messages.0.message.tool_calls.0.tool_call"
    assert attributes[f"{prefix}.function.name"] == "get_weather"
    assert json.loads(attributes[f"{prefix}.function.arguments"]) == call["arguments"]
    assert attributes["llm.tools.0.tool.json_schema"].count('"get_weather"') == 1
    usage = agent_run.export.events[0].response["usage"]  # type: ignore[index]
    assert attributes["llm.token_count.prompt"] == usage["input_tokens"]
    assert (
        attributes["llm.token_count.prompt_details.cache_read"]
        == (usage["input_tokens_details"]["cached_tokens"])
    )


def test_the_second_llm_span_reads_the_tool_output_and_answers(agent_run: Run) -> None:
    _, second = agent_run.spans["chat gpt-4.1-mini"]
    tool = agent_run.one("execute_tool get_weather")["attributes"]
    result = json.loads(tool["gen_ai.tool.call.result"])
    attributes = second["attributes"]
    messages = json.loads(attributes["gen_ai.input.messages"])
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[-1]["parts"] == [
        {"type": "tool_call_response", "id": tool["gen_ai.tool.call.id"], "response": result}
    ]
    assert attributes["llm.input_messages.3.message.role"] == "tool"
    assert attributes["llm.input_messages.3.message.tool_call_id"] == tool["gen_ai.tool.call.id"]
    assert attributes["llm.input_messages.3.message.content"] == result
    assert attributes["gen_ai.response.finish_reasons"] == ["stop"]
    answer = attributes["llm.output_messages.0.message.content"]
    assert result in answer
    assert answer == response(agent_run.export.events[1])["text"]


def test_the_embeddings_batch_is_one_embedding_span(embeddings_run: Run) -> None:
    span = embeddings_run.one("embeddings gemini-embedding-001")
    attributes = span["attributes"]
    assert span["span_kind"] == "EMBEDDING" and span["parent_id"] is None
    assert attributes["embedding.model_name"] == "gemini-embedding-001"
    assert attributes["aiobs.api"] == "models.embed_content"
    assert attributes["gen_ai.provider.name"] == "gcp.gemini"
    assert attributes["gen_ai.embeddings.dimension.count"] == 768
    # the batch: three inputs in, three vectors out (the vectors stay off spans)
    assert len(json.loads(attributes["aiobs.request.extra"])["input"]) == 3
    assert json.loads(attributes["aiobs.response.extra"]) == {"count": 3}
    (event,) = embeddings_run.export.events
    assert len(response(event)["data"]) == 3
    vector = response(event)["data"][0]["embedding"]
    assert str(vector[0]) not in json.dumps(attributes)
