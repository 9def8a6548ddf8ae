"""Inbound requests: FastAPI, Starlette and bare ASGI apps served by uvicorn
on 127.0.0.1, traced by the contrib ASGI / FastAPI instrumentations with our
redaction and the on_request hook."""

from __future__ import annotations

import http.client
import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from _http_support import SECRET_BEARER, SECRET_TOKEN, assert_no_secrets, serve_in_thread
from aiobs_otel import Observer, observe
from aiobs_otel.demo import StandIn
from aiobs_otel.http import (
    REDACTED,
    LLMOpsASGIMiddleware,
    instrument_asgi_app,
    instrument_http,
    request_header,
    uninstrument_http,
)

REMOTE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
REMOTE_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{REMOTE_TRACE}-{REMOTE_SPAN}-01"
CAPTURE = {"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST": ".*"}


def who(scope: Mapping[str, Any]) -> dict[str, str] | None:
    user = request_header(scope, "x-user-id")
    return {"user.id": user} if user else None


@observe
def lookup(item_id: str) -> dict[str, str]:
    return {"item": item_id}


def make_fastapi(standin: StandIn) -> FastAPI:
    import openai

    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return lookup(item_id)

    @app.get("/sync/{item_id}")
    def sync_item(item_id: str) -> dict[str, str]:  # FastAPI runs it in a worker thread
        return lookup(item_id)

    @app.get("/llm")
    async def llm() -> dict[str, str]:
        client = openai.AsyncOpenAI(base_url=standin.openai_base_url, api_key="sk-asgi-test")
        reply = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        return {"text": reply.choices[0].message.content or ""}

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError(f"upstream http://127.0.0.1:9/x?token={SECRET_TOKEN} failed")

    return app


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn() as running:
        yield running


@pytest.fixture(scope="module")
def fastapi_url(standin: StandIn) -> Iterator[str]:
    from aiobs_otel.instrumentors.openai.chat import OpenAIChatInstrumentor

    with pytest.MonkeyPatch.context() as patch:
        for name, value in CAPTURE.items():
            patch.setenv(name, value)
        app = instrument_asgi_app(make_fastapi(standin), on_request=who)
        assert instrument_asgi_app(app, on_request=who) is app  # twice: nothing more
        OpenAIChatInstrumentor().instrument()
        instrument_http()
        try:
            with serve_in_thread(app) as url:
                yield url
        finally:
            uninstrument_http()
            OpenAIChatInstrumentor().uninstrument()


def wait_for(spans: InMemorySpanExporter, count: int) -> list[ReadableSpan]:
    """The server span ends just after the last body byte is sent: poll briefly."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        finished = list(spans.get_finished_spans())
        if len(finished) >= count and any(s.kind is SpanKind.SERVER for s in finished):
            return finished
        time.sleep(0.01)
    return list(spans.get_finished_spans())


def server_span(finished: list[ReadableSpan]) -> ReadableSpan:
    [span] = [s for s in finished if s.kind is SpanKind.SERVER]
    return span


@dataclass
class Reply:
    status_code: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def get(url: str, **headers: str) -> Reply:
    """A GET with http.client: no instrumentation sees it, so the only trace
    context the app receives is the one a test puts in ``headers``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read())
    finally:
        connection.close()


def test_a_request_is_a_server_span_continuing_the_callers_trace(
    fastapi_url: str, spans: InMemorySpanExporter, observer: Observer
) -> None:
    observer.observe(session_name="api")
    reply = get(
        f"{fastapi_url}/items/7?q=1&token={SECRET_TOKEN}",
        traceparent=TRACEPARENT,
        authorization=SECRET_BEARER,
        **{"x-user-id": "alice"},
    )
    assert reply.json() == {"item": "7"}
    finished = wait_for(spans, 2)
    server = server_span(finished)
    attrs = dict(server.attributes or {})
    assert server.name == "GET /items/{item_id}"
    assert server.parent is not None and server.parent.is_remote
    assert format(server.parent.span_id, "016x") == REMOTE_SPAN
    assert format(server.context.trace_id, "032x") == REMOTE_TRACE
    assert attrs["user.id"] == "alice"
    assert attrs["http.request.header.authorization"] == (REDACTED,)
    assert f"token={REDACTED}" in str(attrs.get("http.url") or attrs.get("url.query"))
    [function] = [s for s in finished if s.name == "lookup"]
    assert function.parent is not None and function.parent.span_id == server.context.span_id
    assert (function.attributes or {})["user.id"] == "alice"
    assert_no_secrets(json.dumps([dict(s.attributes or {}) for s in finished]), "spans")


def test_a_sync_handler_in_a_worker_thread_keeps_the_request_context(
    fastapi_url: str, spans: InMemorySpanExporter, observer: Observer
) -> None:
    observer.observe()
    assert get(f"{fastapi_url}/sync/3", **{"x-user-id": "bob"}).status_code == 200
    finished = wait_for(spans, 2)
    server = server_span(finished)
    [function] = [s for s in finished if s.name == "lookup"]
    assert function.parent is not None and function.parent.span_id == server.context.span_id
    assert (function.attributes or {})["user.id"] == "bob"
    assert server.parent is None  # no traceparent: a new trace


def test_an_llm_call_in_a_handler_nests_and_carries_the_request_attributes(
    fastapi_url: str, spans: InMemorySpanExporter, observer: Observer, flush_json: Any
) -> None:
    observer.observe(session_name="llm-api")
    assert get(f"{fastapi_url}/llm", **{"x-user-id": "carol"}).json()["text"]
    finished = wait_for(spans, 3)
    server = server_span(finished)
    [chat] = [s for s in finished if s.name == "chat gpt-4o-mini"]
    [http_out] = [s for s in finished if s.kind is SpanKind.CLIENT and s is not chat]
    assert chat.parent is not None and chat.parent.span_id == server.context.span_id
    assert http_out.parent is not None and http_out.parent.span_id == chat.context.span_id
    for span in (chat, http_out):
        assert (span.attributes or {})["user.id"] == "carol"
    [event] = flush_json()["events"]
    assert event["api"] == "chat.completions.create"


def test_a_failing_handler_marks_the_server_span_and_leaks_nothing(
    fastapi_url: str, spans: InMemorySpanExporter
) -> None:
    assert get(f"{fastapi_url}/boom").status_code == 500
    server = server_span(wait_for(spans, 1))
    assert server.status.status_code is StatusCode.ERROR
    dumped = json.dumps(
        [dict(e.attributes or {}) for e in server.events] + [server.status.description or ""]
    )
    assert "ValueError" in dumped
    assert_no_secrets(dumped, "server span events")


def test_on_request_failing_or_returning_junk_never_breaks_the_request(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(scope: Mapping[str, Any]) -> dict[str, str]:
        raise RuntimeError("user hook bug")

    def junk(scope: Mapping[str, Any]) -> Any:
        return {"ok": "yes", "bad": object()} if scope["path"] == "/a" else ["not", "a", "map"]

    async def hello(request: Any) -> JSONResponse:
        return JSONResponse({"hi": True})

    first = Starlette(routes=[Route("/a", hello), Route("/b", hello)])
    second = Starlette(routes=[Route("/a", hello)])
    instrument_asgi_app(first, on_request=junk)
    instrument_asgi_app(second, on_request=broken)
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        with serve_in_thread(first) as url:
            assert get(f"{url}/a").status_code == 200
            assert get(f"{url}/b").status_code == 200
        with serve_in_thread(second) as url:
            assert get(f"{url}/a").status_code == 200
    servers = [s for s in wait_for(spans, 3) if s.kind is SpanKind.SERVER]
    assert [s.name for s in servers] == ["GET /a", "GET /b", "GET /a"]
    assert (servers[0].attributes or {})["ok"] == "yes"
    assert "bad" not in (servers[0].attributes or {})
    assert "on_request raised" in caplog.text
    assert "not a mapping" in caplog.text


async def test_a_bare_asgi_app_is_wrapped(spans: InMemorySpanExporter) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    wrapped = instrument_asgi_app(app, on_request=lambda scope: {"tenant": "acme"})
    assert wrapped is not app
    with serve_in_thread(wrapped) as url:
        assert get(f"{url}/ping?api_key=k-{SECRET_TOKEN}").status_code == 204
    server = server_span(wait_for(spans, 1))
    assert (server.attributes or {})["tenant"] == "acme"
    assert_no_secrets(json.dumps(dict(server.attributes or {})), "server span")


def test_the_llmops_middleware_names_the_service(spans: InMemorySpanExporter) -> None:
    # llmops README, "ASGI Middleware (FastAPI Auto-Tracing)", import changed
    app = FastAPI()
    app.add_middleware(LLMOpsASGIMiddleware, service_name="my_api")

    @app.get("/")
    async def root() -> dict[str, str]:
        # Request is automatically traced
        return {"message": "Hello World"}

    with serve_in_thread(app) as url:
        assert get(f"{url}/").json() == {"message": "Hello World"}
    server = server_span(wait_for(spans, 1))
    assert server.name == "GET /"
    assert (server.attributes or {})["aiobs.service.name"] == "my_api"
    assert (server.attributes or {})["http.route"] == "/"


def test_resume_reads_the_request_fastapi_injects_when_nothing_else_traces_it(
    spans: InMemorySpanExporter, observer: Observer
) -> None:
    from aiobs_otel.http import resume_external_service

    observer.observe()
    # no instrumentation at all: FastAPI's own request tracing switched off too
    app = FastAPI(telemetry={"tracing": False, "operation_spans": False})

    @app.get("/profile/{user_id}")
    @resume_external_service()
    @observe
    async def get_profile(user_id: str) -> dict[str, str]:
        return {"name": "Alice", "id": user_id}

    with serve_in_thread(app) as url:
        reply = get(f"{url}/profile/123", traceparent=TRACEPARENT)
    assert reply.json() == {"name": "Alice", "id": "123"}
    [span] = [s for s in spans.get_finished_spans() if s.name == "get_profile"]
    assert span.parent is not None and span.parent.is_remote
    assert format(span.parent.span_id, "016x") == REMOTE_SPAN
    # the handler got its own arguments only; the request FastAPI injected was taken out
    assert json.loads(str((span.attributes or {})["aiobs.function.kwargs"])) == {"user_id": "123"}


def test_on_request_can_open_the_trace_context(
    standin: StandIn, spans: InMemorySpanExporter, observer: Observer
) -> None:
    """The documented hook: a user id from a header, tags and metadata, on every
    span of the request (the span-kinds issue's trace context)."""

    def context_of(scope: Mapping[str, Any]) -> dict[str, Any]:
        return {"user_id": request_header(scope, "x-user-id"), "session_id": "conv-9",
                "tags": ["web", "beta"], "metadata": {"channel": "api"}}  # fmt: skip

    async def handler(request: Any) -> JSONResponse:
        return JSONResponse(lookup("5"))

    app = instrument_asgi_app(Starlette(routes=[Route("/x", handler)]), on_request=context_of)
    observer.observe()
    with serve_in_thread(app) as url:
        assert get(f"{url}/x", **{"x-user-id": "dora"}).status_code == 200
        finished = wait_for(spans, 2)
    server = server_span(finished)
    [function] = [s for s in finished if s.name == "lookup"]
    for span in (server, function):
        attrs = dict(span.attributes or {})
        assert attrs["user.id"] == "dora"
        assert attrs["gen_ai.conversation.id"] == "conv-9"
        assert attrs["tag.tags"] == ("web", "beta")
        assert json.loads(str(attrs["metadata"])) == {"channel": "api"}
