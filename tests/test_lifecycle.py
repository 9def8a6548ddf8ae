"""The shared provider-call lifecycle, driven through a tiny fake SDK so every
path (result, error, stream end, faults in our own code) can be forced."""

from __future__ import annotations

import asyncio
import gc
import sys
import types
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from aiobs_otel import attributes as A
from aiobs_otel.instrumentors.base import ProviderInstrumentor, Target
from aiobs_otel.instrumentors.lifecycle import ProviderCall
from aiobs_otel.instrumentors.record import ApiSpec, LLMCall


class FakeError(Exception):
    pass


class FakeClient:
    def create(
        self, *, model: str, stream: bool = False, fail: bool = False, items: Any = None
    ) -> Any:
        if items is not None:
            return items
        if fail:
            raise FakeError("boom")
        if stream:
            return (chunk for chunk in ["a", "b", "c"])
        return {"text": "hello", "model": model}

    async def acreate(self, *, model: str, stream: bool = False, fail: bool = False) -> Any:
        if fail:
            raise FakeError("async boom")
        if stream:
            return _agen(["x", "y"])
        return {"text": "hi", "model": model}


async def _agen(items: list[str]) -> AsyncIterator[str]:
    for item in items:
        yield item


fake_module = types.ModuleType("fake_sdk")
fake_module.FakeClient = FakeClient  # type: ignore[attr-defined]
sys.modules["fake_sdk"] = fake_module


class Accumulator:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, chunk: Any) -> None:
        self.parts.append(chunk)

    def record(self, call: LLMCall) -> None:
        call.extra_attributes["fake.text"] = "".join(self.parts)
        call.set_usage(len(self.parts), len(self.parts))


CONTENT_CALLS: list[str] = []
FAKE_API = ApiSpec(
    name="fake.create", event_provider="fake", operation="chat",
    event=lambda call: {"request": {"model": call.request_model}, "response": None},
)  # fmt: skip


class Recorder:
    api = FAKE_API

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        call.provider = "fake"
        call.request_model = kwargs["model"]

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        CONTENT_CALLS.append(kwargs["model"])
        call.extra_attributes["fake.prompt"] = kwargs["model"]

    def stream(self, result: Any, call: LLMCall) -> Accumulator | None:
        is_stream = hasattr(result, "__next__") or hasattr(result, "__anext__")
        return Accumulator() if is_stream else None

    def response(self, call: ProviderCall, result: Any) -> None:
        call.record.extra_attributes["fake.text"] = result["text"]
        call.record.response_model = result["model"]
        call.record.set_usage(3, 5)

    def error_type(self, error: BaseException) -> str:
        return "fake_" + type(error).__name__


class FakeInstrumentor(ProviderInstrumentor):
    scope = "aiobs_otel.fake"
    targets = (
        Target("fake_sdk", "FakeClient.create"),
        Target("fake_sdk", "FakeClient.acreate", is_async=True),
    )

    def adapter(self) -> Recorder:
        return Recorder()


@pytest.fixture
def telemetry() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    instrumentor = FakeInstrumentor()
    instrumentor.instrument(
        tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    yield exporter, reader
    instrumentor.uninstrument()


def test_result_passes_through_and_span_is_recorded(telemetry: Any) -> None:
    exporter, reader = telemetry
    assert FakeClient().create(model="m1") == {"text": "hello", "model": "m1"}
    (span,) = exporter.get_finished_spans()
    assert span.name == "chat m1"
    assert span.attributes["fake.text"] == "hello"
    assert span.attributes[A.GEN_AI_USAGE_INPUT_TOKENS] == 3
    assert (
        span.attributes[A.CODE_FUNCTION_NAME] == "test_result_passes_through_and_span_is_recorded"
    )
    metrics = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics
    by_name = {m.name: m for m in metrics}
    duration = by_name[A.METRIC_OPERATION_DURATION].data.data_points[0]
    assert duration.explicit_bounds[:3] == (0.01, 0.02, 0.04)
    assert duration.attributes[A.GEN_AI_RESPONSE_MODEL] == "m1"
    token_types = {
        p.attributes[A.GEN_AI_TOKEN_TYPE] for p in by_name[A.METRIC_TOKEN_USAGE].data.data_points
    }
    assert token_types == {"input", "output"}


def test_error_is_reraised_unchanged_and_recorded(telemetry: Any) -> None:
    exporter, _ = telemetry
    with pytest.raises(FakeError) as caught:
        FakeClient().create(model="m1", fail=True)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[A.ERROR_TYPE] == "fake_FakeError"
    assert span.events[0].attributes["exception.message"] == "boom"
    assert str(caught.value) == "boom"


@pytest.mark.parametrize("method", ["request", "response", "stream"])
def test_a_failing_recorder_never_breaks_the_call(
    telemetry: Any, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.delenv("AIOBS_OTEL_STRICT")  # production mode: log, don't raise

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug in telemetry code")

    monkeypatch.setattr(Recorder, method, broken)
    assert FakeClient().create(model="m1")["text"] == "hello"


def test_stream_span_ends_when_exhausted_with_time_to_first_chunk(telemetry: Any) -> None:
    exporter, _ = telemetry
    stream = FakeClient().create(model="m1", stream=True)
    assert exporter.get_finished_spans() == ()
    assert list(stream) == ["a", "b", "c"]
    (span,) = exporter.get_finished_spans()
    assert span.attributes["fake.text"] == "abc"
    assert span.attributes[A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0


def test_stream_span_ends_on_close_and_on_garbage_collection(telemetry: Any) -> None:
    exporter, _ = telemetry
    closed = FakeClient().create(model="m1", stream=True)
    next(closed)
    closed.close()
    assert len(exporter.get_finished_spans()) == 1
    abandoned = FakeClient().create(model="m2", stream=True)
    next(abandoned)
    del abandoned
    gc.collect()
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == ["chat m1", "chat m2"]
    assert exporter.get_finished_spans()[1].attributes["fake.text"] == "a"


def test_async_call_stream_and_error(telemetry: Any) -> None:
    exporter, _ = telemetry

    async def run() -> list[str]:
        client = FakeClient()
        assert (await client.acreate(model="m1"))["text"] == "hi"
        chunks = [c async for c in await client.acreate(model="m2", stream=True)]
        with pytest.raises(FakeError):
            await client.acreate(model="m3", fail=True)
        return chunks

    assert asyncio.run(run()) == ["x", "y"]
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["chat m2"].attributes["fake.text"] == "xy"
    assert spans["chat m3"].status.status_code is StatusCode.ERROR
    # code objects carry their qualified name from Python 3.11 on (co_qualname)
    qualified = sys.version_info >= (3, 11)
    assert spans["chat m1"].attributes[A.CODE_FUNCTION_NAME] == (
        "test_async_call_stream_and_error.<locals>.run" if qualified else "run"
    )


def test_uninstrument_restores_the_original_method(telemetry: Any) -> None:
    FakeInstrumentor().uninstrument()
    assert not hasattr(FakeClient.create, "__wrapped__")
    FakeInstrumentor().instrument()  # the fixture uninstruments again


def test_content_only_when_captured_and_recording() -> None:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    CONTENT_CALLS.clear()
    exporter = InMemorySpanExporter()
    recording = TracerProvider()
    recording.add_span_processor(SimpleSpanProcessor(exporter))
    for provider, capture in ((TracerProvider(sampler=ALWAYS_OFF), True), (recording, False)):
        instrumentor = FakeInstrumentor()
        instrumentor.instrument(tracer_provider=provider, capture_content=capture)
        try:
            assert FakeClient().create(model="m1")["text"] == "hello"
        finally:
            instrumentor.uninstrument()
    assert CONTENT_CALLS == []  # sampled out, then capture off: never serialized
    (span,) = exporter.get_finished_spans()
    assert "fake.prompt" not in (span.attributes or {})


def test_content_attributes_set_after_start(telemetry: Any) -> None:
    exporter, _ = telemetry
    CONTENT_CALLS.clear()
    FakeClient().create(model="m1")
    assert CONTENT_CALLS == ["m1"]
    (span,) = exporter.get_finished_spans()
    assert span.attributes["fake.prompt"] == "m1"


class _FailingEnd(SimpleSpanProcessor):
    def on_end(self, span: Any) -> None:
        raise RuntimeError("span processor bug")


def test_a_failing_span_processor_never_replaces_the_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIOBS_OTEL_STRICT")  # production mode: log, don't raise
    provider = TracerProvider()
    provider.add_span_processor(_FailingEnd(InMemorySpanExporter()))
    instrumentor = FakeInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        assert FakeClient().create(model="m1")["text"] == "hello"
        assert list(FakeClient().create(model="m1", stream=True)) == ["a", "b", "c"]
        with pytest.raises(FakeError):  # the user's error, not ours
            FakeClient().create(model="m1", fail=True)
    finally:
        instrumentor.uninstrument()


def test_stream_span_is_current_while_the_stream_produces(telemetry: Any) -> None:
    """SDKs that send the request on the first next() get their HTTP spans nested."""
    exporter, _ = telemetry
    seen: list[Any] = []

    def producing() -> Iterator[str]:
        for item in ("a", "b"):
            seen.append(trace.get_current_span())
            yield item

    outside = trace.get_current_span()
    for _ in FakeClient().create(model="m1", items=producing()):
        assert trace.get_current_span() is outside  # never held across the user's code
    (span,) = exporter.get_finished_spans()
    assert [s.get_span_context().span_id for s in seen] == [span.context.span_id] * 2
