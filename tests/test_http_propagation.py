"""One trace across services: get_injected_headers, continue_trace,
@resume_external_service and @track_external_service on the W3C propagators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import baggage, context, trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from _http_support import SECRET_TOKEN, EchoServer, assert_no_secrets, closed_port_url, echo_server
from aiobs_otel import Observer, observe
from aiobs_otel.http import (
    continue_trace,
    get_injected_headers,
    instrument_http,
    resume_external_service,
    track_external_service,
    uninstrument_http,
)

REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
REMOTE_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{REMOTE_TRACE}-{REMOTE_SPAN}-01"
tracer = trace.get_tracer("tests.propagation")


@pytest.fixture(scope="module")
def server() -> Iterator[EchoServer]:
    with echo_server() as running:
        yield running


def hex_ids(span: Any) -> tuple[str, str]:
    context = span.get_span_context() if hasattr(span, "get_span_context") else span.context
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def named_parent(traceparent: str) -> tuple[str, str]:
    """(trace id, parent span id) of a W3C traceparent (flags vary: sampled, random)."""
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert version == "00"
    return trace_id, span_id


# --- get_injected_headers --------------------------------------------------------------
def test_outside_any_span_no_trace_headers_are_injected() -> None:
    assert get_injected_headers() == {}
    assert get_injected_headers({"Accept": "json"}) == {"Accept": "json"}


def test_the_current_span_is_the_parent_named_in_traceparent() -> None:
    with tracer.start_as_current_span("caller") as span:
        headers = get_injected_headers({"Accept": "json"})
    assert set(headers) == {"Accept", "traceparent"}
    assert named_parent(headers["traceparent"]) == hex_ids(span)


def test_baggage_travels_with_the_trace() -> None:
    token = context.attach(baggage.set_baggage("tenant", "acme"))
    try:
        with tracer.start_as_current_span("caller"):
            headers = get_injected_headers()
    finally:
        context.detach(token)
    assert headers["baggage"] == "tenant=acme"


# --- continue_trace ------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {"traceparent": TRACEPARENT},
        {"Traceparent": TRACEPARENT, "Other": "x"},  # any case
        [(b"traceparent", TRACEPARENT.encode())],  # ASGI's raw pairs
    ],
)
def test_spans_in_a_continued_trace_have_the_remote_parent(
    headers: Any, spans: InMemorySpanExporter
) -> None:
    with continue_trace(headers) as remote:
        assert remote is not None and remote.is_remote
        with tracer.start_as_current_span("consumer"):
            pass
    [span] = spans.get_finished_spans()
    assert span.parent is not None and span.parent.is_remote
    assert (format(span.context.trace_id, "032x"), format(span.parent.span_id, "016x")) == (
        REMOTE_TRACE,
        REMOTE_SPAN,
    )
    assert not trace.get_current_span().get_span_context().is_valid  # detached after


@pytest.mark.parametrize("headers", [None, {}, {"traceparent": "garbage"}])
def test_headers_without_a_trace_change_nothing(headers: Any, spans: InMemorySpanExporter) -> None:
    with continue_trace(headers) as remote:
        assert remote is None
        with tracer.start_as_current_span("alone"):
            pass
    [span] = spans.get_finished_spans()
    assert span.parent is None


def test_inside_the_same_trace_the_current_span_stays_the_parent(
    spans: InMemorySpanExporter,
) -> None:
    with tracer.start_as_current_span("server") as server_span:
        headers = get_injected_headers()
        with continue_trace(headers), tracer.start_as_current_span("handler"):
            pass
    handler = next(s for s in spans.get_finished_spans() if s.name == "handler")
    assert handler.parent is not None
    assert handler.parent.span_id == server_span.get_span_context().span_id
    assert not handler.parent.is_remote


# --- @resume_external_service ----------------------------------------------------------
class Message:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers


@resume_external_service()
@observe
def consume_headers(body: str, headers: dict[str, str]) -> str:
    return body.upper()


@resume_external_service()
@observe
def consume_object(message: Message) -> str:
    return "done"


@resume_external_service(headers="envelope")
@observe
def consume_named(envelope: dict[str, Any]) -> str:
    return "named"


@resume_external_service(headers=lambda record: record["attributes"])
@observe
async def consume_async(record: dict[str, Any]) -> str:
    return "async"


async def test_resume_finds_the_headers_where_the_consumer_has_them(
    spans: InMemorySpanExporter, observer: Observer
) -> None:
    observer.observe()
    assert consume_headers("a", headers={"traceparent": TRACEPARENT}) == "A"
    assert consume_object(Message({"traceparent": TRACEPARENT})) == "done"
    assert consume_named({"traceparent": TRACEPARENT, "body": 1}) == "named"
    assert await consume_async({"attributes": {"traceparent": TRACEPARENT}}) == "async"
    finished = spans.get_finished_spans()
    assert [s.name for s in finished] == [
        "consume_headers", "consume_object", "consume_named", "consume_async",
    ]  # fmt: skip
    for span in finished:
        assert format(span.context.trace_id, "032x") == REMOTE_TRACE
        assert span.parent is not None and span.parent.is_remote
        assert format(span.parent.span_id, "016x") == REMOTE_SPAN


def test_resume_without_headers_runs_the_function_as_it_is(spans: InMemorySpanExporter) -> None:
    assert consume_headers("b", headers={}) == "B"
    assert consume_object(Message({})) == "done"


def test_resume_keeps_the_signature_for_frameworks() -> None:
    import inspect

    assert list(inspect.signature(consume_headers).parameters) == ["body", "headers"]
    assert inspect.iscoroutinefunction(consume_async)


# --- @track_external_service ----------------------------------------------------------
@track_external_service(service_name="user_service", transport="http")
def fetch_profile(url: str) -> dict[str, Any]:
    headers = get_injected_headers()
    return dict(httpx.get(url, headers=headers, timeout=2).json())


@track_external_service(service_name="user_service")
async def fetch_profile_async(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        reply = await client.get(url, headers=get_injected_headers(), timeout=2)
        return dict(reply.json())


def test_the_downstream_call_is_a_client_span_named_in_the_headers(
    server: EchoServer, spans: InMemorySpanExporter
) -> None:
    assert fetch_profile(f"{server.url}/profile/1")["ok"] is True
    [span] = spans.get_finished_spans()
    assert span.name == "user_service fetch_profile"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes or {}) == {
        "peer.service": "user_service",
        "aiobs.external.transport": "http",
        "code.function.name": "fetch_profile",
    }
    assert named_parent(server.received[-1].headers["traceparent"]) == hex_ids(span)


async def test_with_httpx_instrumented_the_http_span_is_the_downstream_parent(
    server: EchoServer, spans: InMemorySpanExporter, observer: Observer
) -> None:
    observer.observe()
    instrument_http()
    try:

        @observe
        async def handler() -> dict[str, Any]:
            return await fetch_profile_async(f"{server.url}/profile/2")

        await handler()
    finally:
        uninstrument_http()
    by_name = {s.name: s for s in spans.get_finished_spans()}
    external, http_span = by_name["user_service fetch_profile_async"], by_name["GET"]
    assert external.parent is not None
    assert external.parent.span_id == by_name["handler"].context.span_id
    assert http_span.parent is not None and http_span.parent.span_id == external.context.span_id
    assert named_parent(server.received[-1].headers["traceparent"]) == hex_ids(http_span)


@pytest.mark.parametrize("failure", ["refused", "timeout"])
def test_a_downstream_failure_ends_the_span_with_error(
    failure: str, server: EchoServer, spans: InMemorySpanExporter
) -> None:
    url = closed_port_url() if failure == "refused" else f"{server.url}/slow"

    @track_external_service(service_name="flaky")
    def call() -> Any:
        return httpx.get(f"{url}?token={SECRET_TOKEN}", timeout=0.3)

    with pytest.raises(httpx.HTTPError) as raised:
        call()
    [span] = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == type(raised.value).__qualname__
    assert [e.name for e in span.events] == ["exception"]
    assert_no_secrets(json.dumps([dict(e.attributes or {}) for e in span.events]), "events")
