"""The OpenTelemetry pipeline observe() sets up. OpenTelemetry's global provider
is set once per process, so each case runs in a fresh interpreter with a clean
environment (no AIOBS_* / OTEL_* variables but the ones the case sets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from _llm_stub import otlp_http_sink

PRELUDE = """
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from aiobs_otel import observer, observe

def processors(provider):
    return [type(p).__name__ for p in provider._active_span_processor._span_processors]

def exporters(provider):
    return [
        type(getattr(p, "span_exporter", None) or getattr(p, "exporter", None)).__name__
        for p in provider._active_span_processor._span_processors
    ]

def report(**values):
    print("RESULT " + json.dumps(values))
"""


def run_script(
    tmp_path: Path, body: str, env: dict[str, str] | None = None, name: str = "my_app.py"
) -> dict[str, Any]:
    script = tmp_path / name
    script.write_text(PRELUDE + textwrap.dedent(body))
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIOBS_", "OTEL_", "LLM_OBS_OUT", "PYTEST_"))
    }
    clean.update(env or {})
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(lines[0][len("RESULT ") :])
    result["stderr"] = done.stderr
    return result


def test_no_provider_builds_a_global_sdk_provider(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
        observer.observe(labels={"team": "ml"})
        provider = trace.get_tracer_provider()
        report(
            is_sdk=isinstance(provider, TracerProvider),
            same=provider is observer.tracer_provider,
            resource=dict(provider.resource.attributes),
            processors=processors(provider),
        )
        """,
        env={"AIOBS_LABEL_STAGE": "dev"},
    )
    assert result["is_sdk"] and result["same"]
    resource = result["resource"]
    assert resource["service.name"] == "my_app"  # the script's name
    assert resource["aiobs.label.team"] == "ml"
    assert resource["aiobs.label.stage"] == "dev"
    assert "aiobs.label.aiobs_sdk_version" in resource
    # our processors only stamp attributes on span start (sessions; the trace context)
    # and note usage on end: records reach the export buffer without an exporting processor
    assert result["processors"] == ["SessionSpanProcessor", "ContextSpanProcessor"]


def test_otel_service_name_wins(tmp_path: Path) -> None:
    body = """
        observer.observe()
        report(service=trace.get_tracer_provider().resource.attributes["service.name"])
        """
    assert run_script(tmp_path, body, env={"OTEL_SERVICE_NAME": "checkout"})["service"] == (
        "checkout"
    )
    from_attributes = run_script(
        tmp_path, body, env={"OTEL_RESOURCE_ATTRIBUTES": "service.name=billing,team=x"}
    )
    assert from_attributes["service"] == "billing"


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A bare OTLP/HTTP receiver on 127.0.0.1 (shared with the zero-code tests)."""
    with otlp_http_sink() as sink:
        yield sink


def test_otlp_endpoint_adds_a_batch_processor_that_sends(
    tmp_path: Path, collector: tuple[str, list[tuple[str, bytes]]]
) -> None:
    endpoint, received = collector
    result = run_script(
        tmp_path,
        """
        @observe
        def work():
            return 1

        observer.observe(labels={"team": "ml"})
        work()
        provider = trace.get_tracer_provider()
        flushed = provider.force_flush(10000)
        report(processors=processors(provider), exporters=exporters(provider), flushed=flushed)
        """,
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
    )
    assert "BatchSpanProcessor" in result["processors"]
    assert "OTLPSpanExporter" in result["exporters"]
    assert result["flushed"] is True
    traces = [body for path, body in received if path == "/v1/traces"]
    assert traces, f"no OTLP request arrived; got {[p for p, _ in received]}"
    request = ExportTraceServiceRequest()
    request.ParseFromString(traces[0])
    (resource_spans,) = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["aiobs.label.team"] == "ml"
    (span,) = [s for scope in resource_spans.scope_spans for s in scope.spans]
    attributes = {a.key: a.value.string_value for a in span.attributes}
    assert span.name == "work"
    assert attributes["aiobs.label.team"] == "ml"  # the trace's labels, on its root span
    assert attributes["session.id"]


def test_traces_endpoint_alone_is_enough(
    tmp_path: Path, collector: tuple[str, list[tuple[str, bytes]]]
) -> None:
    endpoint, received = collector
    result = run_script(
        tmp_path,
        """
        observer.observe()
        with trace.get_tracer("app").start_as_current_span("op"):
            pass
        provider = trace.get_tracer_provider()
        report(exporters=exporters(provider), flushed=provider.force_flush(10000))
        """,
        env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint + "/v1/traces"},
    )
    assert "OTLPSpanExporter" in result["exporters"] and result["flushed"]
    assert any(path == "/v1/traces" for path, _ in received)


def test_without_otlp_endpoint_nothing_is_exported_remotely(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        observer.observe()
        report(exporters=exporters(trace.get_tracer_provider()))
        """,
    )
    assert "OTLPSpanExporter" not in result["exporters"]


def test_existing_provider_is_attached_not_replaced(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        mine = TracerProvider(resource=Resource.create({"service.name": "mine"}))
        memory = InMemorySpanExporter()
        mine.add_span_processor(SimpleSpanProcessor(memory))
        trace.set_tracer_provider(mine)

        @observe
        def work():
            return 1

        session_id = observer.observe(labels={"team": "ml"})
        work()
        path = observer.flush(path="out.json")
        (span,) = memory.get_finished_spans()
        report(
            same=trace.get_tracer_provider() is mine and observer.tracer_provider is mine,
            service=mine.resource.attributes["service.name"],
            resource_labels=[k for k in mine.resource.attributes if k.startswith("aiobs.")],
            processors=processors(mine),
            span_session=span.attributes["session.id"] == session_id,
            events=len(json.load(open(path))["function_events"]),
        )
        """,
    )
    assert result["same"]
    assert result["service"] == "mine"
    assert result["resource_labels"] == []  # someone else's Resource is left alone
    assert result["processors"] == [
        "SimpleSpanProcessor",
        "SessionSpanProcessor",
        "ContextSpanProcessor",
    ]
    assert result["span_session"] and result["events"] == 1


def test_repeated_observe_and_reset_add_no_processors(
    tmp_path: Path, collector: tuple[str, list[tuple[str, bytes]]]
) -> None:
    endpoint, _ = collector
    result = run_script(
        tmp_path,
        """
        from aiobs_otel import Observer

        observer.observe()
        provider = trace.get_tracer_provider()
        first = processors(provider)
        for _ in range(5):
            observer.reset()
            observer.observe()
            observer.observe()
            observer.flush(path="out.json")
        report(
            first=first,
            after=processors(provider),
            same=trace.get_tracer_provider() is provider,
        )
        """,
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
    )
    assert result["first"] == result["after"]
    assert result["after"].count("BatchSpanProcessor") == 1
    assert result["after"].count("SessionSpanProcessor") == 1
    assert result["after"].count("ContextSpanProcessor") == 1
    assert result["same"]


def test_non_sdk_global_provider_warns_and_still_writes_sessions(tmp_path: Path) -> None:
    result = run_script(
        tmp_path,
        """
        import logging
        logging.basicConfig()
        from opentelemetry.trace import NoOpTracerProvider

        trace.set_tracer_provider(NoOpTracerProvider())

        @observe
        def work():
            return 1

        session_id = observer.observe()
        assert work() == 1
        document = json.load(open(observer.flush(path="out.json")))
        report(sessions=[s["id"] for s in document["sessions"]], session_id=session_id)
        """,
    )
    assert result["sessions"] == [result["session_id"]]
    assert "not the OpenTelemetry SDK's" in result["stderr"]
