"""Shared fixtures: one SDK TracerProvider for the test process (as a real
application would have), spans read back from an in-memory exporter, and a
clean observer for every test."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

os.environ["AIOBS_OTEL_STRICT"] = "1"  # telemetry bugs raise in tests instead of being logged
# LANGFUSE_*: a developer's own keys would send the test suite's spans to Langfuse.
_PREFIXES = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "LANGFUSE_")
for _name in [n for n in os.environ if n.startswith(_PREFIXES)]:
    # AIOBS_REF_PYTHON: the interpreter with aiobs 0.2.0 (tests/test_aiobs_compat.py)
    if _name not in ("AIOBS_OTEL_STRICT", "AIOBS_REF_PYTHON"):
        del os.environ[_name]

from collections.abc import Callable, Iterator  # noqa: E402

import pytest  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

from aiobs_otel import Observer  # noqa: E402
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
def observer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Observer]:
    """The global observer, reset before and after, working in a temp dir."""
    monkeypatch.chdir(tmp_path)
    global_observer.reset()
    yield global_observer
    global_observer.reset()


@pytest.fixture
def flush_json(
    observer: Observer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., dict[str, Any]]:
    """Flush the observer to a file in the temp dir and return the parsed document.

    Every such flush writes the file as a stream (as large exports are
    written), and the file is checked against the whole document the same
    records make (what exporters that take the model get): the two ways of
    writing an export are compared on every test that uses this fixture."""
    from aiobs_otel.exporters import file as file_sink
    from aiobs_otel.exporters.encoding import json_bytes

    monkeypatch.setattr(file_sink, "PRETTY_EVENT_LIMIT", -1)
    export_payload = file_sink.FileExporter.export_payload

    def checked(sink: Any, payload: Any, **kwargs: Any) -> Any:
        result = export_payload(sink, payload, **kwargs)
        if payload.source is not None:
            streamed = json.loads(Path(sink.path).read_text(encoding="utf-8"))
            whole = json.loads(json_bytes(payload.source.document()))
            assert streamed == whole, "the streamed export differs from the document"
        return result

    monkeypatch.setattr(file_sink.FileExporter, "export_payload", checked)
    counter = iter(range(1_000_000))

    def flush(**kwargs: Any) -> dict[str, Any]:
        path = tmp_path / f"export-{next(counter)}.json"
        written = observer.flush(path=str(path), **kwargs)
        assert written == str(path)
        return dict(json.loads(path.read_text(encoding="utf-8")))

    return flush
