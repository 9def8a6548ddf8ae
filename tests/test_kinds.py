"""@observe(kind=...): agent, tool, retriever and function spans; options checked
at decoration time; the kind in the JSON export (valid for aiobs 0.2.0)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from aiobs_otel import Observer, observe
from test_aiobs_compat import validate_with_aiobs

FlushJson = Callable[..., dict[str, Any]]


def by_name(spans: InMemorySpanExporter) -> dict[str, Any]:
    return {s.name: s for s in spans.get_finished_spans()}


def test_agent_tool_retriever_and_function_spans(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson
) -> None:
    @observe(kind="tool")
    def lookup(city: str, tool_call_id: str | None = None) -> dict[str, Any]:
        return {"city": city, "temp_c": 21}

    @observe(kind="retriever", name="vector_search")
    def retrieve(query: str) -> list[str]:
        return ["doc 1", "doc 2"]

    @observe
    def plain(x: int) -> int:
        return x

    @observe(kind="agent", name="weather_agent")
    def agent(question: str) -> str:
        retrieve(question)
        lookup("Paris", tool_call_id="call_abc")
        lookup("Rome")
        return f"sunny {plain(1)}"

    observer.observe()
    assert agent("weather?") == "sunny 1"
    found = by_name(spans)
    root = found["invoke_agent weather_agent"]
    assert root.kind == SpanKind.INTERNAL
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "weather_agent"
    assert root.attributes["aiobs.span.kind"] == "agent"
    assert root.attributes["openinference.span.kind"] == "AGENT"
    tools = [s for s in spans.get_finished_spans() if s.name == "execute_tool lookup"]
    assert len(tools) == 2
    first, second = tools
    assert first.attributes["gen_ai.tool.name"] == "lookup"
    assert first.attributes["gen_ai.tool.call.id"] == "call_abc"
    assert second.attributes["gen_ai.tool.call.id"].startswith("call_")
    assert second.attributes["gen_ai.tool.call.id"] != "call_abc"
    # the call id is the span's gen_ai.tool.call.id, not one of the tool's arguments
    assert json.loads(first.attributes["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(first.attributes["gen_ai.tool.call.result"]) == {
        "city": "Paris",
        "temp_c": 21,
    }
    assert first.attributes["openinference.span.kind"] == "TOOL"
    assert first.parent.span_id == root.context.span_id
    retriever = found["vector_search"]
    assert retriever.attributes["openinference.span.kind"] == "RETRIEVER"
    assert retriever.attributes["gen_ai.operation.name"] == "retrieval"
    function = found["plain"]
    assert function.attributes["aiobs.span.kind"] == "function"
    assert function.attributes["openinference.span.kind"] == "CHAIN"
    assert "gen_ai.operation.name" not in function.attributes

    document = flush_json()
    kinds = {e["name"]: e["kind"] for e in document["function_events"]}
    assert kinds == {"weather_agent": "agent", "lookup": "tool", "vector_search": "retriever",
                     "plain": "function"}  # fmt: skip
    tool_ids = {e["tool_call_id"] for e in document["function_events"] if e["kind"] == "tool"}
    assert "call_abc" in tool_ids and len(tool_ids) == 2
    [tree_root] = document["trace_tree"]
    assert tree_root["kind"] == "agent" and len(tree_root["children"]) == 4


def test_tool_call_id_given_positionally(observer: Observer, spans: InMemorySpanExporter) -> None:
    @observe(kind="tool")
    def run_tool(tool_call_id: str, payload: dict[str, Any]) -> str:
        return "done"

    observer.observe()
    run_tool("toolu_01", {"a": 1})
    [span] = spans.get_finished_spans()
    assert span.attributes["gen_ai.tool.call.id"] == "toolu_01"


def test_tool_content_follows_the_content_switch(
    observer: Observer, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "NO_CONTENT")

    @observe(kind="tool")
    def secret_tool(query: str) -> str:
        return "classified"

    observer.observe()
    secret_tool("q")
    [span] = spans.get_finished_spans()
    assert "gen_ai.tool.call.arguments" not in span.attributes
    assert "gen_ai.tool.call.result" not in span.attributes
    assert span.attributes["gen_ai.tool.call.id"]


async def test_kinds_on_async_and_generator_shapes(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    @observe(kind="tool")
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        return "page"

    @observe(kind="retriever")
    def stream_docs(n: int) -> Iterator[str]:
        yield from (f"doc {i}" for i in range(n))

    @observe(kind="agent")
    async def plan(n: int) -> AsyncIterator[int]:
        for i in range(n):
            yield i

    observer.observe()
    assert await fetch("https://example.com") == "page"
    assert list(stream_docs(2)) == ["doc 0", "doc 1"]
    assert [i async for i in plan(2)] == [0, 1]
    found = by_name(spans)
    assert found["execute_tool fetch"].attributes["gen_ai.tool.call.result"] == '"page"'
    assert found["stream_docs"].attributes["aiobs.span.kind"] == "retriever"
    assert found["invoke_agent plan"].attributes["aiobs.span.kind"] == "agent"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "chain"}, "kind=...) must be one of"),
        ({"kind": None}, "must be one of"),
        ({"metadata": ["a"]}, "metadata must be a dict"),
        ({"metadata": {1: "a"}}, "metadata keys must be strings"),
        ({"capture_locals": "total"}, "capture_locals must be True, False or"),
        ({"capture_locals": []}, "non-empty list"),
        ({"capture_self": "yes"}, "capture_self must be True or False"),
        ({"model": "gpt-4o"}, "model= is for kind='generation'"),
        ({"kind": "generation", "model": ""}, "model must be a model id"),
        ({"kind": "generation", "evals": ["kindness"]}, "unknown evaluation criterion"),
        ({"kind": "generation", "sample_rate": 2, "evals": ["correctness"]}, "sample_rate"),
    ],
)
def test_bad_options_raise_at_decoration(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):

        @observe(**options)
        def target() -> None:
            raise AssertionError("never called")


def test_metadata_on_the_span_and_in_the_export(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson
) -> None:
    @observe(metadata={"service": "auth", "api_key": "sk-hidden", "priority": 1})
    def authenticate(user: str) -> bool:
        return True

    observer.observe()
    authenticate("bob")
    [span] = spans.get_finished_spans()
    own = json.loads(span.attributes["aiobs.span.metadata"])
    assert own == {"service": "auth", "api_key": "<redacted>", "priority": 1}
    assert json.loads(span.attributes["metadata"]) == own  # Phoenix's metadata view
    [event] = flush_json()["function_events"]
    assert event["metadata"] == own
    assert "sk-hidden" not in json.dumps(event)


def test_the_export_with_kinds_validates_with_aiobs(observer: Observer, tmp_path: Path) -> None:
    @observe(kind="tool", capture_locals=True)
    def tool(x: int) -> int:
        doubled = x * 2
        return doubled

    @observe(kind="generation", model="gpt-4o-mini", metadata={"team": "ml"})
    def generate(prompt: str) -> dict[str, Any]:
        return {"object": "chat.completion", "model": "gpt-4o-mini", "id": "c1",
                "choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1}}  # fmt: skip

    @observe(kind="agent", name="research")
    def agent() -> str:
        tool(2)
        generate("hello")
        return "ok"

    observer.observe(session_name="kinds")
    agent()
    path = tmp_path / "kinds.json"
    observer.flush(path=str(path))
    seen = validate_with_aiobs(path)
    assert seen["function_names"] == ["generate", "research", "tool"]
    assert seen["tree_roots"] == ["research"]
    document = json.loads(path.read_text())
    assert {e["name"]: e["kind"] for e in document["function_events"]} == {
        "generate": "generation", "research": "agent", "tool": "tool",
    }  # fmt: skip


def test_the_viewer_shows_the_kinds(observer: Observer, tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from aiobs_otel.viewer import load_export, render_html, render_terminal

    @observe(kind="tool")
    def lookup() -> str:
        return "x"

    @observe(kind="generation", model="gpt-4o-mini")
    def generate() -> dict[str, Any]:
        return {"object": "chat.completion", "model": "gpt-4o-mini",
                "choices": [{"message": {"content": "hi"}}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1}}  # fmt: skip

    @observe(kind="agent", name="planner")
    def agent() -> None:
        lookup()
        generate()

    observer.observe()
    agent()
    path = tmp_path / "view.json"
    observer.flush(path=str(path))
    export = load_export(str(path))
    out = StringIO()
    render_terminal(export, Console(file=out, width=120, color_system=None))
    text = out.getvalue()
    assert "planner() [agent]" in text and "lookup() [tool]" in text
    assert "generate() [generation]  gpt-4o-mini" in text and "3 in -> 1 out" in text
    page = render_html(export)
    assert '<span class="kind">agent</span>' in page
