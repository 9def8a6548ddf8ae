"""stream=True chat completions: the proxy behaves like the SDK's stream and
the span covers the stream until it ends, is closed, or is abandoned."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import openai
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from _openai_server import (
    LoopbackServer,
    Reply,
    Telemetry,
    assert_no_secret,
    chunk,
)
from aiobs_otel import Observer
from aiobs_otel.instrumentors.openai.chat import OpenAIChatInstrumentor

MESSAGES = [{"role": "user", "content": "Say hello"}]
USAGE = {"include_usage": True}

pytest_plugins = ("openai_fixtures",)


def _output(span: ReadableSpan) -> Any:
    return json.loads(span.attributes["gen_ai.output.messages"])  # type: ignore[index]


def test_sync_stream_assembles_text_and_usage(client: openai.OpenAI, telemetry: Telemetry) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=USAGE
    )
    assert isinstance(stream, openai.Stream)
    assert stream.response.status_code == 200  # the SDK's attributes pass through
    pieces = [c.choices[0].delta.content for c in stream if c.choices]
    assert "".join(p or "" for p in pieces) == "Hello"
    span = telemetry.only_span()
    attrs = span.attributes or {}
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "chatcmpl-s"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 3)
    ttfc = attrs["gen_ai.response.time_to_first_chunk"]
    assert isinstance(ttfc, float)
    assert 0 < ttfc <= (span.end_time - span.start_time) / 1e9  # type: ignore[operator]
    assert _output(span) == [{"role": "assistant", "finish_reason": "stop",
                              "parts": [{"type": "text", "content": "Hello"}]}]  # fmt: skip
    tokens = telemetry.histogram("gen_ai.client.token.usage")
    assert {p.attributes["gen_ai.token.type"]: p.sum for p in tokens} == {"input": 9, "output": 3}


def test_with_block_left_early_ends_the_span(client: openai.OpenAI, telemetry: Telemetry) -> None:
    with client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
        for item in stream:
            if item.choices and item.choices[0].delta.content:
                break
        assert telemetry.spans() == []
    span = telemetry.only_span()
    assert _output(span)[0]["parts"] == [{"type": "text", "content": "Hel"}]
    assert "gen_ai.usage.input_tokens" not in (span.attributes or {})


def test_user_error_in_with_block_does_not_fail_the_span(
    client: openai.OpenAI, telemetry: Telemetry
) -> None:
    class UserBug(Exception):
        pass

    try:
        with client.chat.completions.create(model="m", messages=MESSAGES, stream=True) as stream:
            next(iter(stream))
            raise UserBug("the user's own code")
    except UserBug:
        pass
    span = telemetry.only_span()
    assert span.status.status_code is not StatusCode.ERROR
    assert "error.type" not in (span.attributes or {})
    assert [p.attributes.get("error.type")
            for p in telemetry.histogram("gen_ai.client.operation.duration")] == [None]  # fmt: skip


def test_capture_off_keeps_only_metadata(client: openai.OpenAI, telemetry: Telemetry) -> None:
    OpenAIChatInstrumentor().uninstrument()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIChatInstrumentor().instrument(tracer_provider=provider, capture_content=False)
    stream = client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options=USAGE
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Hello"
    (span,) = exporter.get_finished_spans()
    attrs = span.attributes or {}
    assert "gen_ai.output.messages" not in attrs and "gen_ai.input.messages" not in attrs
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attrs["gen_ai.response.id"], attrs["gen_ai.usage.output_tokens"]) == ("chatcmpl-s", 3)


def test_close_ends_the_span(client: openai.OpenAI, telemetry: Telemetry) -> None:
    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(iter(stream))
    stream.close()
    stream.close()  # twice is harmless: one span
    assert stream.response.is_closed
    assert telemetry.only_span().end_time is not None


def test_abandoned_stream_ends_at_garbage_collection(
    client: openai.OpenAI, telemetry: Telemetry
) -> None:
    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    next(stream)
    assert telemetry.spans() == []
    del stream
    gc.collect()
    span = telemetry.only_span()
    assert span.attributes["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[index,operator]


def test_tool_call_deltas_are_assembled(client: openai.OpenAI, telemetry: Telemetry,
                                        openai_server: LoopbackServer) -> None:  # fmt: skip
    def call_delta(**fields: Any) -> dict[str, Any]:
        return {"tool_calls": [{"index": 0, **fields}]}

    openai_server.replies.append(Reply(chunks=[
        chunk({"role": "assistant", "content": None, **call_delta(
            id="call_9", type="function", function={"name": "lookup", "arguments": ""})}),
        chunk(call_delta(function={"arguments": '{"q": '})),
        chunk(call_delta(function={"arguments": '"otel"}'})),
        chunk({}, finish="tool_calls"),
    ]))  # fmt: skip
    for _ in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
        pass
    assert _output(telemetry.only_span()) == [{
        "role": "assistant", "finish_reason": "tool_calls",
        "parts": [{"type": "tool_call", "id": "call_9", "name": "lookup",
                   "arguments": {"q": "otel"}}]}]  # fmt: skip


async def test_async_stream_iteration(async_client: openai.AsyncOpenAI,
                                      telemetry: Telemetry) -> None:  # fmt: skip
    stream = await async_client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options=USAGE
    )
    assert isinstance(stream, openai.AsyncStream)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Hello"
    attrs = telemetry.only_span().attributes or {}
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["code.function.name"] == "test_async_stream_iteration"


async def test_async_with_and_close(async_client: openai.AsyncOpenAI, telemetry: Telemetry) -> None:
    async with await async_client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    ) as stream:
        await stream.__anext__()
    assert len(telemetry.spans()) == 1
    stream = await async_client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    await stream.__anext__()
    await stream.close()
    assert len(telemetry.spans()) == 2


def test_raw_response_stream(client: openai.OpenAI, telemetry: Telemetry) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="m", messages=MESSAGES, stream=True, stream_options=USAGE
    )
    assert raw.http_response.status_code == 200
    stream = raw.parse()
    del raw
    gc.collect()  # the response object may go: the stream carries the span on
    assert telemetry.spans() == []
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Hello"
    assert telemetry.only_span().attributes["gen_ai.usage.input_tokens"] == 9  # type: ignore[index]


def test_streaming_response_stream(client: openai.OpenAI, telemetry: Telemetry) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True
    ) as response:
        assert response.status_code == 200
        first = next(iter(response.parse()))
        assert first.id == "chatcmpl-s"
    span = telemetry.only_span()  # ended on with-exit, partially read
    assert span.attributes["gen_ai.response.id"] == "chatcmpl-s"  # type: ignore[index]


async def test_async_streaming_response_stream(async_client: openai.AsyncOpenAI,
                                               telemetry: Telemetry) -> None:  # fmt: skip
    async with async_client.chat.completions.with_streaming_response.create(
        model="m", messages=MESSAGES, stream=True
    ) as response:
        stream = await response.parse()
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Hello"
    assert _output(telemetry.only_span())[0]["parts"][0]["content"] == "Hello"


def test_stream_in_json_export(observer: Observer, tracer_provider: Any, client: openai.OpenAI,
                               tmp_path: Path) -> None:  # fmt: skip
    OpenAIChatInstrumentor().instrument(tracer_provider=tracer_provider)
    try:
        observer.observe(session_name="stream-export")
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=USAGE
        )
        for _ in stream:
            pass
        observer.end()
        path = tmp_path / "stream.json"
        observer.flush(path=str(path))
    finally:
        OpenAIChatInstrumentor().uninstrument()
    assert_no_secret(path.read_text())
    (event,) = json.loads(path.read_text())["events"]
    assert event["request"]["other"] == {"stream": True, "stream_options": USAGE}
    response = event["response"]
    assert (response["text"], response["finish_reason"], response["id"]) == (
        "Hello", "stop", "chatcmpl-s")  # fmt: skip
    assert response["usage"] == {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
    assert response["time_to_first_chunk"] > 0
