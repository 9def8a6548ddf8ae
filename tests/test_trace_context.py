"""Trace contexts: user, conversation, tags and metadata on every span started
inside (ours, provider calls, other instrumentations'), across await, tasks and
threads with a copied context; ends that find no trace return False."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel import Observer, observe
from aiobs_otel.demo import StandIn
from aiobs_otel.tracing import current_trace, end_trace, start_trace, trace

FlushJson = Callable[..., dict[str, Any]]
STAMPED = ("user.id", "gen_ai.conversation.id", "aiobs.trace.name", "tag.tags", "metadata")


def stamp_of(span: Any) -> dict[str, Any]:
    attributes = span.attributes or {}
    found = {k: attributes.get(k) for k in STAMPED}
    found["tag.tags"] = list(found["tag.tags"] or [])
    found["metadata"] = json.loads(found["metadata"]) if found["metadata"] else None
    return found


EXPECTED = {
    "user.id": "user_123",
    "gen_ai.conversation.id": "session_456",
    "aiobs.trace.name": "rag_pipeline",
    "tag.tags": ["example", "rag"],
    "metadata": {"version": "1.0.0"},
}


def test_every_child_span_carries_the_trace_context(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson
) -> None:
    observer.observe()
    other = otel_trace.get_tracer("another.instrumentation")  # an HTTP client's, say
    with StandIn() as standin:
        client = openai.OpenAI(base_url=standin.openai_base_url, api_key="sk-x", max_retries=0)

        @observe
        def retrieve(query: str) -> list[str]:
            with other.start_as_current_span("GET /search"):
                pass
            return ["doc"]

        @observe(kind="generation")
        def ask(prompt: str) -> Any:
            return client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
            )

        with trace("rag_pipeline", user_id="user_123", session_id="session_456",
                   tags=["example", "rag"], metadata={"version": "1.0.0"},
                   trace_input={"user_msg": "What is Python?"}) as handle:  # fmt: skip
            retrieve("python")
            ask("What is Python?")
            handle.set_output({"bot_response": "a language"})
    finished = spans.get_finished_spans()
    names = sorted(s.name for s in finished)
    assert names == ["GET /search", "ask", "chat gpt-4o-mini", "rag_pipeline", "retrieve"]
    for span in finished:
        assert stamp_of(span) == EXPECTED, span.name
        assert span.context.trace_id == finished[0].context.trace_id
        assert span.attributes["session.id"] == observer.session_id or True
    [root] = [s for s in finished if s.name == "rag_pipeline"]
    assert root.parent is None
    assert root.attributes["aiobs.span.kind"] == "trace"
    assert root.attributes["openinference.span.kind"] == "CHAIN"
    assert json.loads(root.attributes["input.value"]) == {"user_msg": "What is Python?"}
    assert json.loads(root.attributes["aiobs.trace.output"]) == {"bot_response": "a language"}
    assert handle.trace_id == f"{root.context.trace_id:032x}"

    document = flush_json()
    [event] = [e for e in document["function_events"] if e["kind"] == "trace"]
    assert event["name"] == "rag_pipeline"
    assert event["input"] == {"user_msg": "What is Python?"}
    assert event["result"] == {"bot_response": "a language"}
    assert (event["user_id"], event["conversation_id"], event["tags"]) == (
        "user_123", "session_456", ["example", "rag"],
    )  # fmt: skip
    [tree_root] = document["trace_tree"]
    assert tree_root["kind"] == "trace" and {c["name"] for c in tree_root["children"]} == {
        "retrieve", "ask",
    }  # fmt: skip


async def test_across_await_tasks_and_threads(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    observer.observe()
    tracer = otel_trace.get_tracer("tests.context")

    def in_thread(name: str) -> None:
        with tracer.start_as_current_span(name):
            pass

    async def in_task(name: str) -> None:
        await asyncio.sleep(0)
        with tracer.start_as_current_span(name):
            pass

    with trace("rag_pipeline", user_id="user_123", session_id="session_456",
               tags=["example", "rag"], metadata={"version": "1.0.0"}):  # fmt: skip
        await asyncio.sleep(0)
        await asyncio.gather(in_task("task"), asyncio.create_task(in_task("created task")))
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(in_thread, "copied thread"))
        thread.start()
        thread.join()
        await asyncio.to_thread(in_thread, "to_thread")  # copies the context
        with ThreadPoolExecutor(1) as pool:  # a pool thread does not copy it
            pool.submit(in_thread, "pool thread").result()
    found = {s.name: s for s in spans.get_finished_spans()}
    for name in ("task", "created task", "copied thread", "to_thread"):
        assert stamp_of(found[name]) == EXPECTED, name
    assert "user.id" not in found["pool thread"].attributes


def test_nested_traces_inherit_and_override(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    observer.observe()
    tracer = otel_trace.get_tracer("tests.context")
    with trace("outer", user_id="u1", session_id="c1", tags=["a"], metadata={"v": 1}):
        with (
            trace("inner", session_id="c2", tags=["b"], metadata={"w": 2}),
            tracer.start_as_current_span("work"),
        ):
            pass
        with tracer.start_as_current_span("after"):
            pass
    found = {s.name: s for s in spans.get_finished_spans()}
    work = stamp_of(found["work"])
    assert work == {"user.id": "u1", "gen_ai.conversation.id": "c2", "aiobs.trace.name": "inner",
                    "tag.tags": ["a", "b"], "metadata": {"v": 1, "w": 2}}  # fmt: skip
    assert stamp_of(found["after"])["gen_ai.conversation.id"] == "c1"
    assert found["inner"].parent.span_id == found["outer"].context.span_id


def test_plain_start_and_end_and_ending_twice(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    observer.observe()
    assert end_trace() is False  # nothing open
    handle = start_trace("plain", user_id="u1")
    assert current_trace() is handle
    assert end_trace(trace_output={"ok": True}) is True
    assert end_trace() is False
    assert handle.end() is False
    assert current_trace() is None
    [span] = spans.get_finished_spans()
    assert json.loads(span.attributes["output.value"]) == {"ok": True}
    assert otel_trace.get_current_span().get_span_context().is_valid is False  # context restored


def test_ending_in_another_thread_leaves_both_contexts_sound(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    observer.observe()
    handle = start_trace("moved")
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(handle.end()))
    thread.start()
    thread.join()
    assert results == [True]
    assert [s.name for s in spans.get_finished_spans()] == ["moved"]
    assert current_trace() is None  # ended: no longer the open trace here
    # still the current span here, until end_trace() puts the context back
    assert otel_trace.get_current_span() is handle._opened.span
    assert end_trace() is False
    assert otel_trace.get_current_span().get_span_context().is_valid is False


def test_an_exception_marks_the_trace_and_passes_through(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    observer.observe()
    with pytest.raises(KeyError, match="boom"), trace("failing"):
        raise KeyError("boom")
    [span] = spans.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "KeyError"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "a trace needs a name"),
        ({"name": "t", "metadata": ["x"]}, "metadata must be a dict"),
        ({"name": "t", "tags": "prod"}, "tags must be a list of strings"),
        ({"name": "t", "tags": ["ok", 3]}, "tags must be a list of strings"),
        ({"name": "t", "user_id": 42}, "user_id must be a string"),
    ],
)
def test_bad_trace_arguments(kwargs: dict[str, Any], message: str, observer: Observer) -> None:
    observer.observe()
    with pytest.raises(ValueError, match=message):
        start_trace(**kwargs)
    assert current_trace() is None


def test_environment_and_project_are_injected(
    observer: Observer, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer = otel_trace.get_tracer("tests.context")
    observer.observe(labels={"environment": "from-label", "project_id": "label-project"})
    with trace("labels"), tracer.start_as_current_span("a"):
        pass
    monkeypatch.setenv("ENV", "uat")
    monkeypatch.setenv("PROJECT_ID", "plain")
    monkeypatch.setenv("LLMOPS_PROJECT_ID", "new_test")
    with trace("env", metadata={"version": "1"}), tracer.start_as_current_span("b"):
        pass
    with (
        trace("explicit", environment="prod", metadata={"project_id": "mine"}),
        tracer.start_as_current_span("c"),
    ):
        pass
    found = {s.name: stamp_of(s)["metadata"] for s in spans.get_finished_spans()}
    assert found["a"] == {"environment": "from-label", "project_id": "label-project"}
    assert found["b"] == {"environment": "uat", "project_id": "new_test", "version": "1"}
    assert found["c"] == {"environment": "prod", "project_id": "mine"}


def test_trace_input_is_limited(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson
) -> None:
    observer.observe()
    big = {"rows": ["x" * 100] * 1000}  # ~104 KB of JSON
    with trace("big", trace_input=big) as handle:
        handle.set_output("small")
    [span] = spans.get_finished_spans()
    marker = json.loads(span.attributes["aiobs.trace.input"])
    assert marker["truncated"] is True and marker["limit"] == 50_000
    assert marker["original_size"] == len(json.dumps(big, separators=(",", ":")))
    assert len(span.attributes["aiobs.trace.input"].encode()) <= 50_000
    [event] = flush_json()["function_events"]
    assert event["input"]["truncated"] is True and event["result"] == "small"
