"""Fixtures for the OpenAI tests: a loopback server, real clients, and both
instrumentors on private providers (``pytest_plugins = ("openai_fixtures",)``)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _openai_server import API_KEY, LoopbackServer, Telemetry, start_server
from aiobs_otel.instrumentors.openai.chat import OpenAIChatInstrumentor
from aiobs_otel.instrumentors.openai.embeddings import OpenAIEmbeddingsInstrumentor


@pytest.fixture
def openai_server() -> Iterator[LoopbackServer]:
    server, httpd = start_server()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(openai_server: LoopbackServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=openai_server.url, api_key=API_KEY, max_retries=0) as c:
        yield c


@pytest.fixture
def async_client(openai_server: LoopbackServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=openai_server.url, api_key=API_KEY, max_retries=0)


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """Both OpenAI instrumentors on a private TracerProvider and MeterProvider."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    for instrumentor in (OpenAIChatInstrumentor(), OpenAIEmbeddingsInstrumentor()):
        instrumentor.instrument(tracer_provider=provider, meter_provider=meters)
    yield Telemetry(exporter, reader)
    for instrumentor in (OpenAIChatInstrumentor(), OpenAIEmbeddingsInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
