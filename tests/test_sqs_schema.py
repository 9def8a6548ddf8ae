"""The messages on the queue have llmops-observability's format: its README's
wrapper and trace document, field by field, read back from a real SQS server
(moto) and decompressed the way the README's Lambda consumer does it."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import Status, StatusCode

from _sqs_support import aws_env, make_exporter, moto_server, receive_all, streaming_provider
from aiobs_otel import attributes as A
from aiobs_otel import exporters
from aiobs_otel.exporters.sqs import ProcessDefaults, decode_message
from aiobs_otel.version import __version__

# The README's "SQS Message Wrapper Format" and "Decompressed SDK Trace Data
# Schema", quoted as they are written there.
README_WRAPPER = {
    "compressed": True,
    "data": "H4sIANPGn2YC/...",
    "trace_id": "87a41b12-cc61-4fdf-9bf2-a50a369b4d30",
    "type": "SDKTraceData",
}
README_TRACE: dict[str, Any] = {
    "trace_id": "87a41b12-cc61-4fdf-9bf2-a50a369b4d30",
    "trace_name": "rag_pipeline_example",
    "project_id": "new_test",
    "environment": "uat",
    "user_id": "user_123",
    "session_id": "session_456",
    "start_time": 1769446311.0,
    "end_time": 1769446318.021,
    "duration_ms": 7021,
    "trace_input": {"user_msg": "What is Android ????"},
    "trace_output": {"bot_response": "Android is a mobile operating system..."},
    "token_usage": {"total_input_tokens": 145, "total_output_tokens": 87, "total_tokens": 232},
    "cost": {"total_cost": 0.000456},
    "spans": [
        {
            "span_id": "87a41b12-cc61-4fdf-9bf2-a50a369b4d31",
            "span_name": "retrieve_context",
            "span_type": "span",
            "parent_span_id": None,
            "start_time": 1769446311.0,
            "end_time": 1769446313.0,
            "duration_ms": 2000,
            "input_data": {"args": [], "kwargs": {"query": "Android"}, "locals": {}},
            "output_data": {"output": ["Doc 1", "Doc 2"]},
            "error": None,
            "model_id": None,
            "status": "success",
            "metadata": {"environment": "uat", "project_id": "new_test"},
            "tags": [],
        },
        {
            "span_id": "87a41b12-cc61-4fdf-9bf2-a50a369b4d32",
            "span_name": "call_llm",
            "span_type": "generation",
            "parent_span_id": "87a41b12-cc61-4fdf-9bf2-a50a369b4d31",
            "start_time": 1769446313.0,
            "end_time": 1769446318.021,
            "duration_ms": 5021,
            "input_data": {
                "args": [],
                "kwargs": {"prompt": "Context: Doc 1, Doc 2\n\nQuestion: What is Android ????"},
                "locals": {},
            },
            "output_data": {
                "output": {"message": {"content": "Android is a mobile operating system..."}}
            },
            "error": None,
            "model_id": "anthropic.claude-3-sonnet-20240229-v1:0",
            "usage": {"input_tokens": 145, "output_tokens": 87, "total_tokens": 232},
            "prompt": "Context: Doc 1, Doc 2\n\nQuestion: What is Android ????",
            "response": "Android is a mobile operating system developed by Google...",
            "metadata": {"environment": "uat", "project_id": "new_test"},
            "status": "success",
            "tags": [],
        },
    ],
    "metadata": {"version": "1.0.0"},
    "tags": ["example", "rag"],
    "total_spans": 2,
    "total_generations": 1,
    "sdk_name": "llmops-observability",
    "sdk_version": "2.0.0",
}  # fmt: skip
# The second example ("Complete Trace Data") adds these span fields.
README_SPAN_EXTRA = {"usage", "prompt", "response", "status_message", "level"}
# Ours by nature: hex ids, our clock, our sdk.
DIFFERENT_BY_DESIGN = {"trace_id", "span_id", "parent_span_id", "start_time", "end_time",
                       "duration_ms", "sdk_name", "sdk_version"}  # fmt: skip


def lambda_handler(event: dict[str, Any], context: object) -> list[dict[str, Any]]:
    """The README's "Lambda Decompression Example", as written there (process_trace
    collects instead of forwarding)."""
    processed = []
    for record in event["Records"]:
        message = json.loads(record["body"])
        if message.get("compressed"):
            compressed_data = base64.b64decode(message["data"])
            decompressed_data = gzip.decompress(compressed_data)
            trace_data = json.loads(decompressed_data)
        else:
            trace_data = message
        print(f"Trace: {trace_data['trace_id']}")
        print(f"Project: {trace_data['project_id']}")
        print(f"Environment: {trace_data['environment']}")
        print(f"Spans: {len(trace_data['spans'])}")
        processed.append(trace_data)
    return processed


def decompress_sqs_message(message_body: str) -> dict[str, Any]:
    """The README's "Lambda Decompression (Reference)"."""
    sqs_message = json.loads(message_body)
    if not sqs_message.get("compressed"):
        return dict(sqs_message)
    compressed_data = base64.b64decode(sqs_message["data"])
    decompressed = gzip.decompress(compressed_data)
    return dict(json.loads(decompressed))


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with moto_server() as server:
        yield server


@pytest.fixture
def stream(moto: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """(tracer, queue url, exporter) streaming to a fresh queue."""
    aws_env(monkeypatch)
    url = moto.create_queue()
    defaults = ProcessDefaults(environment="from-env", project_id="from-env")
    exporter = make_exporter(url, moto.endpoint, tmp_path / "spill", defaults=defaults)
    provider = streaming_provider(exporter, **{"service.name": "rag-service"})
    yield provider.get_tracer("aiobs_otel.observe"), url, exporter
    provider.shutdown()
    assert exporter.stats()["internal_errors"] == 0


def readme_trace(tracer: Any) -> None:
    """The README example's trace, made of spans carrying our attributes."""
    root_attributes = {
        A.AIOBS_SPAN_KIND: "function",
        A.AIOBS_FUNCTION_ARGS: "[]",
        A.AIOBS_FUNCTION_KWARGS: json.dumps({"query": "Android"}),
        A.AIOBS_FUNCTION_LOCALS: "{}",
        A.AIOBS_TRACE_NAME: "rag_pipeline_example",
        A.USER_ID: "user_123",
        A.GEN_AI_CONVERSATION_ID: "session_456",
        A.AIOBS_TRACE_TAGS: ("example", "rag"),
        A.AIOBS_TRACE_METADATA: json.dumps({"version": "1.0.0"}),
        A.AIOBS_TRACE_INPUT: json.dumps({"user_msg": "What is Android ????"}),
        A.AIOBS_LABEL_PREFIX + "environment": "uat",
        A.AIOBS_LABEL_PREFIX + "project_id": "new_test",
        A.SESSION_ID: "aiobs-session-1",
    }
    prompt = "Context: Doc 1, Doc 2\n\nQuestion: What is Android ????"
    with tracer.start_as_current_span("retrieve_context", attributes=root_attributes) as root:
        with tracer.start_as_current_span("call_llm", attributes={
            A.AIOBS_SPAN_KIND: "generation",
            A.AIOBS_FUNCTION_ARGS: "[]",
            A.AIOBS_FUNCTION_KWARGS: json.dumps({"prompt": prompt}),
            A.GEN_AI_REQUEST_MODEL: "anthropic.claude-3-sonnet-20240229-v1:0",
            A.GEN_AI_USAGE_INPUT_TOKENS: 145,
            A.GEN_AI_USAGE_OUTPUT_TOKENS: 87,
            A.GEN_AI_USAGE_COST_AMOUNT: 0.000456,
            A.GEN_AI_USAGE_COST_CURRENCY: "USD",
            A.GEN_AI_OUTPUT_MESSAGES: json.dumps([{"role": "assistant", "parts": [{
                "type": "text",
                "content": "Android is a mobile operating system developed by Google..."}]}]),
            A.AIOBS_FUNCTION_RESULT: json.dumps(
                {"message": {"content": "Android is a mobile operating system..."}}),
        }):  # fmt: skip
            pass
        root.set_attribute(A.AIOBS_FUNCTION_RESULT, json.dumps(["Doc 1", "Doc 2"]))
        root.set_attribute(A.AIOBS_TRACE_OUTPUT, json.dumps(
            {"bot_response": "Android is a mobile operating system..."}))  # fmt: skip


def test_the_message_is_the_readme_wrapper_and_trace(stream: Any) -> None:
    tracer, url, exporter = stream
    readme_trace(tracer)
    assert exporter.force_flush(10_000)
    (body,) = receive_all(exporter._sender._get_client(), url, expect=1)

    wrapper = json.loads(body)
    assert set(wrapper) == set(README_WRAPPER) | {"idempotency_key"}
    assert wrapper["compressed"] is True and wrapper["type"] == "SDKTraceData"
    trace = decompress_sqs_message(body)
    assert wrapper["trace_id"] == trace["trace_id"]
    assert wrapper["idempotency_key"] == trace["idempotency_key"]

    for key, documented in README_TRACE.items():
        assert key in trace, key
        if key == "spans":
            continue
        if key in DIFFERENT_BY_DESIGN:
            assert type(trace[key]) is type(documented), key
        elif key == "cost":
            assert trace["cost"] == {"total_cost": 0.000456, "currency": "USD"}
        else:
            assert trace[key] == documented, key
    assert len(trace["trace_id"]) == 32 and int(trace["trace_id"], 16)
    assert (trace["sdk_name"], trace["sdk_version"]) == ("aiobs-otel", __version__)
    assert trace["duration_ms"] == round((trace["end_time"] - trace["start_time"]) * 1000)

    ours = {span["span_name"]: span for span in trace["spans"]}
    for documented in README_TRACE["spans"]:
        span = ours[documented["span_name"]]
        assert set(span) >= set(documented) | README_SPAN_EXTRA
        for key, value in documented.items():
            if key == "metadata":
                assert span["metadata"].items() >= value.items()
            elif key in DIFFERENT_BY_DESIGN:
                assert type(span[key]) is type(value) or value is None
            else:
                assert span[key] == value, (documented["span_name"], key)
    root, llm = ours["retrieve_context"], ours["call_llm"]
    assert llm["parent_span_id"] == root["span_id"] and len(root["span_id"]) == 16
    assert root["parent_span_id"] is None
    assert llm["cost"] == {"total_cost": 0.000456, "currency": "USD"}
    assert root["start_time"] <= llm["start_time"] <= llm["end_time"] <= root["end_time"]
    # Beyond llmops's fields: labels, service, aiobs session, keys per span.
    assert trace["labels"] == {"environment": "uat", "project_id": "new_test"}
    assert trace["service_name"] == "rag-service"
    assert trace["aiobs_session_id"] == "aiobs-session-1"
    assert trace["segment"] == "complete" and trace["is_child_segment"] is False
    assert len({s["idempotency_key"] for s in trace["spans"]}) == 2

    # The README's Lambda handler reads it as it is.
    (processed,) = lambda_handler({"Records": [{"body": body}]}, None)
    assert processed == trace == decode_message(body)


def test_provider_spans_become_generations_with_prompt_and_response(stream: Any) -> None:
    tracer, url, exporter = stream
    messages = [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Say hello."}]},
    ]
    chat_attributes = {
        A.GEN_AI_OPERATION_NAME: "chat",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        A.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
        A.GEN_AI_USAGE_INPUT_TOKENS: 11,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: 5,
        A.GEN_AI_INPUT_MESSAGES: json.dumps(messages),
        A.GEN_AI_SYSTEM_INSTRUCTIONS: json.dumps([{"type": "text", "content": "Be brief."}]),
        A.GEN_AI_OUTPUT_MESSAGES: json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}]}]),
        A.SERVER_ADDRESS: "api.openai.com",
    }  # fmt: skip
    embedding_attributes = {
        A.GEN_AI_OPERATION_NAME: "embeddings",
        A.AIOBS_REQUEST_EXTRA: json.dumps({"input": ["a", "b"]}),
    }
    with (
        tracer.start_as_current_span("chat gpt-4o-mini", attributes=chat_attributes),
        tracer.start_as_current_span(
            "embeddings text-embedding-3-small", attributes=embedding_attributes
        ),  # fmt: skip
    ):
        pass
    with tracer.start_as_current_span("failing") as failing:
        failing.record_exception(ValueError("bad input"))
        failing.set_status(Status(StatusCode.ERROR, "bad input"))
    assert exporter.force_flush(10_000)
    traces = [decode_message(b) for b in receive_all(exporter._sender._get_client(), url, expect=2)]
    chat_trace = next(t for t in traces if t["trace_name"] == "chat gpt-4o-mini")
    chat = next(s for s in chat_trace["spans"] if s["span_type"] == "generation")
    assert chat["model_id"] == "gpt-4o-mini-2024-07-18"
    assert chat["prompt"] == "system: Be brief.\n\nuser: Say hello."
    assert chat["response"] == "Hello!"
    assert chat["input_data"]["messages"] == messages
    assert chat["output_data"]["output"][0]["parts"][0]["content"] == "Hello!"
    assert chat["usage"] == {"input_tokens": 11, "output_tokens": 5, "total_tokens": 16}
    assert chat["metadata"]["attributes"][A.SERVER_ADDRESS] == "api.openai.com"
    assert A.GEN_AI_INPUT_MESSAGES not in chat["metadata"]["attributes"]  # not twice
    embedding = next(s for s in chat_trace["spans"] if s["span_type"] == "embedding")
    assert embedding["input_data"] == {"input": ["a", "b"]} and embedding["prompt"] is None
    assert chat_trace["total_generations"] == 1 and chat_trace["cost"] is None
    # Without labels: the process's variables (ENV / PROJECT_ID).
    assert (chat_trace["environment"], chat_trace["project_id"]) == ("from-env", "from-env")

    failed = next(t for t in traces if t["trace_name"] == "failing")["spans"][0]
    assert failed["status"] == "error" and failed["level"] == "ERROR"
    assert failed["error"] == "ValueError: bad input"
    assert failed["status_message"] == "bad input"


def test_the_package_exports_are_documented() -> None:
    import aiobs_otel.exporters.sqs as sqs

    assert set(sqs.__all__) == {
        "ProcessDefaults", "SQSConfig", "SQSSpanExporter", "SQSSpanProcessor",
        "decode_message", "processor_from_env", "streaming_stats",
    }  # fmt: skip
    assert "SQSSpanExporter" not in exporters.__all__  # its own subpackage, boto3 optional
