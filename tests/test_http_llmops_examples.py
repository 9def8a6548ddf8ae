"""The llmops README's FastAPI and distributed-tracing examples, run with the
import changed to ours (tests/apps/llmops_*_example.py), served by uvicorn."""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from _http_support import EchoServer, echo_server, raw_request, serve_in_thread
from _zero_code_support import APPS
from aiobs_otel import Observer
from aiobs_otel.http import uninstrument_http


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.syspath_prepend(str(APPS))
    yield
    for name in ("llmops_fastapi_example", "llmops_distributed_example"):
        sys.modules.pop(name, None)
    uninstrument_http()


@pytest.fixture(scope="module")
def upstream() -> Iterator[EchoServer]:
    with echo_server() as server:
        yield server


def load(name: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return importlib.import_module(name)


def finished_when(spans: InMemorySpanExporter, *names: str) -> list[ReadableSpan]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        finished = list(spans.get_finished_spans())
        if set(names) <= {s.name for s in finished}:
            return finished
        time.sleep(0.01)
    raise AssertionError(f"spans {names} not all finished: {[s.name for s in finished]}")


def test_the_fastapi_integration_pattern(
    examples: None, upstream: EchoServer, monkeypatch: pytest.MonkeyPatch,
    spans: InMemorySpanExporter, observer: Observer, flush_json: Any,
) -> None:  # fmt: skip
    example = load("llmops_fastapi_example", monkeypatch, EXAMPLE_API=upstream.url)
    with serve_in_thread(example.app) as url:
        reply = raw_request("GET", f"{url}/proxy")
    assert reply.json() == {"status_code": 200}
    finished = finished_when(spans, "GET /proxy")
    by_kind = {s.kind: s for s in finished if s.name in ("GET /proxy", "GET")}
    server, outbound = by_kind[SpanKind.SERVER], by_kind[SpanKind.CLIENT]
    # outbound calls made by the route are children of the trace the route
    # opened (TraceManager.start_trace), which is a child of the request's span
    [opened] = [s for s in finished if s.name == "proxy_call"]
    assert opened.parent is not None and opened.parent.span_id == server.context.span_id
    assert outbound.parent is not None and outbound.parent.span_id == opened.context.span_id
    attributes = dict(outbound.attributes or {})
    assert attributes["aiobs.http.client.library"] == "httpx-async"
    assert "token=[REDACTED]" in str(attributes.get("http.url") or attributes.get("url.full"))
    assert "token=secret" not in json.dumps([dict(s.attributes or {}) for s in finished])
    assert upstream.received[-1].path == "/data?token=secret"  # the call itself is untouched
    # finalize_and_send ended the trace run, and with it the session it opened:
    # its export is written (./<session-id>.json), as llmops sends it
    [written] = [json.loads(p.read_text()) for p in Path.cwd().glob("*.json")]
    assert written["sessions"][0]["name"] == "proxy_call"


def test_the_distributed_tracing_end_to_end_example(
    examples: None, monkeypatch: pytest.MonkeyPatch, spans: InMemorySpanExporter,
    observer: Observer,
) -> None:  # fmt: skip
    monkeypatch.syspath_prepend(str(APPS))
    import llmops_distributed_example as example_for_child

    with serve_in_thread(example_for_child.user_service) as child_url:
        sys.modules.pop("llmops_distributed_example")
        example = load("llmops_distributed_example", monkeypatch, USER_SERVICE_URL=child_url)
        with serve_in_thread(example.app) as parent_url:
            reply = raw_request("POST", f"{parent_url}/generate?prompt=My+prompt")
    # "Result: a single trace ... parent spans + child spans merged together"
    assert reply.json() == {"result": {"name": "Alice", "tier": "premium"}}
    finished = list(spans.get_finished_spans())
    [external] = [s for s in finished if s.name == "user_service generate"]
    assert external.kind is SpanKind.CLIENT
    # Neither app is instrumented by the README's code; the child's server span
    # (FastAPI's own, since FastAPI 0.16x) continued the trace the parent sent
    # from its @track_external_service span: one trace across both services.
    [child] = [s for s in finished if s.name == "GET /profile/{user_id}"]
    assert child.parent is not None and child.parent.is_remote
    assert child.parent.span_id == external.context.span_id
    assert {s.context.trace_id for s in finished} == {external.context.trace_id}
