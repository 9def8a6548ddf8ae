"""generate_content / generate_content_stream against a loopback Gemini, both API modes."""
# ruff: noqa: F811  (fixtures imported from genai_fixtures are parameters here)

from __future__ import annotations

import base64
import gc
import json
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from opentelemetry.trace import StatusCode

from aiobs_otel import attributes as A
from aiobs_otel.instrumentors.common import base64_size
from aiobs_otel.instrumentors.google_genai import content as genai_content
from aiobs_otel.instrumentors.google_genai import content_stream
from aiobs_otel.instrumentors.lifecycle import span_name
from aiobs_otel.instrumentors.record import LLMCall
from aiobs_otel.instrumentors.semconv import start_attributes
from genai_fixtures import (  # noqa: F401  (fixtures)
    ERROR_MODEL,
    client,
    instrumented,
    metric_points,
    metric_reader,
    no_secret,
    standin,
)

MODEL = "gemini-2.0-flash"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def only_span(spans: Any) -> Any:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [s.name for s in finished]
    return finished[0]


def all_text(spans: Any) -> str:
    return json.dumps([dict(s.attributes) for s in spans.get_finished_spans()], default=str)


def check_response(span: Any, stream: bool = False) -> None:
    attrs = span.attributes
    assert span.name == f"generate_content {MODEL}"
    assert attrs[A.GEN_AI_OPERATION_NAME] == "generate_content"
    assert attrs[A.SERVER_ADDRESS] == "127.0.0.1"
    assert isinstance(attrs[A.SERVER_PORT], int)
    if "response_id" in types.GenerateContentResponse.model_fields:  # absent in early 1.x
        assert attrs[A.GEN_AI_RESPONSE_ID] == "resp-123"
    assert attrs[A.GEN_AI_RESPONSE_MODEL] == "gemini-2.0-flash-001"
    assert attrs[A.GEN_AI_USAGE_INPUT_TOKENS] == 7
    assert attrs[A.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    assert attrs[A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 2
    if "thoughts_token_count" in types.GenerateContentResponseUsageMetadata.model_fields:
        assert attrs[A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 5
    assert list(attrs[A.GEN_AI_RESPONSE_FINISH_REASONS]) == ["stop"]
    outputs = json.loads(attrs[A.GEN_AI_OUTPUT_MESSAGES])
    assert outputs == [{"role": "assistant", "finish_reason": "stop",
                        "parts": [{"type": "text", "content": "Hello from Gemini"}]}]  # fmt: skip
    assert (A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in attrs) is stream
    assert attrs.get(A.GEN_AI_REQUEST_STREAM) is (True if stream else None)


def test_sync_call_records_request_response_and_metrics(
    client: genai.Client, instrumented: Any, spans: Any, metric_reader: Any
) -> None:
    config = types.GenerateContentConfig(
        system_instruction="Be brief.", temperature=0.3, top_p=0.9, top_k=20,
        max_output_tokens=64, stop_sequences=["END"], seed=7, candidate_count=1,
        tools=[types.Tool(function_declarations=[types.FunctionDeclaration(
            name="get_weather", description="Weather for a city")])],
    )  # fmt: skip
    reply = client.models.generate_content(model=MODEL, contents="Say hello", config=config)
    assert reply.text == "Hello from Gemini"
    span = only_span(spans)
    check_response(span)
    attrs = span.attributes
    vertex = client._api_client.vertexai
    assert attrs[A.GEN_AI_PROVIDER_NAME] == ("gcp.vertex_ai" if vertex else "gcp.gemini")
    assert attrs[A.GEN_AI_REQUEST_TEMPERATURE] == 0.3
    assert attrs[A.GEN_AI_REQUEST_TOP_P] == 0.9
    assert attrs[A.GEN_AI_REQUEST_TOP_K] == 20
    assert attrs[A.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert list(attrs[A.GEN_AI_REQUEST_STOP_SEQUENCES]) == ["END"]
    assert attrs[A.GEN_AI_REQUEST_SEED] == 7
    assert attrs[A.GEN_AI_REQUEST_CHOICE_COUNT] == 1
    assert json.loads(attrs[A.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Say hello"}]}
    ]
    assert json.loads(attrs[A.GEN_AI_SYSTEM_INSTRUCTIONS]) == [
        {"type": "text", "content": "Be brief."}
    ]
    tools = json.loads(attrs[A.GEN_AI_TOOL_DEFINITIONS])
    assert tools[0]["name"] == "get_weather" and tools[0]["type"] == "function"
    assert attrs[A.CODE_FUNCTION_NAME].endswith(
        "test_sync_call_records_request_response_and_metrics"
    )
    no_secret(all_text(spans))
    points = metric_points(metric_reader)
    (duration,) = points[A.METRIC_OPERATION_DURATION]
    assert duration.count == 1
    assert duration.attributes[A.GEN_AI_RESPONSE_MODEL] == "gemini-2.0-flash-001"
    tokens = {p.attributes[A.GEN_AI_TOKEN_TYPE]: p.sum for p in points[A.METRIC_TOKEN_USAGE]}
    assert tokens == {"input": 7, "output": 3}


async def test_async_call(client: genai.Client, instrumented: Any, spans: Any) -> None:
    reply = await client.aio.models.generate_content(model=MODEL, contents="Say hello")
    assert reply.text == "Hello from Gemini"
    check_response(only_span(spans))


def test_sync_stream_exhausted(client: genai.Client, instrumented: Any, spans: Any) -> None:
    stream = client.models.generate_content_stream(model=MODEL, contents="Say hello")
    assert spans.get_finished_spans() == ()
    assert "".join(chunk.text for chunk in stream) == "Hello from Gemini"
    check_response(only_span(spans), stream=True)


async def test_async_stream_exhausted(client: genai.Client, instrumented: Any, spans: Any) -> None:
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Say hello")
    texts = [chunk.text async for chunk in stream]
    assert "".join(texts) == "Hello from Gemini"
    check_response(only_span(spans), stream=True)


def test_sync_stream_abandoned_ends_on_gc(
    client: genai.Client, instrumented: Any, spans: Any
) -> None:
    stream = client.models.generate_content_stream(model=MODEL, contents="Say hello")
    first = next(iter(stream))
    assert first.text == "Hello"
    assert spans.get_finished_spans() == ()
    del stream
    gc.collect()
    span = only_span(spans)
    assert span.attributes[A.GEN_AI_REQUEST_STREAM] is True
    assert json.loads(span.attributes[A.GEN_AI_OUTPUT_MESSAGES])[0]["parts"][0]["content"] == (
        "Hello"
    )
    assert span.status.status_code is StatusCode.UNSET


async def test_async_stream_abandoned_ends_on_gc(
    client: genai.Client, instrumented: Any, spans: Any
) -> None:
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Say hello")
    async for chunk in stream:
        assert chunk.text == "Hello"
        break
    del stream, chunk
    gc.collect()
    span = only_span(spans)
    assert span.attributes[A.GEN_AI_REQUEST_STREAM] is True
    assert span.end_time is not None


def test_api_error(client: genai.Client, instrumented: Any, spans: Any) -> None:
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_content(model=ERROR_MODEL, contents="hi")
    assert raised.value.code == 400
    span = only_span(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[A.ERROR_TYPE] == "400"
    assert span.events[0].name == "exception"


def test_stream_api_error(client: genai.Client, instrumented: Any, spans: Any) -> None:
    with pytest.raises(errors.ClientError):
        list(client.models.generate_content_stream(model=ERROR_MODEL, contents="hi"))
    span = only_span(spans)
    assert span.attributes[A.ERROR_TYPE] == "400"
    assert span.status.status_code is StatusCode.ERROR


def test_contents_forms_and_inline_bytes_are_never_recorded(
    client: genai.Client, instrumented: Any, spans: Any, observer: Any, flush_json: Any
) -> None:
    observer.observe(session_name="gemini")
    contents: list[Any] = [
        types.Content(role="user", parts=[types.Part.from_text(text="Look:"),
                                          types.Part.from_bytes(data=PNG, mime_type="image/png")]),
        types.Content(role="model", parts=[types.Part(text="Nice.")]),
        {"role": "user", "parts": [{"text": "What is in it?"}, {"inline_data": {
            "data": base64.b64encode(PNG).decode(), "mime_type": "image/png"}}]},
        "And this?",
        types.Part(file_data=types.FileData(file_uri="gs://b/cat.png", mime_type="image/png")),
    ]  # fmt: skip
    client.models.generate_content(model=MODEL, contents=contents)
    messages = json.loads(only_span(spans).attributes[A.GEN_AI_INPUT_MESSAGES])
    blob = {"type": "blob", "mime_type": "image/png", "size": len(PNG)}
    assert messages == [
        {"role": "user", "parts": [{"type": "text", "content": "Look:"}, blob]},
        {"role": "assistant", "parts": [{"type": "text", "content": "Nice."}]},
        {"role": "user", "parts": [{"type": "text", "content": "What is in it?"}, blob]},
        {"role": "user", "parts": [
            {"type": "text", "content": "And this?"},
            {"type": "uri", "mime_type": "image/png", "uri": "gs://b/cat.png"}]},
    ]  # fmt: skip
    document = flush_json()
    exported = json.dumps(document)
    span_text = all_text(spans)
    for text in (exported, span_text):
        assert base64.b64encode(PNG).decode()[:40] not in text
        assert "\\x89PNG" not in text
        no_secret(text)
    (event,) = document["events"]
    assert event["provider"] == "gemini" and event["api"] == "models.generate_content"
    assert event["request"]["model"] == MODEL
    # contents as the user passed them (aiobs's shape), media as size + mime
    request_contents = event["request"]["contents"]
    assert request_contents[2] == {
        "role": "user",
        "parts": [
            {"text": "What is in it?"},
            {"inline_data": {"size": len(PNG), "mime_type": "image/png"}},
        ],
    }
    assert request_contents[3] == "And this?"
    assert request_contents[0]["parts"][1]["inline_data"] == {
        "size": len(PNG),
        "mime_type": "image/png",
    }
    assert event["response"]["text"] == "Hello from Gemini"
    assert event["response"]["finish_reasons"] == ["stop"]
    assert event["response"]["usage"]["prompt_token_count"] == 7  # google-genai's own keys


def test_export_of_a_failed_call(
    client: genai.Client, instrumented: Any, observer: Any, flush_json: Any
) -> None:
    observer.observe()
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model=ERROR_MODEL, contents="hi")
    (event,) = flush_json()["events"]
    assert event["error"].startswith("ClientError: ")
    assert "model not found" in event["error"]


def test_content_capture_off(standin: Any, tracer_provider: Any, spans: Any) -> None:
    from genai_fixtures import make_client

    instrumentor = genai_content.GenAIGenerateContentInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, capture_content=False)
    plain = make_client(standin, vertex=False)
    try:
        plain.models.generate_content(model=MODEL, contents="secret")
        streamed = plain.models.generate_content_stream(model=MODEL, contents="secret")
        assert "".join(c.text or "" for c in streamed)
    finally:
        instrumentor.uninstrument()
    for span in spans.get_finished_spans():
        attrs = span.attributes
        assert A.GEN_AI_INPUT_MESSAGES not in attrs and A.GEN_AI_OUTPUT_MESSAGES not in attrs
        assert attrs[A.GEN_AI_USAGE_INPUT_TOKENS] == 7
        assert attrs[A.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert len(spans.get_finished_spans()) == 2


def test_uninstrument_restores_methods(client: genai.Client, instrumented: Any, spans: Any) -> None:
    for instrumentor in instrumented:
        instrumentor.uninstrument()
    from google.genai import models

    assert not hasattr(models.Models.generate_content, "__wrapped__")
    assert not hasattr(models.AsyncModels.generate_content_stream, "__wrapped__")
    client.models.generate_content(model=MODEL, contents="hi")
    assert spans.get_finished_spans() == ()
    for instrumentor in instrumented:
        instrumentor.instrument()  # the fixture uninstruments again


def test_recorder_fault_never_breaks_the_call(
    client: genai.Client, instrumented: Any, spans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("recorder bug")

    monkeypatch.delenv("AIOBS_OTEL_STRICT")  # report instead of raising, as in production
    monkeypatch.setattr(content_stream, "_summary", broken)
    reply = client.models.generate_content(model=MODEL, contents="hi")
    assert reply.text == "Hello from Gemini"
    assert only_span(spans).end_time is not None


def test_span_name_without_a_model() -> None:
    call = LLMCall(api=genai_content.API, provider="")
    genai_content.GenerateContentAdapter().request(call, None, {"contents": "hi"})
    assert span_name(call.operation, call.request_model) == "generate_content"
    assert A.GEN_AI_REQUEST_MODEL not in start_attributes(call)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 57, 1000])
def test_base64_size_without_decoding(size: int) -> None:
    text = base64.b64encode(bytes(size)).decode()
    assert base64_size(text) == size
    assert base64_size(base64.encodebytes(bytes(size)).decode()) == size  # with newlines
    assert base64_size(text.rstrip("=")) == size  # unpadded
