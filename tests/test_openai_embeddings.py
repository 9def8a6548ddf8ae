"""Embeddings through the real openai client against a loopback server."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from _openai_server import (
    LoopbackServer,
    Reply,
    Telemetry,
    assert_no_secret,
    embeddings_body,
    error_body,
)
from aiobs_otel import Observer
from aiobs_otel.instrumentors.openai.embeddings import OpenAIEmbeddingsInstrumentor

MODEL = "text-embedding-3-small"

pytest_plugins = ("openai_fixtures",)


def _json(span: Any, key: str) -> Any:
    return json.loads(span.attributes[key])


@pytest.fixture
def vectors_on() -> Iterator[InMemorySpanExporter]:
    """Embeddings instrumented with the vector opt-in."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIEmbeddingsInstrumentor().instrument(
        tracer_provider=provider, capture_embedding_vectors=True
    )
    yield exporter
    OpenAIEmbeddingsInstrumentor().uninstrument()


def test_sync_embeddings(client: openai.OpenAI, telemetry: Telemetry) -> None:
    result = client.embeddings.create(model=MODEL, input=["a", "b"], dimensions=3, user="u1")
    assert len(result.data) == 2
    span = telemetry.only_span()
    attrs = span.attributes or {}
    assert span.name == f"embeddings {MODEL}"
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.embeddings.dimension.count"] == 3
    assert attrs["gen_ai.usage.input_tokens"] == 7
    assert "gen_ai.usage.output_tokens" not in attrs
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["code.function.name"] == "test_sync_embeddings"
    assert _json(span, "aiobs.request.extra") == {"input": ["a", "b"], "dimensions": 3}
    assert _json(span, "aiobs.response.extra") == {"count": 2}  # no vectors without opt-in
    tokens = telemetry.histogram("gen_ai.client.token.usage")
    assert [(p.attributes["gen_ai.token.type"], p.sum) for p in tokens] == [("input", 7)]
    assert_no_secret(json.dumps(dict(attrs)))


def test_vectors_only_on_opt_in(client: openai.OpenAI,
                                vectors_on: InMemorySpanExporter) -> None:  # fmt: skip
    client.embeddings.create(model=MODEL, input="hello")
    (span,) = vectors_on.get_finished_spans()
    assert _json(span, "aiobs.response.extra") == {
        "count": 2, "embeddings": [[0.5, 0.5, 0.5], [1.5, 1.5, 1.5]]}  # fmt: skip
    assert _json(span, "aiobs.request.extra") == {"input": "hello"}


def test_base64_vectors_are_never_recorded(client: openai.OpenAI, openai_server: LoopbackServer,
                                           vectors_on: InMemorySpanExporter) -> None:  # fmt: skip
    encoded = base64.b64encode(struct.pack("<4f", 1, 2, 3, 4)).decode()
    body = embeddings_body(count=1)
    body["data"][0]["embedding"] = encoded
    openai_server.replies.append(Reply(body=body))
    result = client.embeddings.create(model=MODEL, input="x", encoding_format="base64")
    assert result.data[0].embedding == encoded
    (span,) = vectors_on.get_finished_spans()
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 4  # type: ignore[index]
    assert span.attributes["gen_ai.request.encoding_formats"] == ("base64",)  # type: ignore[index]
    assert _json(span, "aiobs.response.extra") == {"count": 1}
    assert encoded not in json.dumps(dict(span.attributes or {}))


def test_content_capture_off(client: openai.OpenAI, telemetry: Telemetry) -> None:
    OpenAIEmbeddingsInstrumentor().uninstrument()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIEmbeddingsInstrumentor().instrument(
        tracer_provider=provider, capture_content=False, capture_embedding_vectors=True
    )
    client.embeddings.create(model=MODEL, input="private text")
    (span,) = exporter.get_finished_spans()
    assert "private text" not in json.dumps(dict(span.attributes or {}))
    assert _json(span, "aiobs.response.extra") == {"count": 2}


async def test_async_and_raw_response(async_client: openai.AsyncOpenAI,
                                      telemetry: Telemetry) -> None:  # fmt: skip
    await async_client.embeddings.create(model=MODEL, input="a")  # CALLSITE-ASYNC-EMB
    raw = await async_client.embeddings.with_raw_response.create(model=MODEL, input="b")
    assert len(raw.parse().data) == 2
    first, second = telemetry.spans()
    assert first.attributes["code.function.name"] == "test_async_and_raw_response"  # type: ignore[index]
    line = next(i for i, text in enumerate(Path(__file__).read_text().splitlines(), 1)
                if text.endswith("# CALLSITE-ASYNC-EMB"))  # fmt: skip
    assert first.attributes["code.line.number"] == line  # type: ignore[index]
    assert second.attributes["gen_ai.embeddings.dimension.count"] == 3  # type: ignore[index]


def test_server_error(client: openai.OpenAI, telemetry: Telemetry,
                      openai_server: LoopbackServer) -> None:  # fmt: skip
    openai_server.replies.append(Reply(status=503, body=error_body("overloaded")))
    with pytest.raises(openai.InternalServerError) as caught:
        client.embeddings.create(model=MODEL, input="a")
    span = telemetry.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "503"  # type: ignore[index]
    assert caught.value.status_code == 503


def test_failed_call_exports_no_response(observer: Observer, tracer_provider: Any,
                                         client: openai.OpenAI, openai_server: LoopbackServer,
                                         tmp_path: Path) -> None:  # fmt: skip
    """The requested ``dimensions`` is a request value: a failed call has no response."""
    openai_server.replies.append(Reply(status=503, body=error_body("overloaded")))
    OpenAIEmbeddingsInstrumentor().instrument(tracer_provider=tracer_provider)
    try:
        observer.observe(session_name="emb-failed")
        with pytest.raises(openai.InternalServerError):
            client.embeddings.create(model=MODEL, input="a", dimensions=3)
        observer.end()
        path = tmp_path / "failed.json"
        observer.flush(path=str(path))
    finally:
        OpenAIEmbeddingsInstrumentor().uninstrument()
    (event,) = json.loads(path.read_text())["events"]
    assert event["request"]["dimensions"] == 3
    assert event["response"] is None
    assert event["error"]


def test_input_iterator_is_not_consumed(client: openai.OpenAI, telemetry: Telemetry,
                                        openai_server: LoopbackServer) -> None:  # fmt: skip
    client.embeddings.create(model=MODEL, input=(token for token in [1, 2, 3]))
    assert openai_server.requests[0]["input"] == [1, 2, 3]
    assert "aiobs.request.extra" not in (telemetry.only_span().attributes or {})


def test_json_export_event(observer: Observer, tracer_provider: Any, client: openai.OpenAI,
                           tmp_path: Path) -> None:  # fmt: skip
    OpenAIEmbeddingsInstrumentor().instrument(tracer_provider=tracer_provider)
    try:
        observer.observe(session_name="emb-export")
        client.embeddings.create(
            model=MODEL, input=["a", "b"], encoding_format="float", dimensions=3, user="u1"
        )
        observer.end()
        path = tmp_path / "emb.json"
        observer.flush(path=str(path))
    finally:
        OpenAIEmbeddingsInstrumentor().uninstrument()
    assert_no_secret(path.read_text())
    (event,) = json.loads(path.read_text())["events"]
    assert (event["provider"], event["api"]) == ("openai", "embeddings.create")
    # aiobs's shape: the requested user at the top, the vectors at data[i].embedding
    assert event["request"] == {
        "model": MODEL, "input": ["a", "b"], "encoding_format": "float", "dimensions": 3,
        "user": "u1", "other": {},
    }  # fmt: skip
    response = event["response"]
    vectors = [item["embedding"] for item in response.pop("data")]
    assert len(vectors) == 2 and all(len(v) == 3 for v in vectors)
    assert response == {
        "id": None, "model": MODEL, "usage": {"prompt_tokens": 7, "total_tokens": 7},
        "object": "list", "embedding_dimensions": 3,
    }  # fmt: skip
    assert event["error"] is None
