"""The OpenAI Responses API: create (sync, async, stream=True), responses.stream(...),
an agent loop with a tool call, and the export event ``responses.create``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from _openai_server import (
    LoopbackServer,
    Reply,
    Telemetry,
    assert_no_secret,
    error_body,
    response_body,
    response_events,
)
from aiobs_otel import Observer, observe
from aiobs_otel import attributes as A

pytest_plugins = ("openai_fixtures",)

try:  # the Responses API exists from openai 1.66.0
    import openai.resources.responses
except ImportError:
    pytest.skip(f"openai {openai.__version__} has no Responses API", allow_module_level=True)

from aiobs_otel.instrumentors import OpenAIResponsesInstrumentor  # noqa: E402

# openai releases before reasoning items parse a response that has one as a plain dict
REASONING_ITEMS = hasattr(openai.types.responses, "ResponseReasoningItem")
CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather in a city",
          "parameters": CITY}]  # fmt: skip


@pytest.fixture
def responses_telemetry() -> Iterator[Telemetry]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    instrumentor = OpenAIResponsesInstrumentor()
    instrumentor.instrument(
        tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    yield Telemetry(exporter, reader)
    instrumentor.uninstrument()


def _json(span: Any, key: str) -> Any:
    return json.loads(span.attributes[key])


def test_create_records_items_instructions_usage_and_reasoning(
    client: openai.OpenAI, responses_telemetry: Telemetry
) -> None:
    result = client.responses.create(
        model="gpt-4.1-mini", input="What is the weather?", instructions="Be brief.",
        temperature=0.3, max_output_tokens=50,
    )  # fmt: skip
    assert result.output_text == "It is sunny."
    span = responses_telemetry.only_span()
    attrs = span.attributes or {}
    assert span.name == "chat gpt-4.1-mini"
    assert attrs[A.GEN_AI_OPERATION_NAME] == "chat"
    assert attrs[A.AIOBS_API] == "responses.create"
    assert attrs[A.GEN_AI_PROVIDER_NAME] == "openai"
    assert (attrs[A.GEN_AI_REQUEST_TEMPERATURE], attrs[A.GEN_AI_REQUEST_MAX_TOKENS]) == (0.3, 50)
    assert attrs[A.GEN_AI_RESPONSE_ID] == "resp_1"
    assert attrs[A.GEN_AI_RESPONSE_MODEL] == "gpt-4.1-mini-2025-04-14"
    assert attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    usage = [attrs[f"gen_ai.usage.{k}"] for k in
             ("input_tokens", "output_tokens", "cache_read.input_tokens",
              "reasoning.output_tokens")]  # fmt: skip
    assert usage == [20, 8, 5, 3]
    assert _json(span, A.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "Be brief."}]
    assert _json(span, A.GEN_AI_INPUT_MESSAGES) == [
        {"role": "user", "parts": [{"type": "text", "content": "What is the weather?"}]}
    ]
    assert _json(span, A.GEN_AI_OUTPUT_MESSAGES) == [{
        "role": "assistant", "finish_reason": "stop",
        "parts": [{"type": "reasoning", "content": "The user wants the weather."},
                  {"type": "text", "content": "It is sunny."}],
    }]  # fmt: skip
    assert responses_telemetry.histogram(A.METRIC_OPERATION_DURATION)
    assert_no_secret(json.dumps(dict(attrs)))


def test_agent_loop_with_a_tool_call(
    client: openai.OpenAI, openai_server: LoopbackServer, observer: Observer,
    flush_json: Any,
) -> None:  # fmt: skip
    openai_server.replies += [
        Reply(body=response_body(tool_call=True)),
        Reply(body=response_body()),
    ]

    @observe(name="agent")
    def agent(question: str) -> str:
        items: list[Any] = [{"role": "user", "content": question}]
        first = client.responses.create(model="gpt-4.1-mini", input=items, tools=TOOLS)
        call = next(item for item in first.output if item.type == "function_call")
        items += [
            {"type": "function_call", "call_id": call.call_id, "name": call.name,
             "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "22°C, sun"},
        ]  # fmt: skip
        return client.responses.create(model="gpt-4.1-mini", input=items, tools=TOOLS).output_text

    observer.observe(session_name="agent")  # switches the Responses instrumentor on
    assert agent("Weather in Paris?") == "It is sunny."
    document = flush_json()
    first, second = sorted(document["events"], key=lambda e: e["started_at"])
    (function,) = document["function_events"]
    assert {first["parent_span_id"], second["parent_span_id"]} == {function["span_id"]}
    assert (first["provider"], first["api"]) == ("openai", "responses.create")
    assert first["response"]["tool_calls"] == [
        {"id": "call_7", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]
    assert first["response"]["finish_reason"] == "tool_call"
    assert first["response"]["reasoning"] == ["The user wants the weather."]
    assert first["request"]["other"]["tools"] == TOOLS
    assert second["request"]["input"][2] == {
        "type": "function_call_output",
        "call_id": "call_7",
        "output": "22°C, sun",
    }
    assert second["response"]["text"] == "It is sunny."
    assert second["response"]["usage"]["input_tokens_details"] == {"cached_tokens": 5}
    sent = openai_server.requests[1]["input"]
    assert [item.get("type") for item in sent] == [None, "function_call", "function_call_output"]


def test_agent_loop_tool_parts_on_spans(
    client: openai.OpenAI, openai_server: LoopbackServer, responses_telemetry: Telemetry
) -> None:
    openai_server.replies.append(Reply(body=response_body(tool_call=True)))
    client.responses.create(model="gpt-4.1-mini", input=[
        {"role": "user", "content": "Paris?"},
        {"type": "function_call", "call_id": "c0", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c0", "output": "rain"},
    ], tools=TOOLS)  # fmt: skip
    span = responses_telemetry.only_span()
    inputs = _json(span, A.GEN_AI_INPUT_MESSAGES)
    assert inputs[1] == {
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "c0", "name": "get_weather", "arguments": {}}],
    }
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "c0", "response": "rain"}],
    }
    assert _json(span, A.GEN_AI_TOOL_DEFINITIONS) == TOOLS
    (output,) = _json(span, A.GEN_AI_OUTPUT_MESSAGES)
    assert output["parts"][-1] == {"type": "tool_call", "id": "call_7", "name": "get_weather",
                                   "arguments": {"city": "Paris"}}  # fmt: skip
    assert output["finish_reason"] == "tool_call"


def test_stream_true_is_one_span_ending_at_the_last_event(
    client: openai.OpenAI, responses_telemetry: Telemetry
) -> None:
    stream = client.responses.create(model="gpt-4.1-mini", input="Weather?", stream=True)
    assert isinstance(stream, openai.Stream)
    events = list(stream)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "It is sunny."
    span = responses_telemetry.only_span()
    attrs = span.attributes or {}
    assert attrs[A.GEN_AI_REQUEST_STREAM] is True
    assert attrs[A.GEN_AI_RESPONSE_ID] == "resp_1"
    assert attrs[A.GEN_AI_USAGE_OUTPUT_TOKENS] == 8
    assert attrs[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
    (output,) = _json(span, A.GEN_AI_OUTPUT_MESSAGES)
    assert output["parts"][-1] == {"type": "text", "content": "It is sunny."}
    first_chunk = responses_telemetry.histogram(A.METRIC_TIME_TO_FIRST_CHUNK)
    per_chunk = responses_telemetry.histogram(A.METRIC_TIME_PER_OUTPUT_CHUNK)
    assert [p.count for p in first_chunk] == [1]
    assert [p.count for p in per_chunk] == [len(events) - 1]  # every event after the first


def test_responses_stream_helper(
    client: openai.OpenAI, openai_server: LoopbackServer, responses_telemetry: Telemetry
) -> None:
    events = response_events("It is ", "sunny.", reasoning=REASONING_ITEMS)
    openai_server.replies.append(Reply(chunks=events))
    with client.responses.stream(model="gpt-4.1-mini", input="Weather?") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert final.output_text == "It is sunny."
    span = responses_telemetry.only_span()
    assert span.attributes[A.AIOBS_API] == "responses.create"  # type: ignore[index]
    assert span.attributes[A.GEN_AI_USAGE_INPUT_TOKENS] == 20  # type: ignore[index]


async def test_async_create_and_stream(
    async_client: openai.AsyncOpenAI, responses_telemetry: Telemetry
) -> None:
    result = await async_client.responses.create(model="gpt-4.1-mini", input="Weather?")
    assert result.output_text == "It is sunny."
    stream = await async_client.responses.create(model="gpt-4.1-mini", input="Hi", stream=True)
    events = [event async for event in stream]
    assert events[-1].type == "response.completed"
    spans = responses_telemetry.spans()
    assert [s.attributes[A.GEN_AI_RESPONSE_ID] for s in spans] == ["resp_1", "resp_1"]
    assert spans[1].attributes[A.GEN_AI_REQUEST_STREAM] is True  # type: ignore[index]


def test_error_is_recorded_and_reraised(
    client: openai.OpenAI, openai_server: LoopbackServer, spans: InMemorySpanExporter,
    observer: Observer, flush_json: Any,
) -> None:  # fmt: skip
    observer.observe()  # switches the Responses instrumentor on (the process's provider)
    openai_server.replies.append(Reply(status=400, body=error_body("bad input")))
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4.1-mini", input="x")
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[A.ERROR_TYPE] == "400"  # type: ignore[index]
    (event,) = flush_json()["events"]
    assert event["api"] == "responses.create" and event["response"] is None
    assert event["error"].startswith("BadRequestError: ")
