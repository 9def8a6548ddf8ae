"""@observe: the four function shapes, options, errors, and nesting through context."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel import Observer, observe

FlushJson = Callable[..., dict[str, Any]]


def only(document: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [e for e in document["function_events"] if e["name"] == name]
    return found


def test_sync_function(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    def add(a: int, b: int, *, scale: int = 1) -> int:
        """Adds."""
        return (a + b) * scale

    assert add.__name__ == "add" and add.__doc__ == "Adds."  # functools.wraps
    session_id = observer.observe()
    assert add(1, 2, scale=3) == 9
    event = only(flush_json(), "add")
    assert event["provider"] == "function"
    assert event["api"] == f"{__name__}.test_sync_function.<locals>.add"
    assert event["module"] == __name__
    assert event["args"] == [1, 2]
    assert event["kwargs"] == {"scale": 3}
    assert event["result"] == 9
    assert event["error"] is None
    assert event["session_id"] == session_id
    assert event["ended_at"] >= event["started_at"]
    assert event["duration_ms"] >= 0
    assert len(event["span_id"]) == 16 and len(event["trace_id"]) == 32
    assert event["parent_span_id"] is None
    assert event["callsite"]["file"].endswith("test_decorator.py")
    assert event["callsite"]["function"].endswith("add")


async def test_async_function(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    async def fetch(query: str) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"answer": query.upper()}

    observer.observe()
    assert await fetch("hi") == {"answer": "HI"}
    event = only(flush_json(), "fetch")
    assert event["args"] == ["hi"]
    assert event["result"] == {"answer": "HI"}


def test_generator(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    def count(n: int) -> Generator[int, None, int]:
        yield from range(n)
        return n

    @observe
    def echo() -> Iterator[Any]:
        received = yield "ready"
        yield f"got {received}"

    observer.observe()
    assert list(count(3)) == [0, 1, 2]
    gen = echo()
    assert next(gen) == "ready"
    assert gen.send("x") == "got x"
    gen.close()
    document = flush_json()
    assert only(document, "count")["result"] == {"yielded": [0, 1, 2], "count": 3, "returned": 3}
    assert only(document, "echo")["result"] == {"yielded": ["ready", "got x"], "count": 2}


def test_generator_closed_early_and_failing(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    @observe
    def broken() -> Iterator[int]:
        yield 1
        raise KeyError("missing")

    observer.observe()
    for value in endless():
        if value == 2:
            break
    with pytest.raises(KeyError):
        list(broken())
    document = flush_json()
    assert only(document, "endless")["result"] == {"yielded": [0, 1, 2], "count": 3}
    assert only(document, "broken")["error"] == "KeyError: 'missing'"


async def test_async_generator(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    async def stream(n: int) -> AsyncIterator[str]:
        for i in range(n):
            await asyncio.sleep(0)
            yield f"chunk{i}"

    @observe
    async def fails() -> AsyncIterator[int]:
        yield 1
        raise RuntimeError("stream broke")

    observer.observe()
    assert [c async for c in stream(2)] == ["chunk0", "chunk1"]
    with pytest.raises(RuntimeError, match="stream broke"):
        async for _ in fails():
            pass
    document = flush_json()
    assert only(document, "stream")["result"] == {"yielded": ["chunk0", "chunk1"], "count": 2}
    assert only(document, "fails")["error"] == "RuntimeError: stream broke"


def test_name_and_capture_options(observer: Observer, flush_json: FlushJson) -> None:
    @observe(name="renamed", capture_args=False, capture_result=False)
    def secret(password: str) -> str:
        return password[::-1]

    observer.observe()
    assert secret("hunter2") == "2retnuh"
    document = flush_json()
    event = only(document, "renamed")
    assert event["api"].endswith("secret")  # the api stays the real qualname
    assert event["args"] is None and event["kwargs"] is None and event["result"] is None
    assert "hunter2" not in str(document) and "2retnuh" not in str(document)


def test_enh_prompt_ids_unique_and_traces_in_tree_order(
    observer: Observer, flush_json: FlushJson
) -> None:
    @observe(enh_prompt=True, auto_enhance_after=5)
    def prompt_step(i: int) -> int:
        return i

    @observe(enh_prompt=True)
    def parent() -> None:
        prompt_step(1)
        prompt_step(2)

    @observe
    def plain() -> None:
        return None

    observer.observe()
    parent()
    plain()
    prompt_step(3)
    document = flush_json()
    steps = sorted(
        (e for e in document["function_events"] if e["name"] == "prompt_step"),
        key=lambda e: e["args"][0],
    )
    ids = [e["enh_prompt_id"] for e in steps]
    assert len(set(ids)) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert all(e["enh_prompt"] is True and e["auto_enhance_after"] == 5 for e in steps)
    top = only(document, "parent")
    assert top["auto_enhance_after"] is None
    plain_event = only(document, "plain")
    assert plain_event["enh_prompt"] is False and plain_event["enh_prompt_id"] is None
    # depth-first: parent, its two children (by start), then the later root
    assert document["enh_prompt_traces"] == [top["enh_prompt_id"], *ids]


def test_exception_recorded_and_reraised_unchanged(
    observer: Observer, flush_json: FlushJson, spans: InMemorySpanExporter
) -> None:
    class QuotaError(Exception):
        pass

    raised = QuotaError("over the limit")

    @observe
    def call() -> None:
        raise raised

    @observe
    async def acall() -> None:
        raise raised

    observer.observe()
    with pytest.raises(QuotaError) as info:
        call()
    assert info.value is raised
    with pytest.raises(QuotaError) as ainfo:
        asyncio.run(acall())
    assert ainfo.value is raised
    errors = [e["error"] for e in flush_json()["function_events"]]
    assert errors == ["QuotaError: over the limit"] * 2
    for span in spans.get_finished_spans():
        assert span.status.status_code is trace.StatusCode.ERROR
        assert (span.attributes or {})["error.type"].endswith("QuotaError")


def test_nested_decorated_and_plain_spans_are_children(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson
) -> None:
    @observe
    def inner() -> None:
        with trace.get_tracer("aiobs_test").start_as_current_span("plain-inside"):
            pass

    @observe
    def outer() -> None:
        inner()

    observer.observe()
    outer()
    by_name = {s.name: s for s in spans.get_finished_spans()}
    outer_ctx = by_name["outer"].context
    inner_span = by_name["inner"]
    assert inner_span.parent is not None and inner_span.parent.span_id == outer_ctx.span_id
    plain = by_name["plain-inside"]
    assert plain.parent is not None and plain.parent.span_id == inner_span.context.span_id
    assert len({s.context.trace_id for s in by_name.values()}) == 1
    assert by_name["outer"].kind is trace.SpanKind.INTERNAL

    document = flush_json()
    ((root,),) = [document["trace_tree"]]
    assert root["name"] == "outer" and root["event_type"] == "function"
    assert [c["name"] for c in root["children"]] == ["inner"]
    assert root["children"][0]["parent_span_id"] == root["span_id"]


def test_foreign_span_between_decorated_functions_is_skipped(
    observer: Observer, flush_json: FlushJson
) -> None:
    @observe
    def inner() -> str:
        return "done"

    @observe
    def outer() -> str:
        with (
            trace.get_tracer("http").start_as_current_span("GET /api"),
            trace.get_tracer("db").start_as_current_span("SELECT"),
        ):
            return inner()

    observer.observe()
    outer()
    document = flush_json()
    assert sorted(e["name"] for e in document["function_events"]) == ["inner", "outer"]
    assert document["events"] == []
    outer_event, inner_event = only(document, "outer"), only(document, "inner")
    assert inner_event["parent_span_id"] == outer_event["span_id"]
    (root,) = document["trace_tree"]
    assert [c["name"] for c in root["children"]] == ["inner"]


def test_generator_span_not_current_between_yields(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    @observe
    def produce() -> Iterator[int]:
        yield 1
        yield 2

    observer.observe()
    for _ in produce():
        with trace.get_tracer("consumer").start_as_current_span("consume"):
            pass
    consumer_spans = [s for s in spans.get_finished_spans() if s.name == "consume"]
    assert len(consumer_spans) == 2
    assert all(s.parent is None for s in consumer_spans)


def test_methods_and_unusual_arguments(observer: Observer, flush_json: FlushJson) -> None:
    class Agent:
        def __repr__(self) -> str:
            return "<Agent>"

        @observe
        def run(self, task: str, *extra: int, **options: Any) -> tuple[str, int]:
            return task, len(extra)

    observer.observe()
    assert Agent().run("plan", 1, 2, verbose=True) == ("plan", 2)
    event = only(flush_json(), "run")
    assert event["args"] == ["<Agent>", "plan", 1, 2]
    assert event["kwargs"] == {"verbose": True}
    assert event["result"] == ["plan", 2]


def test_decorated_function_works_without_session(observer: Observer) -> None:
    @observe
    def plain(x: int) -> int:
        return x * 2

    assert plain(21) == 42  # no observe() yet: still just a function call


def test_partials_and_callable_objects(observer: Observer, flush_json: FlushJson) -> None:
    import functools

    def add(a: int, b: int) -> int:
        return a + b

    class Doubler:
        def __call__(self, x: int) -> int:
            return 2 * x

    plus_one = observe(functools.partial(add, 1))
    double = observe(Doubler())
    observer.observe()
    assert plus_one(2) == 3
    assert double(4) == 8
    document = flush_json()
    assert sorted(e["name"] for e in document["function_events"]) == ["Doubler", "partial"]


def test_values_under_secret_keys_are_redacted(observer: Any, flush_json: Any) -> None:
    @observe
    def call_api(config: dict[str, Any], token: str) -> dict[str, Any]:
        return {"status": "ok", "headers": {"Authorization": "Bearer sk-live-123"}}

    observer.observe()
    call_api(
        {"api_key": "sk-live-123", "max_tokens": 5, "http": {"x-goog-api-key": "g-123"}},
        token="tok-123",
    )
    text = json.dumps(flush_json())
    for secret in ("sk-live-123", "g-123", "tok-123"):
        assert secret not in text
    assert '"max_tokens": 5' in text
