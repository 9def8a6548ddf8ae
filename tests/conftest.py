"""Shared fixtures: one SDK TracerProvider for the test process (as a real
application would have), spans read back from an in-memory exporter, and a
clean observer for every test."""

from __future__ import annotations

import os

os.environ["AIOBS_OTEL_STRICT"] = "1"  # telemetry bugs raise in tests instead of being logged
for _name in [n for n in os.environ if n.startswith(("AIOBS_", "OTEL_", "LLM_OBS_OUT"))]:
    if _name != "AIOBS_OTEL_STRICT":
        del os.environ[_name]

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

from aiobs_otel import observer as global_observer  # noqa: E402

_memory = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(_memory))
trace.set_tracer_provider(_provider)


@pytest.fixture
def tracer_provider() -> TracerProvider:
    """The process-wide SDK provider (set once; never replaced)."""
    return _provider


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Finished spans of this test, in memory."""
    _memory.clear()
    yield _memory
    _memory.clear()


@pytest.fixture
def observer(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The global observer, reset before and after, working in a temp dir."""
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    global_observer.reset()
    yield global_observer
    global_observer.reset()
