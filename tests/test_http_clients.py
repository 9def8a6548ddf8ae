"""Outbound HTTP spans from the contrib instrumentations with our hooks:
requests, httpx (sync and async) and urllib, under @observe, redacted."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from _http_support import (
    SECRET_BEARER,
    SECRET_PASSWORD,
    SECRET_TOKEN,
    EchoServer,
    assert_no_secrets,
    closed_port_url,
    echo_server,
)
from aiobs_otel import Observer, observe
from aiobs_otel.http import (
    REDACTED,
    ClientStatus,
    http_instrumentation_status,
    instrument_http,
    uninstrument_http,
)

CAPTURE_ALL = {
    "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST": ".*",
    "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE": ".*",
}
HEADERS = {"Authorization": SECRET_BEARER, "X-Trace-Me": "visible"}
BODY = {"password": SECRET_PASSWORD, "q": "hi"}


@pytest.fixture(scope="module")
def server() -> Iterator[EchoServer]:
    with echo_server() as running:
        yield running


@pytest.fixture
def instrumented(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ClientStatus]]:
    """All three clients, capturing every header (so redaction has work to do)."""
    for name, value in CAPTURE_ALL.items():
        monkeypatch.setenv(name, value)
    status = instrument_http(body_preview_chars=200)
    yield status
    uninstrument_http()
    instrument_http_settings_reset()


def instrument_http_settings_reset() -> None:
    from aiobs_otel.http import _hooks

    _hooks.SETTINGS.body_preview_chars = 0


def http_spans(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        s
        for s in spans.get_finished_spans()
        if s.instrumentation_scope and s.instrumentation_scope.name.startswith("opentelemetry.")
    ]


def url_of(span: ReadableSpan) -> str:
    attrs = span.attributes or {}
    return str(attrs.get("url.full") or attrs.get("http.url"))


# --- the clients, called the way users call them --------------------------------------
def call_requests(url: str) -> int:
    return requests.post(url, json=BODY, headers=HEADERS).status_code


def call_httpx(url: str) -> int:
    with httpx.Client() as client:
        return client.post(url, json=BODY, headers=HEADERS).status_code


def call_urllib(url: str) -> int:
    body = json.dumps(BODY).encode()
    request = urllib.request.Request(
        url, data=body, headers={**HEADERS, "Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        return int(reply.status)


async def call_httpx_async(url: str) -> int:
    async with httpx.AsyncClient() as client:
        reply = await client.post(url, json=BODY, headers=HEADERS)
        return reply.status_code


SYNC_CLIENTS: dict[str, Callable[[str], int]] = {
    "requests": call_requests,
    "httpx": call_httpx,
    "urllib": call_urllib,
}


def check_client_span(span: ReadableSpan, parent: ReadableSpan, library: str, mode: str) -> None:
    attrs = dict(span.attributes or {})
    assert span.kind is SpanKind.CLIENT
    assert span.parent is not None and span.parent.span_id == parent.context.span_id
    assert span.context.trace_id == parent.context.trace_id
    assert attrs["aiobs.http.client.library"] == library
    assert attrs["aiobs.http.call_mode"] == mode
    assert f"token={REDACTED}" in url_of(span) and "q=1" in url_of(span)
    assert attrs["http.request.header.authorization"] == (REDACTED,)
    assert attrs["http.request.header.x_trace_me"] == ("visible",)
    assert attrs["http.response.header.set_cookie"] == (REDACTED,)
    assert attrs["http.response.header.x_request_id"] == ("req-1",)
    preview = json.loads(str(attrs["aiobs.http.request.body.preview"]))
    assert preview == {"password": REDACTED, "q": "hi"}
    assert not any(k.startswith("gen_ai.") for k in attrs)
    assert_no_secrets(json.dumps(attrs, default=str), f"{library} span attributes")


@pytest.mark.parametrize("library", sorted(SYNC_CLIENTS))
def test_each_sync_client_is_a_child_of_a_sync_observe_function(
    library: str, server: EchoServer, instrumented: Any, spans: InMemorySpanExporter,
    observer: Observer,
) -> None:  # fmt: skip
    observer.observe(session_name="clients")
    call = SYNC_CLIENTS[library]

    @observe
    def fetch() -> int:
        return call(f"{server.url}/data?q=1&token={SECRET_TOKEN}")

    assert fetch() == 200
    [http_span] = http_spans(spans)
    [function] = [s for s in spans.get_finished_spans() if s.name == "fetch"]
    check_client_span(http_span, function, library, "sync")
    # the trace context went out with the request: the server saw this span as parent
    traceparent = server.received[-1].headers["traceparent"]
    assert traceparent.split("-")[2] == format(http_span.context.span_id, "016x")


@pytest.mark.parametrize("library", [*sorted(SYNC_CLIENTS), "httpx-async"])
async def test_each_client_is_a_child_of_an_async_observe_function(
    library: str, server: EchoServer, instrumented: Any, spans: InMemorySpanExporter,
    observer: Observer,
) -> None:  # fmt: skip
    observer.observe(session_name="clients-async")
    url = f"{server.url}/data?q=1&token={SECRET_TOKEN}"

    @observe
    async def fetch() -> int:
        if library == "httpx-async":
            return await call_httpx_async(url)
        return SYNC_CLIENTS[library](url)  # a sync client inside a coroutine still nests

    assert await fetch() == 200
    [http_span] = http_spans(spans)
    [function] = [s for s in spans.get_finished_spans() if s.name == "fetch"]
    mode = "async" if library == "httpx-async" else "sync"
    check_client_span(http_span, function, library, mode)


async def test_a_sync_client_in_a_worker_thread_nests_under_the_coroutine(
    server: EchoServer, instrumented: Any, spans: InMemorySpanExporter, observer: Observer
) -> None:
    observer.observe()

    @observe
    async def fetch() -> int:
        return await asyncio.to_thread(call_requests, f"{server.url}/x?q=1&token={SECRET_TOKEN}")

    assert await fetch() == 200
    [http_span] = http_spans(spans)
    [function] = [s for s in spans.get_finished_spans() if s.name == "fetch"]
    assert http_span.parent is not None and http_span.parent.span_id == function.context.span_id


def test_the_json_export_has_the_function_and_no_secret(
    server: EchoServer, instrumented: Any, observer: Observer, flush_json: Any
) -> None:
    observer.observe(session_name="export")

    @observe
    def fetch(url: str, password: str) -> int:
        return call_requests(url)

    fetch(f"{server.url}/d?q=1&token={SECRET_TOKEN}", password=SECRET_PASSWORD)
    document = flush_json()
    assert [e["name"] for e in document["function_events"]] == ["fetch"]
    assert document["events"] == []  # HTTP spans are not provider events
    # the URL is a positional string: the core records it as given; the
    # keyword named password is redacted by @observe.
    assert document["function_events"][0]["kwargs"]["password"] != SECRET_PASSWORD


def test_no_body_is_recorded_by_default(
    server: EchoServer, spans: InMemorySpanExporter, observer: Observer
) -> None:
    instrument_http()
    try:
        call_httpx(f"{server.url}/plain")
    finally:
        uninstrument_http()
    [span] = http_spans(spans)
    assert "aiobs.http.request.body.preview" not in (span.attributes or {})
    assert "http.request.header.authorization" not in (span.attributes or {})  # not captured


def test_status_reports_every_client_and_switching_off(instrumented: Any) -> None:
    status = http_instrumentation_status()
    assert set(status) == {"requests", "httpx", "httpx2", "urllib"}
    for entry in status.values():
        assert (entry.installed, entry.instrumented, entry.redacting, entry.missing) == (
            True, True, True, None,
        )  # fmt: skip
    uninstrument_http()
    assert not any(s.instrumented for s in http_instrumentation_status().values())


def test_instrumenting_twice_makes_one_span_per_call(
    server: EchoServer, instrumented: Any, spans: InMemorySpanExporter
) -> None:
    again = instrument_http()
    assert again == http_instrumentation_status()
    call_httpx(f"{server.url}/once")
    call_requests(f"{server.url}/once")
    assert len(http_spans(spans)) == 2


def test_a_client_instrumented_without_our_hooks_is_still_redacted(
    server: EchoServer, spans: InMemorySpanExporter
) -> None:
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    RequestsInstrumentor().instrument()  # before us, without hooks
    try:
        status = instrument_http(httpx=False, urllib=False)
        assert status["requests"].instrumented and not status["requests"].redacting
        call_requests(f"{server.url}/d?q=1&token={SECRET_TOKEN}")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{closed_port_url()}/x?token={SECRET_TOKEN}", timeout=2)
    finally:
        uninstrument_http()
        RequestsInstrumentor().uninstrument()
    ok, failed = http_spans(spans)
    assert f"token={REDACTED}" in url_of(ok)
    assert failed.status.status_code is StatusCode.ERROR
    assert_everything_redacted(failed)


def assert_everything_redacted(span: ReadableSpan) -> None:
    dumped = json.dumps(
        {
            "attributes": dict(span.attributes or {}),
            "events": [dict(e.attributes or {}) for e in span.events],
            "status": span.status.description,
        },
        default=str,
    )
    assert_no_secrets(dumped, f"span {span.name}")


# --- failures ----------------------------------------------------------------------
FAILING_CALLS: dict[str, Callable[[str], Any]] = {
    "requests": lambda url: requests.get(url, timeout=0.3),
    "httpx": lambda url: httpx.get(url, timeout=0.3),
    "urllib": lambda url: urllib.request.urlopen(url, timeout=0.3),
}


@pytest.mark.parametrize("library", sorted(FAILING_CALLS))
@pytest.mark.parametrize("failure", ["refused", "timeout"])
def test_a_failed_call_ends_its_spans_with_error_and_no_secret(
    library: str, failure: str, server: EchoServer, instrumented: Any,
    spans: InMemorySpanExporter, observer: Observer,
) -> None:  # fmt: skip
    observer.observe()
    base = closed_port_url() if failure == "refused" else f"{server.url}/slow"
    url = f"{base}/x?q=1&token={SECRET_TOKEN}"

    @observe
    def fetch() -> Any:
        return FAILING_CALLS[library](url)

    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        fetch()
    assert time.monotonic() - started < 1.5  # the client's timeout, not the server's 2 s
    # the client's own exception reaches the caller
    assert isinstance(raised.value, (requests.RequestException, httpx.HTTPError, OSError))
    [http_span] = http_spans(spans)
    [function] = [s for s in spans.get_finished_spans() if s.name == "fetch"]
    for span in (http_span, function):
        assert span.status.status_code is StatusCode.ERROR
        assert span.end_time is not None
    assert [e.name for e in http_span.events] == ["exception"]
    assert_everything_redacted(http_span)


def test_a_hook_that_fails_never_breaks_the_call(
    server: EchoServer, instrumented: Any, spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from aiobs_otel.http import _hooks

    def broken(span: Any, *args: Any) -> None:
        raise RuntimeError("hook bug")

    monkeypatch.setenv("AIOBS_OTEL_STRICT", "0")
    monkeypatch.setattr(_hooks, "protect_span", broken)
    monkeypatch.setattr(_hooks, "redact_span_attributes", broken)
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        assert call_requests(f"{server.url}/ok") == 200
        assert call_httpx(f"{server.url}/ok") == 200
        assert call_urllib(f"{server.url}/ok") == 200
    assert "your code still runs" in caplog.text
    assert len(http_spans(spans)) == 3


# --- provider SDK calls ---------------------------------------------------------------
def test_an_openai_call_is_one_llm_span_with_its_http_span_below(
    instrumented: Any, spans: InMemorySpanExporter, observer: Observer, flush_json: Any
) -> None:
    import openai

    from aiobs_otel.demo import StandIn
    from aiobs_otel.instrumentors.openai.chat import OpenAIChatInstrumentor

    instrumentor = OpenAIChatInstrumentor()
    instrumentor.instrument()
    try:
        with StandIn() as standin:
            observer.observe(session_name="llm")
            client = openai.OpenAI(base_url=standin.openai_base_url, api_key="sk-standin-secret")
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        instrumentor.uninstrument()
    finished = spans.get_finished_spans()
    llm = [s for s in finished if (s.attributes or {}).get("gen_ai.operation.name")]
    [http_span] = http_spans(spans)
    assert [s.name for s in llm] == ["chat gpt-4o-mini"]
    assert http_span.parent is not None and http_span.parent.span_id == llm[0].context.span_id
    assert http_span.attributes is not None
    assert not any(k.startswith("gen_ai.") for k in http_span.attributes)
    assert http_span.attributes["http.request.header.authorization"] == (REDACTED,)
    # openai 3.x sends with httpx2, older releases with httpx: both are traced
    assert http_span.attributes["aiobs.http.client.library"] in ("httpx", "httpx2")
    document = flush_json()
    assert [e["api"] for e in document["events"]] == ["chat.completions.create"]
    assert "sk-standin-secret" not in json.dumps(document)


def test_bad_settings_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="body_preview_chars"):
        instrument_http(body_preview_chars=-1)
