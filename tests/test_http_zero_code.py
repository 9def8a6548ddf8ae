"""Under ``opentelemetry-instrument``: the contrib HTTP instrumentors load from
their own entry points and our distro hands them our hooks (redaction, client
library), FastAPI apps get our server hook; nothing secret leaves the process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from _http_support import (
    SECRET_BEARER,
    SECRET_PASSWORD,
    SECRET_TOKEN,
    EchoServer,
    OtlpSpan,
    assert_no_secrets,
    decode_spans,
    echo_server,
    otlp_receiver,
)
from _zero_code_support import APPS, assert_clean_run, run_instrumented

APP = APPS / "http_zero_code_app.py"
CAPTURE_EVERY_HEADER = {
    f"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_{side}": ".*"
    for side in ("CLIENT_REQUEST", "CLIENT_RESPONSE", "SERVER_REQUEST", "SERVER_RESPONSE")
}
LIBRARIES = ["httpx", "httpx-async", "requests", "urllib"]


@pytest.fixture(scope="module")
def server() -> Iterator[EchoServer]:
    with echo_server() as running:
        yield running


def run_app(
    server: EchoServer, cwd: Path, **extra: str
) -> tuple[list[OtlpSpan], bytes, list[Path]]:
    with otlp_receiver() as (endpoint, received):
        env = {
            **CAPTURE_EVERY_HEADER,
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_METRICS_EXPORTER": "none",
            "AIOBS_HTTP_BODY_PREVIEW_CHARS": "300",
            "TARGET_URL": server.url,
            "TEST_TOKEN": SECRET_TOKEN,
            "TEST_BEARER": SECRET_BEARER,
            "TEST_PASSWORD": SECRET_PASSWORD,
            **extra,
        }
        result = run_instrumented(APP, cwd=cwd, env=env)
        assert_clean_run(result)
    payload = b"".join(body for _, body in received)
    return decode_spans(received), payload, sorted(cwd.glob("*.json"))


def clients(spans: list[OtlpSpan]) -> dict[str, OtlpSpan]:
    return {
        str(s.attributes["aiobs.http.client.library"]): s
        for s in spans
        if "aiobs.http.client.library" in s.attributes
    }


def test_every_client_and_fastapi_get_our_hooks(server: EchoServer, tmp_path: Path) -> None:
    spans, payload, files = run_app(server, tmp_path)
    by_library = clients(spans)
    assert sorted(by_library) == LIBRARIES
    for library, span in by_library.items():
        url = str(span.attributes.get("http.url") or span.attributes.get("url.full"))
        assert "token=[REDACTED]" in url, library
        assert span.attributes["http.request.header.authorization"] == ["[REDACTED]"]
        assert span.attributes["http.response.header.set_cookie"] == ["[REDACTED]"]
        preview = json.loads(str(span.attributes["aiobs.http.request.body.preview"]))
        assert preview == {"password": "[REDACTED]", "q": "hi"}
    [fastapi] = [s for s in spans if s.scope == "opentelemetry.instrumentation.fastapi"]
    assert fastapi.name == "GET /items/{item_id}"  # no per-message send/receive spans
    assert fastapi.attributes["user.id"] == "alice"
    assert fastapi.attributes["http.request.header.authorization"] == ["[REDACTED]"]
    assert_no_secrets(payload, "the OTLP payload")
    # HTTP spans are not events of the JSON export, and this app makes no LLM
    # call: a process that observed nothing writes no file.
    assert files == []


def test_disabled_instrumentations_stay_off(server: EchoServer, tmp_path: Path) -> None:
    spans, _, _ = run_app(
        server, tmp_path, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="requests,urllib,fastapi"
    )
    assert sorted(clients(spans)) == ["httpx", "httpx-async"]
    # the app calls instrument_asgi_app() itself: code asks, code gets
    [fastapi] = [s for s in spans if s.scope == "opentelemetry.instrumentation.fastapi"]
    assert fastapi.attributes["user.id"] == "alice"


def test_under_another_distro_urls_and_headers_are_still_redacted(
    server: EchoServer, tmp_path: Path
) -> None:
    # No distro of that name: OpenTelemetry falls back to its default distro,
    # which loads the instrumentors without our hooks; our processor remains.
    spans, payload, _ = run_app(
        server,
        tmp_path,
        OTEL_PYTHON_DISTRO="not-ours",
        # our distro's defaults are not applied either: say what it would have
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
    )
    http_spans = [s for s in spans if s.kind == 3]
    assert len(http_spans) == 4
    assert not clients(spans)  # no hooks: no client-library attribute
    for span in http_spans:
        assert "token=[REDACTED]" in str(span.attributes.get("http.url"))
        assert span.attributes["http.request.header.authorization"] == ["[REDACTED]"]
    assert_no_secrets(payload, "the OTLP payload")
