"""The stand-in's Gemini embeddings, driven by the real google-genai client:
every method ``models.embed_content`` calls (Developer API ``:batchEmbedContents``;
Vertex AI ``:embedContent`` / ``:batchEmbedContents`` for Gemini models and
``:predict`` for the others), and what the instrumentor records from each."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types
from opentelemetry.sdk.trace import TracerProvider

from aiobs_otel import attributes as A
from aiobs_otel.demo import StandIn, static_google_credentials
from aiobs_otel.instrumentors import GenAIEmbedContentInstrumentor

TEXTS = ["How do I reset my password?", "I forgot my password.", "Opening hours on Sunday?"]


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def gemini(standin: StandIn) -> genai.Client:
    options = types.HttpOptions(base_url=standin.gemini_base_url)
    return genai.Client(api_key="test", http_options=options)


@pytest.fixture
def vertex(standin: StandIn) -> genai.Client:
    return genai.Client(
        vertexai=True, project="demo-project", location="us-central1",
        credentials=static_google_credentials(),
        http_options=types.HttpOptions(base_url=standin.gemini_base_url),
    )  # fmt: skip


def vectors(result: types.EmbedContentResponse) -> list[list[float]]:
    return [list(e.values or []) for e in result.embeddings or []]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_developer_api_batch(gemini: genai.Client, standin: StandIn) -> None:
    result = gemini.models.embed_content(model="gemini-embedding-001", contents=TEXTS)
    request = standin.requests[-1]
    assert request.path.endswith("/models/gemini-embedding-001:batchEmbedContents")
    assert [r["content"]["parts"][0]["text"] for r in request.body["requests"]] == TEXTS
    found = vectors(result)
    assert [len(v) for v in found] == [3072] * 3  # the model's default size
    assert all(sum(x * x for x in v) == pytest.approx(1.0, abs=1e-4) for v in found)
    # deterministic, and texts that share words are closer than texts that do not
    again = gemini.models.embed_content(model="gemini-embedding-001", contents=TEXTS)
    assert vectors(again) == found
    assert cosine(found[0], found[1]) > 0.3 > abs(cosine(found[0], found[2]))
    assert getattr(result, "usage_metadata", None) is None and result.metadata is None  # none here
    small = gemini.models.embed_content(
        model="text-embedding-004", contents="one", config={"output_dimensionality": 8}
    )
    assert [len(v) for v in vectors(small)] == [8]
    assert len(
        vectors(gemini.models.embed_content(model="text-embedding-004", contents="x"))[0]
    ) == (768)


def test_developer_api_embed_content_method(standin: StandIn) -> None:
    url = f"{standin.gemini_base_url}/v1beta/models/gemini-embedding-001:embedContent"
    body = {"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 4}
    answer = httpx.post(url, json=body).json()
    assert list(answer) == ["embedding"] and len(answer["embedding"]["values"]) == 4


def test_vertex_gemini_models_use_the_embed_content_methods(
    vertex: genai.Client, standin: StandIn
) -> None:
    batch = vertex.models.embed_content(
        model="gemini-embedding-001", contents=TEXTS, config={"output_dimensionality": 16}
    )
    request = standin.requests[-1]
    if request.path.endswith(":predict"):  # google-genai releases before the embedContent methods
        pytest.skip("this google-genai calls :predict for every Vertex AI model")
    assert "/publishers/google/models/gemini-embedding-001:batchEmbedContents" in request.path
    assert request.body["requests"][0]["embedContentConfig"] == {"outputDimensionality": 16}
    assert [len(v) for v in vectors(batch)] == [16] * 3
    assert batch.usage_metadata is not None and batch.usage_metadata.prompt_token_count == 19
    single = vertex.models.embed_content(model="gemini-embedding-001", contents="hello there")
    assert standin.requests[-1].path.endswith(":embedContent")
    (embedding,) = single.embeddings or []
    assert embedding.statistics is not None and embedding.statistics.token_count == 3


def test_vertex_other_models_use_predict(vertex: genai.Client, standin: StandIn) -> None:
    result = vertex.models.embed_content(
        model="text-embedding-005", contents=TEXTS[:2], config={"output_dimensionality": 8}
    )
    request = standin.requests[-1]
    assert request.path.endswith("/models/text-embedding-005:predict")
    assert request.body["instances"] == [{"content": TEXTS[0]}, {"content": TEXTS[1]}]
    assert [len(v) for v in vectors(result)] == [8, 8]
    tokens = [e.statistics.token_count for e in result.embeddings or [] if e.statistics]
    assert tokens == [7, 6]
    assert result.metadata is not None
    assert result.metadata.billable_character_count == len(TEXTS[0]) + len(TEXTS[1])


def test_errors_in_the_api_shape(gemini: genai.Client, vertex: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.embed_content(model="gemini-2.0-flash", contents="x")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"
    assert "not supported for batchEmbedContents" in str(caught.value.message)
    with pytest.raises(errors.ClientError) as caught:
        gemini.models.embed_content(model="gemini-embedding-001", contents=["x"] * 101)
    assert caught.value.code == 400 and "at most 100 requests" in str(caught.value.message)
    with pytest.raises(errors.ClientError) as caught:
        vertex.models.embed_content(model="gemini-embedding-error-429", contents=["a", "b"])
    assert caught.value.status == "RESOURCE_EXHAUSTED"


@pytest.fixture
def embed_instrumented(tracer_provider: TracerProvider) -> Iterator[None]:
    instrumentor = GenAIEmbedContentInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    yield
    instrumentor.uninstrument()


@pytest.mark.parametrize(
    ("model", "contents", "tokens"),
    [
        # about four characters a token: 7 + 6 + 6
        ("gemini-embedding-001", TEXTS, 19),  # :batchEmbedContents, usage_metadata
        ("gemini-embedding-001", TEXTS[0], 7),  # :embedContent, statistics from usage_metadata
        ("text-embedding-005", TEXTS, 19),  # :predict, statistics per vector
    ],
)
def test_vertex_token_counts_reach_the_span(
    vertex: genai.Client, embed_instrumented: None, spans: Any, model: str, contents: Any,
    tokens: int,
) -> None:  # fmt: skip
    vertex.models.embed_content(model=model, contents=contents)
    (span,) = spans.get_finished_spans()
    attributes = span.attributes or {}
    assert attributes[A.GEN_AI_USAGE_INPUT_TOKENS] == tokens
    count = len(contents) if isinstance(contents, list) else 1
    assert json.loads(str(attributes[A.AIOBS_RESPONSE_EXTRA])) == {"count": count}
