"""Gemini embed_content: the span, the metrics and the export event, on the
Developer API and Vertex AI, sync and async, with the real google-genai client."""
# ruff: noqa: F811  (fixtures imported from genai_fixtures are parameters here)

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import StatusCode

from aiobs_otel import Observer
from aiobs_otel import attributes as A
from aiobs_otel.instrumentors import GenAIEmbedContentInstrumentor
from genai_fixtures import (  # noqa: F401  (fixtures)
    EMBEDDING_DIMENSIONS,
    ERROR_MODEL,
    client,
    embedding,
    metric_points,
    no_secret,
    standin,
)

MODEL = "text-embedding-004"
TEXTS = ["What is an API?", "Why version it?", "How to deprecate?"]


@pytest.fixture
def embed_instrumented(tracer_provider: TracerProvider) -> Iterator[InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    instrumentor = GenAIEmbedContentInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    yield reader
    instrumentor.uninstrument()


def test_a_batch_is_one_span_with_dimensions(
    client: genai.Client, embed_instrumented: InMemoryMetricReader, spans: Any
) -> None:
    vertex = client.vertexai
    result = client.models.embed_content(
        model=MODEL, contents=TEXTS,
        config=types.EmbedContentConfig(output_dimensionality=EMBEDDING_DIMENSIONS),
    )  # fmt: skip
    assert [e.values for e in result.embeddings or []] == [embedding(i) for i in range(3)]
    (span,) = spans.get_finished_spans()
    attrs = span.attributes or {}
    assert span.name == f"embeddings {MODEL}"
    assert attrs[A.GEN_AI_OPERATION_NAME] == "embeddings"
    assert attrs[A.AIOBS_API] == "models.embed_content"
    assert attrs[A.GEN_AI_PROVIDER_NAME] == ("gcp.vertex_ai" if vertex else "gcp.gemini")
    assert attrs[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == EMBEDDING_DIMENSIONS
    extra = json.loads(attrs[A.AIOBS_REQUEST_EXTRA])  # type: ignore[arg-type]
    assert extra == {"input": TEXTS, "dimensions": EMBEDDING_DIMENSIONS}
    assert json.loads(attrs[A.AIOBS_RESPONSE_EXTRA]) == {"count": 3}  # type: ignore[arg-type]
    if vertex:  # Vertex AI reports token counts per vector: 3 + 4 + 5
        assert attrs[A.GEN_AI_USAGE_INPUT_TOKENS] == 12
        tokens = metric_points(embed_instrumented)[A.METRIC_TOKEN_USAGE]
        assert [p.sum for p in tokens] == [12]
    else:
        assert A.GEN_AI_USAGE_INPUT_TOKENS not in attrs
    assert metric_points(embed_instrumented)[A.METRIC_OPERATION_DURATION][0].count == 1
    assert "[0.25" not in json.dumps(dict(attrs))  # vectors never on spans
    no_secret(json.dumps(dict(attrs)))


def test_export_event_is_shaped_like_the_embeddings_event(
    client: genai.Client, embed_instrumented: Any, observer: Observer, flush_json: Any
) -> None:
    observer.observe()
    client.models.embed_content(
        model=MODEL,
        contents=TEXTS[:2],
        config={"output_dimensionality": 4, "task_type": "RETRIEVAL_QUERY"},
    )
    (event,) = flush_json()["events"]
    assert (event["provider"], event["api"]) == ("gemini", "models.embed_content")
    assert event["request"] == {
        "model": MODEL, "input": TEXTS[:2], "encoding_format": None, "dimensions": 4,
        "user": None, "other": {"config": {"task_type": "RETRIEVAL_QUERY"}},
    }  # fmt: skip
    response = event["response"]
    assert [d["embedding"] for d in response["data"]] == [embedding(0), embedding(1)]
    assert [d["index"] for d in response["data"]] == [0, 1]
    assert response["embedding_dimensions"] == 4
    if client.vertexai:
        assert response["usage"] == {"token_count": 7, "billable_character_count": 17}
    else:
        assert response["usage"] is None


async def test_async_and_error(client: genai.Client, embed_instrumented: Any, spans: Any) -> None:
    result = await client.aio.models.embed_content(model=MODEL, contents="one text")
    assert result.embeddings
    with pytest.raises(errors.ClientError):
        await client.aio.models.embed_content(model=ERROR_MODEL, contents="x")
    ok, failed = spans.get_finished_spans()
    assert ok.attributes[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == EMBEDDING_DIMENSIONS
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes[A.ERROR_TYPE] == "400"
