"""@observe(kind="generation"): model, prompt, response, usage and cost read from
what the wrapped call returns (real openai, google-genai and boto3 clients on
loopback), never counted twice when a provider span below reports them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import openai
import pytest
from google import genai
from google.genai import types
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _bedrock_stub import ANSWER, bedrock_stub
from aiobs_otel import Observer, observe
from aiobs_otel.cost import price_call
from aiobs_otel.demo import StandIn

FlushJson = Callable[..., dict[str, Any]]
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def bedrock() -> Iterator[tuple[Any, list[tuple[str, dict[str, Any]]]]]:
    with bedrock_stub() as (endpoint, calls):
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=endpoint,
            aws_access_key_id="testing", aws_secret_access_key="testing-not-a-secret",
        )  # fmt: skip
        yield client, calls


def span_named(spans: InMemorySpanExporter, name: str) -> Any:
    [span] = [s for s in spans.get_finished_spans() if s.name == name]
    return span


def generation_event(document: dict[str, Any]) -> dict[str, Any]:
    [event] = [e for e in document["function_events"] if e["kind"] == "generation"]
    return event


def test_wrapping_an_instrumented_openai_call_counts_tokens_once(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson, standin: StandIn
) -> None:
    observer.observe()  # switches the OpenAI instrumentor on
    client = openai.OpenAI(base_url=standin.openai_base_url, api_key="sk-test", max_retries=0)

    @observe(kind="generation", model="gpt-4o-mini")
    def answer(prompt: str) -> Any:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
        )

    answer("What is an API?")
    generation = span_named(spans, "answer")
    [chat] = [s for s in spans.get_finished_spans() if s.name.startswith("chat ")]
    assert chat.parent.span_id == generation.context.span_id
    assert chat.attributes["gen_ai.usage.input_tokens"] > 0
    attributes = generation.attributes
    assert attributes["openinference.span.kind"] == "LLM"
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert attributes["aiobs.usage.reported_below"] is True
    assert not [k for k in attributes if k.startswith(("gen_ai.usage.", "aiobs.usage.cost"))]
    assert attributes["gen_ai.provider.name"] == "openai"
    assert json.loads(attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "What is an API?"}]}
    ]
    [output] = json.loads(attributes["gen_ai.output.messages"])
    assert output["role"] == "assistant" and output["parts"][0]["content"]
    event = generation_event(flush_json())
    assert event["usage"] is None and event["cost"] is None
    assert event["prompt"] == "What is an API?"
    assert event["response"] == output["parts"][0]["content"]


def test_openai_objects_and_dicts_give_usage_and_cost(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson
) -> None:
    from openai.types.chat import ChatCompletion
    from openai.types.responses import Response

    completion = ChatCompletion.model_validate({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "An interface."}}],
        "usage": {"prompt_tokens": 1500, "completion_tokens": 800, "total_tokens": 2300,
                  "prompt_tokens_details": {"cached_tokens": 500}},
    })  # fmt: skip

    @observe(kind="generation")
    def chat() -> Any:
        return completion

    @observe(kind="generation")
    def responses() -> Any:
        return Response.model_validate({
            "id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-4o-mini",
            "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto",
            "tools": [], "output": [{"type": "message", "id": "m1", "role": "assistant",
                                     "status": "completed", "content": [
                {"type": "output_text", "text": "Hello.", "annotations": []}]}],
            "usage": {"input_tokens": 10, "output_tokens": 4, "total_tokens": 14,
                      "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                      "output_tokens_details": {"reasoning_tokens": 2}},
        })  # fmt: skip

    observer.observe()
    chat()
    responses()
    attributes = span_named(spans, "chat").attributes
    assert attributes["gen_ai.usage.input_tokens"] == 1500
    assert attributes["gen_ai.usage.output_tokens"] == 800
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 500
    assert attributes["gen_ai.response.id"] == "chatcmpl-1"
    expected = price_call(provider="openai", model="gpt-4o-mini", input_tokens=1500,
                          output_tokens=800, cache_read_input_tokens=500)  # fmt: skip
    assert expected is not None
    assert attributes["gen_ai.usage.cost.amount"] == pytest.approx(expected.total)
    response_attributes = span_named(spans, "responses").attributes
    assert response_attributes["gen_ai.usage.reasoning.output_tokens"] == 2
    events = {e["name"]: e for e in flush_json()["function_events"]}
    assert events["chat"]["usage"] == {
        "input_tokens": 1500,
        "output_tokens": 800,
        "total_tokens": 2300,
        "cache_read_input_tokens": 500,
    }
    assert events["chat"]["cost"]["total"] == pytest.approx(expected.total)
    assert events["chat"]["model"] == "gpt-4o-mini"
    assert events["responses"]["response"] == "Hello."


def test_bedrock_converse_and_invoke_model(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson, bedrock: Any
) -> None:
    client, calls = bedrock

    @observe(kind="generation", model=SONNET)
    def converse(prompt: str) -> Any:
        return client.converse(
            modelId=SONNET, messages=[{"role": "user", "content": [{"text": prompt}]}]
        )

    @observe(kind="generation", model=SONNET)
    def invoke(prompt: str) -> Any:
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                           "messages": [{"role": "user", "content": prompt}]})  # fmt: skip
        return client.invoke_model(modelId=SONNET, body=body)

    observer.observe()
    converse("What is Python?")
    raw = invoke("What is Python?")
    # the StreamingBody was not read by the telemetry: the caller still has it all
    assert json.loads(raw["body"].read())["content"][0]["text"] == ANSWER
    assert [action for action, _ in calls] == ["converse", "invoke"]
    conversed = span_named(spans, "converse").attributes
    assert conversed["gen_ai.provider.name"] == "aws.bedrock"
    assert (conversed["gen_ai.usage.input_tokens"], conversed["gen_ai.usage.output_tokens"]) == (
        21,
        9,
    )
    expected = price_call(provider="aws.bedrock", model=SONNET, input_tokens=21, output_tokens=9)
    assert expected is not None
    assert conversed["gen_ai.usage.cost.amount"] == pytest.approx(expected.total)
    invoked = span_named(spans, "invoke").attributes
    assert (invoked["gen_ai.usage.input_tokens"], invoked["gen_ai.usage.output_tokens"]) == (14, 7)
    events = {e["name"]: e for e in flush_json()["function_events"]}
    assert events["converse"]["response"] == ANSWER
    assert events["converse"]["usage"]["total_tokens"] == 30
    assert events["invoke"]["response"] is None  # the body was not read
    assert events["invoke"]["cost"]["total"] > 0


@pytest.mark.parametrize(
    ("body", "usage", "text"),
    [
        (
            {
                "type": "message",
                "role": "assistant",
                "model": SONNET,
                "id": "msg_1",
                "content": [{"type": "text", "text": "hi"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 3},
            },
            (8, 2),
            "hi",
        ),
        (
            {
                "inputTextTokenCount": 6,
                "results": [{"tokenCount": 4, "outputText": "titan", "completionReason": "FINISH"}],
            },
            (6, 4),
            "titan",
        ),
        (
            {
                "generation": "llama",
                "prompt_token_count": 7,
                "generation_token_count": 3,
                "stop_reason": "stop",
            },
            (7, 3),
            "llama",
        ),
        ({"outputs": [{"text": "mistral", "stop_reason": "stop"}]}, None, "mistral"),
        ({"output": {"message": {"content": [{"text": "answer"}]}}}, None, "answer"),
        ("plain text", None, "plain text"),
        ({"anything": "else"}, None, None),
        (object(), None, None),
    ],
)
def test_parsed_bodies_and_unknown_shapes(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson,
    body: Any, usage: tuple[int, int] | None, text: str | None,
) -> None:  # fmt: skip
    @observe(kind="generation", model=SONNET)
    def call() -> Any:
        return body

    observer.observe()
    assert call() is body
    attributes = span_named(spans, "call").attributes
    found = (
        attributes.get("gen_ai.usage.input_tokens"),
        attributes.get("gen_ai.usage.output_tokens"),
    )
    assert found == (usage or (None, None))
    event = generation_event(flush_json())
    assert event["response"] == text
    assert (event["usage"] is None) == (usage is None)


def test_gemini_response_objects(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson, standin: StandIn
) -> None:
    response = types.GenerateContentResponse.model_validate({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Bonjour"}]},
                        "finish_reason": "STOP"}],
        "usage_metadata": {"prompt_token_count": 12, "candidates_token_count": 3,
                           "thoughts_token_count": 5},
        "model_version": "gemini-2.0-flash", "response_id": "g-1",
    })  # fmt: skip

    @observe(kind="generation")
    def offline() -> Any:
        return response

    observer.observe()
    client = genai.Client(api_key="test-key", http_options={"base_url": standin.gemini_base_url})

    @observe(kind="generation")
    def online(prompt: str) -> Any:
        return client.models.generate_content(model="gemini-2.0-flash", contents=prompt)

    offline()
    online("Say hi")
    attributes = span_named(spans, "offline").attributes
    assert attributes["gen_ai.provider.name"] == "gcp.gemini"
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 5
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span_named(spans, "online").attributes["aiobs.usage.reported_below"] is True
    events = {e["name"]: e for e in flush_json()["function_events"]}
    assert events["offline"]["response"] == "Bonjour"
    assert events["offline"]["cost"] is not None
    assert events["online"]["usage"] is None


def test_prompt_and_response_size_limits(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("AIOBS_MAX_PROMPT_BYTES", "1000")
    long_prompt = "é" * 3000  # 6000 bytes

    @observe(kind="generation")
    def call(prompt: str) -> str:
        return prompt.upper()

    observer.observe()
    call(long_prompt)
    [message] = json.loads(span_named(spans, "call").attributes["gen_ai.input.messages"])
    content = message["parts"][0]["content"]
    assert content.endswith("...[truncated, 6000 bytes in all]")
    assert len(content.split("...[")[0].encode()) <= 1000
    event = generation_event(flush_json())
    for field in ("prompt", "response"):
        marker = event[field]
        assert marker["truncated"] is True and marker["original_size"] == 6000
        assert marker["limit"] == 1000
        assert len(json.dumps(marker, ensure_ascii=False).encode()) <= 1000
        assert marker["preview"].startswith(
            long_prompt[:10].upper() if field == "response" else "é"
        )


def test_no_content_leaves_prompts_out(
    observer: Observer, spans: InMemorySpanExporter, flush_json: FlushJson,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")

    @observe(kind="generation", model=SONNET)
    def call(prompt: str) -> Any:
        return {"output": {"message": {"content": [{"text": "secret answer"}]}},
                "usage": {"inputTokens": 3, "outputTokens": 2}}  # fmt: skip

    observer.observe()
    call("secret prompt")
    attributes = span_named(spans, "call").attributes
    assert "gen_ai.input.messages" not in attributes and "gen_ai.output.messages" not in attributes
    assert attributes["gen_ai.usage.input_tokens"] == 3
    event = generation_event(flush_json())
    assert event["prompt"] is None and event["response"] is None


def test_a_failing_reader_costs_telemetry_not_the_call(
    observer: Observer, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    import aiobs_otel.generation as generation_module

    def broken(result: Any) -> Any:
        raise RuntimeError("reader bug")

    monkeypatch.setenv("AIOBS_OTEL_STRICT", "0")
    monkeypatch.setattr(generation_module, "read_response", broken)
    answer = {"usage": {"inputTokens": 1}}

    @observe(kind="generation", model=SONNET, capture_locals=True)
    def call(prompt: str) -> Any:
        return answer

    observer.observe()
    assert call("q") is answer
    [span] = spans.get_finished_spans()
    assert span.attributes["aiobs.span.kind"] == "generation"
    assert "your code still runs" in caplog.text
