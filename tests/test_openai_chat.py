"""Chat completions through the real openai client against a loopback server."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import openai
import pytest
import wrapt
from opentelemetry.trace import SpanKind, StatusCode

from _openai_server import (
    API_KEY,
    LoopbackServer,
    Reply,
    Telemetry,
    assert_no_secret,
    completion,
    error_body,
)
from aiobs_otel import Observer
from aiobs_otel.instrumentors.metrics import DURATION_BUCKETS, TOKEN_BUCKETS
from aiobs_otel.instrumentors.openai.chat import ChatAdapter, OpenAIChatInstrumentor

MESSAGES: list[Any] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Say hello"},
]
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]  # fmt: skip

pytest_plugins = ("openai_fixtures",)


def _line_of(marker: str) -> int:
    lines = Path(__file__).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if marker in line and "_line_of" not in line)


def test_sync_call_span_attributes_and_metrics(client: openai.OpenAI, telemetry: Telemetry,
                                               openai_server: LoopbackServer) -> None:  # fmt: skip
    result = client.chat.completions.create(  # CALLSITE-SYNC
        model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=50, seed=7,
        stop="END", top_p=0.9, tool_choice="auto", tools=TOOLS,
    )  # fmt: skip
    assert result.choices[0].message.content == "Hello there!"
    span = telemetry.only_span()
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes or {})
    port = int(openai_server.url.split(":")[2].split("/")[0])
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", port)
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert attrs["gen_ai.response.id"] == "chatcmpl-1"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 5
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 2
    # A system message is part of the chat history: the conventions record it in
    # gen_ai.input.messages, and gen_ai.system_instructions only for instructions
    # an API takes apart from the messages (Gemini, the Responses API).
    assert "gen_ai.system_instructions" not in attrs
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Say hello"}]},
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [{
        "role": "assistant", "finish_reason": "stop",
        "parts": [{"type": "text", "content": "Hello there!"}]}]  # fmt: skip
    assert json.loads(attrs["gen_ai.tool.definitions"])[0]["function"]["name"] == "get_weather"
    assert json.loads(attrs["aiobs.request.params"])["tool_choice"] == "auto"
    assert attrs["code.file.path"] == __file__
    assert attrs["code.line.number"] == _line_of("# CALLSITE-SYNC")
    assert attrs["code.function.name"] == "test_sync_call_span_attributes_and_metrics"
    assert_no_secret(json.dumps(attrs))
    assert openai_server.headers[0]["authorization"] == f"Bearer {API_KEY}"  # sent, not recorded

    (duration,) = telemetry.histogram("gen_ai.client.operation.duration")
    assert tuple(duration.explicit_bounds) == DURATION_BUCKETS
    assert duration.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert duration.attributes["server.port"] == port
    tokens = telemetry.histogram("gen_ai.client.token.usage")
    assert {p.attributes["gen_ai.token.type"]: p.sum for p in tokens} == {"input": 12, "output": 5}
    assert all(tuple(p.explicit_bounds) == TOKEN_BUCKETS for p in tokens)


async def test_async_call_and_callsite(async_client: openai.AsyncOpenAI,
                                       telemetry: Telemetry) -> None:  # fmt: skip
    result = await async_client.chat.completions.create(  # CALLSITE-ASYNC
        model="gpt-4o-mini", messages=MESSAGES
    )
    assert result.id == "chatcmpl-1"
    span = telemetry.only_span()
    assert span.name == "chat gpt-4o-mini"
    attrs = dict(span.attributes or {})
    assert attrs["gen_ai.usage.output_tokens"] == 5
    assert attrs["code.line.number"] == _line_of("# CALLSITE-ASYNC")
    assert attrs["code.function.name"] == "test_async_call_and_callsite"
    assert span.status.status_code is StatusCode.UNSET


def test_message_and_tool_iterators_are_not_consumed(
    client: openai.OpenAI, telemetry: Telemetry, openai_server: LoopbackServer
) -> None:
    """The SDK accepts any iterable; reading a generator would send ``messages: []``."""
    client.chat.completions.create(
        model="gpt-4o-mini", messages=(m for m in MESSAGES), tools=(t for t in TOOLS)
    )
    assert openai_server.requests[0]["messages"] == MESSAGES
    assert openai_server.requests[0]["tools"] == TOOLS
    attrs = telemetry.only_span().attributes or {}
    assert "gen_ai.input.messages" not in attrs  # unreadable without consuming it
    assert attrs["gen_ai.response.id"] == "chatcmpl-1"


def test_tool_calls_and_tool_results(client: openai.OpenAI, telemetry: Telemetry,
                                     openai_server: LoopbackServer) -> None:  # fmt: skip
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}  # fmt: skip
    openai_server.replies.append(Reply(body=completion(choices=[{
        "index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": None, "tool_calls": [call]}}])))  # fmt: skip
    first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS)
    tool_call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    result = {"role": "tool", "tool_call_id": tool_call.id, "content": "18C, sunny"}
    followup = [*MESSAGES, first.choices[0].message, result]
    client.chat.completions.create(model="gpt-4o-mini", messages=followup, tools=TOOLS)

    one, two = telemetry.spans()
    out = json.loads(one.attributes["gen_ai.output.messages"])  # type: ignore[index]
    assert out == [{"role": "assistant", "finish_reason": "tool_calls", "parts": [
        {"type": "tool_call", "id": "call_1", "name": "get_weather",
         "arguments": {"city": "Paris"}}]}]  # fmt: skip
    assert one.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)  # type: ignore[index]
    inputs = json.loads(two.attributes["gen_ai.input.messages"])  # type: ignore[index]
    assert [m["role"] for m in inputs] == ["system", "user", "assistant", "tool"]
    assert inputs[2]["parts"][0]["name"] == "get_weather"
    assert inputs[3]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "18C, sunny"}]  # fmt: skip


@pytest.mark.parametrize(("status", "exc_type"), [
    (400, openai.BadRequestError), (500, openai.InternalServerError)])  # fmt: skip
def test_http_errors(client: openai.OpenAI, telemetry: Telemetry, openai_server: LoopbackServer,
                     status: int, exc_type: type[Exception]) -> None:  # fmt: skip
    openai_server.replies.append(Reply(status=status, body=error_body(f"boom {status}")))
    with pytest.raises(exc_type) as caught:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(caught.value) is exc_type  # the SDK's own exception, unchanged
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == str(status)  # type: ignore[index]
    (event,) = [e for e in span.events if e.name == "exception"]
    assert event.attributes["exception.message"] == str(caught.value)  # type: ignore[index]
    (duration,) = telemetry.histogram("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == str(status)


def test_connection_error_type(telemetry: Telemetry) -> None:
    dead = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        dead.chat.completions.create(model="m", messages=MESSAGES)
    assert telemetry.only_span().attributes["error.type"] == "APIConnectionError"  # type: ignore[index]


def test_with_raw_response(client: openai.OpenAI, telemetry: Telemetry) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(raw).__module__.startswith("openai.")  # the SDK's own object, not a proxy
    assert raw.http_response.status_code == 200
    assert raw.parse().choices[0].message.content == "Hello there!"
    attrs = telemetry.only_span().attributes or {}
    assert attrs["gen_ai.response.id"] == "chatcmpl-1"
    assert attrs["gen_ai.usage.input_tokens"] == 12


def test_with_streaming_response_parse(client: openai.OpenAI, telemetry: Telemetry) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    ) as response:
        assert telemetry.spans() == []  # the body is still unread
        assert response.headers["content-type"] == "application/json"
        assert response.parse().choices[0].message.content == "Hello there!"
    attrs = telemetry.only_span().attributes or {}
    assert json.loads(attrs["gen_ai.output.messages"])[0]["parts"][0]["content"] == "Hello there!"


async def test_async_streaming_response_body_read_by_user(
    async_client: openai.AsyncOpenAI, telemetry: Telemetry
) -> None:
    async with async_client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    ) as response:
        body = await response.json()
    assert body["id"] == "chatcmpl-1"  # type: ignore[index]
    span = telemetry.only_span()  # ended on exit, with the request only
    assert "gen_ai.response.id" not in (span.attributes or {})
    assert span.attributes["gen_ai.request.model"] == "gpt-4o-mini"  # type: ignore[index]


def test_recorder_fault_never_reaches_the_user(
    client: openai.OpenAI, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    monkeypatch.delenv("AIOBS_OTEL_STRICT")

    def broken(*args: Any) -> None:
        raise RuntimeError("unexpected SDK shape")

    monkeypatch.setattr(ChatAdapter, "response", broken)
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert result.choices[0].message.content == "Hello there!"
    assert "your code still runs" in caplog.text
    assert telemetry.only_span().end_time is not None


def test_uninstrument_restores_the_sdk(client: openai.OpenAI, telemetry: Telemetry) -> None:
    from openai.resources.chat.completions import AsyncCompletions, Completions

    assert isinstance(Completions.__dict__["create"], wrapt.FunctionWrapper)
    OpenAIChatInstrumentor().uninstrument()
    assert not isinstance(Completions.__dict__["create"], wrapt.ObjectProxy)
    assert not isinstance(AsyncCompletions.__dict__["create"], wrapt.ObjectProxy)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert telemetry.spans() == []


def test_json_export_event(observer: Observer, tracer_provider: Any, client: openai.OpenAI,
                           openai_server: LoopbackServer, tmp_path: Path) -> None:  # fmt: skip
    OpenAIChatInstrumentor().instrument(tracer_provider=tracer_provider)
    try:
        observer.observe(session_name="chat-export")
        client.chat.completions.create(  # CALLSITE-EXPORT
            model="gpt-4o-mini", messages=MESSAGES, temperature=0.5, max_tokens=9,
            seed=3, tool_choice="none", tools=TOOLS)  # fmt: skip
        openai_server.replies.append(Reply(status=404, body=error_body("no such model")))
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="missing", messages=MESSAGES)
        observer.end()
        path = tmp_path / "out.json"
        observer.flush(path=str(path))
    finally:
        OpenAIChatInstrumentor().uninstrument()
    text = path.read_text()
    assert_no_secret(text)
    ok, failed = json.loads(text)["events"]
    assert (ok["provider"], ok["api"]) == ("openai", "chat.completions.create")
    assert ok["request"] == {
        "model": "gpt-4o-mini", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"}],
        "temperature": 0.5, "max_tokens": 9,
        "other": {"seed": 3, "tools": TOOLS, "tool_choice": "none"},
    }  # fmt: skip
    assert ok["response"] == {
        "id": "chatcmpl-1", "model": "gpt-4o-mini-2024-07-18", "text": "Hello there!",
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17,
                  "prompt_tokens_details": {"cached_tokens": 4},
                  "completion_tokens_details": {"reasoning_tokens": 2}},
    }  # fmt: skip
    assert ok["error"] is None
    assert ok["callsite"]["line"] == _line_of("# CALLSITE-EXPORT")
    assert ok["callsite"]["function"] == "test_json_export_event"
    assert failed["error"].startswith("NotFoundError: ")
    assert "no such model" in failed["error"]
    assert failed["response"] is None
