"""The size cap: a message over it loses detail field by field, largest first,
each cut saying so, and is never dropped and never invalid JSON; a trace too big
even then is split into several messages of the same trace."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _sqs_support import aws_env, make_exporter, moto_server, receive_all, streaming_provider
from aiobs_otel import attributes as A
from aiobs_otel.exporters.sqs import decode_message

CAP = 262_144


def strict_loads(text: str | bytes) -> Any:
    """JSON as the strictest parsers read it: no NaN / Infinity."""

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def noise(length: int, seed: int) -> str:
    """Text that gzip cannot shrink much (random letters and spaces)."""
    rng = random.Random(seed)
    return "".join(rng.choices(string.ascii_letters + "   ", k=length))


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with moto_server() as server:
        yield server


@pytest.fixture
def stream(moto: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    aws_env(monkeypatch)
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path / "spill")
    provider = streaming_provider(exporter)
    yield provider.get_tracer("t"), url, exporter
    provider.shutdown()
    assert exporter.stats()["internal_errors"] == 0


def received(exporter: Any, url: str, expect: int) -> list[str]:
    assert exporter.force_flush(60_000)
    return receive_all(exporter._sender._get_client(), url, expect=expect)


def test_a_5mb_prompt_is_truncated_to_fit_largest_field_first(stream: Any) -> None:
    tracer, url, exporter = stream
    prompt = noise(5 * 1024 * 1024, seed=1)
    messages = [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
    small_kwargs = {"question": "keep me whole"}
    root_attributes = {
        A.AIOBS_FUNCTION_KWARGS: json.dumps(small_kwargs),
        A.AIOBS_TRACE_INPUT: json.dumps({"note": "small trace input"}),
    }
    chat_attributes = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_INPUT_MESSAGES: json.dumps(messages),
        A.GEN_AI_OUTPUT_MESSAGES: json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "short answer"}]}]),
        A.GEN_AI_USAGE_INPUT_TOKENS: 1_000_000,
    }  # fmt: skip
    with (
        tracer.start_as_current_span("pipeline", attributes=root_attributes),
        tracer.start_as_current_span("chat big", attributes=chat_attributes),
    ):
        pass
    (body,) = received(exporter, url, expect=1)
    assert len(body.encode()) <= CAP
    trace = decode_message(body)
    strict_loads(json.dumps(trace))
    assert trace["truncated"] is True
    chat = next(s for s in trace["spans"] if s["span_name"] == "chat big")
    assert chat["truncated"] is True
    assert set(chat["truncated_fields"]) >= {"input_data", "prompt"}
    assert chat["prompt"].startswith(prompt[:1024])
    assert chat["prompt"].endswith(f"...[truncated {len(prompt) - 1024} chars]")
    cut = chat["input_data"]
    assert cut["_truncated"] is True and cut["original_size"] > 5 * 1024 * 1024
    assert json.loads(json.dumps(messages))[0]["role"] in cut["preview"]
    # The small fields are whole: only the largest were cut.
    assert chat["response"] == "short answer" and chat["usage"]["input_tokens"] == 1_000_000
    root = next(s for s in trace["spans"] if s["span_name"] == "pipeline")
    assert root["input_data"]["kwargs"] == small_kwargs and "truncated" not in root
    assert trace["trace_input"] == {"note": "small trace input"}
    assert exporter.stats()["messages_truncated"] == 1


def test_a_5mb_prompt_that_compresses_well_is_sent_whole(stream: Any) -> None:
    """The cap is on the message as sent (gzip + base64), not on the raw JSON."""
    tracer, url, exporter = stream
    prompt = "What is an API? " * (5 * 1024 * 1024 // 16)
    with tracer.start_as_current_span("chat repetitive", attributes={
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_INPUT_MESSAGES: json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]),
    }):  # fmt: skip
        pass
    (body,) = received(exporter, url, expect=1)
    trace = decode_message(body)
    assert len(body) < CAP and trace["truncated"] is False
    assert trace["spans"][0]["prompt"] == prompt


def test_a_trace_of_thousands_of_spans_is_split_never_dropped(stream: Any) -> None:
    tracer, url, exporter = stream
    count = 12_000
    with tracer.start_as_current_span("crawl", attributes={A.AIOBS_SPAN_KIND: "crawl"}):
        for number in range(count):
            with tracer.start_as_current_span(f"page {number}", attributes={
                A.AIOBS_SPAN_KIND: "crawl_page",
                A.AIOBS_FUNCTION_KWARGS: json.dumps({"url": f"https://e.com/{noise(40, number)}"}),
            }):  # fmt: skip
                pass
    assert exporter.force_flush(60_000)
    parts = exporter.stats()["messages_split"]
    assert parts >= 2
    bodies = receive_all(exporter._sender._get_client(), url, expect=parts)
    assert len(bodies) == parts and all(len(b) <= CAP for b in bodies)
    traces = sorted((decode_message(b) for b in bodies), key=lambda t: t["part"]["index"])
    assert [t["part"] for t in traces] == [{"index": i, "count": parts} for i in range(parts)]
    assert len({t["trace_id"] for t in traces}) == 1
    assert len({t["idempotency_key"] for t in traces}) == parts
    assert [t["is_child_segment"] for t in traces] == [False] + [True] * (parts - 1)
    span_ids = [s["span_id"] for t in traces for s in t["spans"]]
    assert len(span_ids) == len(set(span_ids)) == count + 1
    assert sum(t["total_spans"] for t in traces) == count + 1
    assert traces[0]["spans"][0]["span_type"] == "crawl_session"


def test_nan_and_lone_surrogates_still_give_valid_json(stream: Any) -> None:
    tracer, url, exporter = stream
    with tracer.start_as_current_span("odd \ud800 name", attributes={
        A.AIOBS_FUNCTION_RESULT: '{"score": NaN, "big": Infinity}',
        A.GEN_AI_USAGE_COST_AMOUNT: float("nan"),
        "custom.text": "lone \udc00 surrogate",
    }):  # fmt: skip
        pass
    (body,) = received(exporter, url, expect=1)
    trace = decode_message(body)
    strict_loads(json.dumps(trace, ensure_ascii=False).encode("utf-8"))
    span = trace["spans"][0]
    assert span["output_data"] == {"output": {"score": "NaN", "big": "Infinity"}}
    assert span["span_name"] == "odd \ufffd name"
    assert span["metadata"]["attributes"]["custom.text"] == "lone \ufffd surrogate"
    assert span["cost"]["total_cost"] == "NaN"
