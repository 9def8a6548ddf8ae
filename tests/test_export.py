"""The ObservabilityExport: unsafe values, the trace tree, provider events, the
bounded buffer."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from opentelemetry import trace

from aiobs_otel import ObservabilityExport, Observer, observe
from aiobs_otel.exporters.buffer import ExportBuffer
from aiobs_otel.functions import FunctionRecord, FunctionSpec
from aiobs_otel.values import MAX_ITEMS, MAX_STRING, dumps, to_jsonable

FlushJson = Callable[..., dict[str, Any]]


class Opaque:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<Opaque thing>"


class BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class BadMapping(dict[str, int]):
    def items(self) -> Any:
        raise RuntimeError("items exploded")


def cyclic() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


def test_unsafe_values_become_safe() -> None:
    nested: dict[str, Any] = {"a": {}}
    nested["a"]["back"] = nested
    assert to_jsonable(Opaque()) == "<Opaque thing>"
    assert to_jsonable(BadRepr()) == "<unrepresentable BadRepr>"
    assert to_jsonable(b"\x00" * 10) == "<bytes len=10>"
    assert to_jsonable(bytearray(3)) == "<bytearray len=3>"
    assert to_jsonable(cyclic()) == [1, "<cycle list>"]
    assert to_jsonable(nested) == {"a": {"back": "<cycle dict>"}}
    # NaN and infinities as their JavaScript names: every JSON parser reads the file
    assert to_jsonable(float("nan")) == "NaN"
    assert to_jsonable([math.inf, -math.inf]) == ["Infinity", "-Infinity"]
    assert to_jsonable(10**5000) == "<int 16610 bits>"
    assert to_jsonable({(1, 2): "tuple key", 3: "int key"}) == {
        "(1, 2)": "tuple key",
        "3": "int key",
    }
    assert to_jsonable({3, 1, 2}) == [1, 2, 3]
    assert to_jsonable(BadMapping(a=1)) == "<unserializable BadMapping: RuntimeError>"
    assert to_jsonable(mock.Mock()).startswith("<Mock id=")  # no endless model_dump()
    assert to_jsonable([[[[[[["deep"]]]]]]]) == [[[[[["<list nested too deep>"]]]]]]


def test_huge_values_are_truncated() -> None:
    text = to_jsonable("x" * (MAX_STRING + 500))
    assert text == "x" * MAX_STRING + "...[truncated 500 chars]"
    items = to_jsonable(list(range(MAX_ITEMS + 50)))
    assert items[:MAX_ITEMS] == list(range(MAX_ITEMS))
    assert items[MAX_ITEMS:] == ["...[50 more items]"]
    keys = to_jsonable({f"k{i}": i for i in range(MAX_ITEMS + 7)})
    assert len(keys) == MAX_ITEMS + 1 and keys["..."] == "[7 more keys]"
    assert len(to_jsonable(set(range(10_000)))) == MAX_ITEMS + 1


def test_total_size_is_bounded() -> None:
    wide = [["y" * MAX_STRING] * MAX_ITEMS] * MAX_ITEMS  # about 40 MB if copied whole
    encoded = dumps(wide)
    assert len(encoded) < 400_000
    assert "more items" in encoded


def test_pydantic_models_and_dataclasses_are_structured() -> None:
    from dataclasses import dataclass

    from pydantic import BaseModel

    class Query(BaseModel):
        text: str
        limit: int | None = None

    @dataclass
    class Hit:
        score: float
        raw: bytes

    assert to_jsonable(Query(text="q")) == {"text": "q"}
    assert to_jsonable(Hit(0.5, b"abc")) == {"score": 0.5, "raw": "<bytes len=3>"}


def test_unsafe_values_through_observe_and_flush(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    def handle(*args: Any, **kwargs: Any) -> Any:
        return {"nan": float("nan"), "obj": Opaque(), "loop": cyclic()}

    observer.observe()
    handle(Opaque(), b"bytes", cyclic(), "s" * 100_000, BadRepr(), huge=list(range(10_000)))
    handle("lone \ud800 surrogate")
    document = flush_json()
    first, second = sorted(document["function_events"], key=lambda e: e["started_at"])
    assert first["args"][:3] == ["<Opaque thing>", "<bytes len=5>", [1, "<cycle list>"]]
    assert first["args"][3].endswith("...[truncated 95904 chars]")
    assert first["args"][4] == "<unrepresentable BadRepr>"
    assert first["kwargs"]["huge"][-1] == "...[9900 more items]"
    assert first["result"] == {"nan": "NaN", "obj": "<Opaque thing>", "loop": [1, "<cycle list>"]}
    assert second["args"] == ["lone \ufffd surrogate"]  # U+FFFD: valid UTF-8 for any parser
    ObservabilityExport.model_validate(document)


def _chat_call(model: str, input_tokens: int, output_tokens: int) -> None:
    """One provider call through the real lifecycle, as an instrumentor makes it."""
    from opentelemetry import metrics

    from aiobs_otel.instrumentors.config import ContentSettings
    from aiobs_otel.instrumentors.lifecycle import ProviderCall, Telemetry
    from aiobs_otel.instrumentors.metrics import GenAIMetrics
    from aiobs_otel.instrumentors.openai.chat import ChatAdapter

    class Response:
        id = "r1"
        model = None
        choices: list[Any] = []
        usage = {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                 "total_tokens": input_tokens + output_tokens}  # fmt: skip

    telemetry = Telemetry(
        tracer=trace.get_tracer("aiobs_otel.test_provider"),
        metrics=GenAIMetrics(metrics.get_meter("test")),
        content=ContentSettings.from_flag(True),
    )
    call = ProviderCall.open(telemetry, ChatAdapter(), None, {"model": model, "messages": []})
    assert call is not None
    call.succeed(Response())


def test_trace_tree_links_provider_and_function_events(
    observer: Observer, flush_json: FlushJson
) -> None:
    provider_tracer = trace.get_tracer("aiobs_otel.test_provider")

    @observe
    def agent() -> None:
        _chat_call("gpt-test", 3, 4)
        # ours by scope, but not a traced call: not an event
        with provider_tracer.start_as_current_span("unknown op"):
            pass

    observer.observe()
    agent()
    document = flush_json()
    (event,) = document["events"]
    assert (event["provider"], event["api"]) == ("openai", "chat.completions.create")
    assert event["request"]["model"] == "gpt-test"
    assert event["response"]["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 7,
    }
    (root,) = document["trace_tree"]
    assert root["event_type"] == "function"
    (child,) = root["children"]
    assert child["event_type"] == "provider" and child["span_id"] == event["span_id"]
    assert event["parent_span_id"] == root["span_id"]


def test_tree_orders_roots_and_children_by_start(observer: Observer, flush_json: FlushJson) -> None:
    @observe
    def leaf(i: int) -> int:
        return i

    @observe
    def branch() -> None:
        for i in range(3):
            leaf(i)

    observer.observe()
    branch()
    leaf(99)
    tree = flush_json()["trace_tree"]
    assert [n["name"] for n in tree] == ["branch", "leaf"]
    assert [c["args"] for c in tree[0]["children"]] == [[0], [1], [2]]
    assert tree[1]["args"] == [99] and tree[1]["children"] == []


# -- the bounded buffer ---------------------------------------------------------------


def _functions(count: int) -> None:
    for i in range(count):
        observe(name=f"s{i}")(lambda: None)()


def _records(count: int, start: int = 0) -> list[FunctionRecord]:
    return [FunctionRecord(FunctionSpec(lambda: None, f"s{i}", True, True, False, None))
            for i in range(start, start + count)]  # fmt: skip


def test_buffer_cap_from_env_drops_counts_and_logs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    observer: Observer,
) -> None:  # fmt: skip
    monkeypatch.setenv("AIOBS_MAX_BUFFERED_SPANS", "3")
    own = observer
    own.observe()
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        _functions(5)
        target = tmp_path / "capped.json"
        own.flush(path=str(target))
    document = json.loads(target.read_text())
    assert [e["name"] for e in document["function_events"]] == ["s0", "s1", "s2"]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("export buffer holds 3 spans" in m for m in messages) == 1  # once, not per span
    assert any("2 spans were dropped since the last flush" in m for m in messages)

    caplog.clear()
    own.observe()  # the count starts again after a flush
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        _functions(2)
        own.flush(path=str(target))
    assert len(json.loads(target.read_text())["function_events"]) == 2
    assert not any("dropped" in r.getMessage() for r in caplog.records)


def test_buffer_cap_constructor_argument() -> None:
    buffer = ExportBuffer(max_buffered_spans=2)
    for record in _records(4):
        buffer.add(record)
    batch = buffer.drain()
    assert [r.spec.span_name for r in batch.records] == ["s0", "s1"]  # type: ignore[attr-defined]
    assert batch.dropped == 2
    buffer.restore(batch)  # a failed flush puts them back, still within the cap
    for record in _records(1, start=4):
        buffer.add(record)
    again = buffer.drain()
    assert [r.spec.span_name for r in again.records] == ["s0", "s1"]  # type: ignore[attr-defined]
    assert again.dropped == 3


def test_invalid_env_cap_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIOBS_MAX_BUFFERED_SPANS", "lots")
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        buffer = ExportBuffer()
    assert "not a whole number" in caplog.text
    for record in _records(10):
        buffer.add(record)
    assert buffer.buffered == 10


def test_callsite_file_is_relative_to_cwd_only_when_inside_it(tmp_path: Path) -> None:
    from aiobs_otel.exporters.conversion import _callsite

    inside = (str(tmp_path / "app" / "main.py"), 3, None)
    outside = ("/opt/elsewhere/bin/../tool.py", 9, None)
    assert _callsite(inside, str(tmp_path)) == {"file": "app/main.py", "line": 3, "function": None}
    assert _callsite(outside, str(tmp_path))["file"] == "/opt/elsewhere/tool.py"


@pytest.mark.parametrize(
    ("module", "is_library"),
    [
        ("openai", True),
        ("openai.resources.chat", True),
        ("httpx2._client", True),
        ("aiobs_otel.values", True),
        ("openai_client", False),
        ("asyncio_helpers", False),
        ("threading_utils", False),
        ("aiobs_otel.demo.pipeline", False),
    ],
)
def test_callsite_skips_library_packages_only(module: str, is_library: bool) -> None:
    from aiobs_otel.callsite import is_library as library
    from aiobs_otel.instrumentors import OpenAIChatInstrumentor  # declares openai's packages

    assert OpenAIChatInstrumentor.sdk_packages
    assert library(module) is is_library
