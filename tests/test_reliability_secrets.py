"""Issue 17, failure 5: secrets reach neither the JSON export nor OTLP.

Servers that answer 401 quoting the key they were sent (OpenAI and Gemini
both do), an ``@observe`` function whose error quotes a URL with
``?token=...`` (httpx's ``HTTPStatusError``) or a ``Bearer`` credential, and
secret-named arguments: none of the secrets is in the file or in any OTLP
request (a real OTLP/HTTP exporter to a loopback receiver), and every error
is still recorded, with the secret replaced."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from _llm_stub import otlp_http_sink
from _reliability_support import load, run_python, write_script

OPENAI_KEY = "sk-proj-leaky-0123456789abcdef"
GEMINI_KEY = "AIzaSyLeaky-0123456789abcdef"
QUERY_TOKEN = "qt-leaky-0123456789"
BEARER = "br-leaky-0123456789abcdef"
GITHUB_TOKEN = "ghp_leaky0123456789abcdef"
SECRETS = (OPENAI_KEY, GEMINI_KEY, QUERY_TOKEN, BEARER, GITHUB_TOKEN)


class _Leaky(BaseHTTPRequestHandler):
    """Answers 401 quoting the credential it got, as the real APIs do."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = 401
        if self.path.startswith("/echo/"):  # a 200 whose answer quotes the key
            key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
                    "model": "gpt-4o-mini", "choices": [{"index": 0, "finish_reason": "stop",
                    "message": {"role": "assistant", "content": f"You sent {key}."}}]}  # fmt: skip
            status = 200
        elif self.path.endswith("/chat/completions"):
            key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            message = (f"Incorrect API key provided: {key}. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.")  # fmt: skip
            body = {"error": {"message": message, "type": "invalid_request_error",
                              "code": "invalid_api_key"}}  # fmt: skip
        else:  # Gemini's generateContent
            key = self.headers.get("x-goog-api-key") or ""
            body = {"error": {"code": 401, "message": f"API key not valid: {key}.",
                              "status": "UNAUTHENTICATED"}}  # fmt: skip
        self._send(status, json.dumps(body).encode())

    def do_GET(self) -> None:
        self._send(401, b"unauthorized")

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def leaky_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Leaky)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


APP = f"""
    import os
    import httpx, openai
    from google import genai
    from aiobs_otel import observer, observe

    BASE = os.environ["LEAKY_URL"]
    observer.observe(session_name="secrets")

    @observe
    def ask_openai():
        client = openai.OpenAI(base_url=BASE + "/v1", api_key={OPENAI_KEY!r}, max_retries=0)
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}])

    @observe
    def ask_echo():
        client = openai.OpenAI(base_url=BASE + "/echo/v1", api_key={OPENAI_KEY!r})
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}])

    @observe
    def ask_gemini():
        client = genai.Client(api_key={GEMINI_KEY!r}, http_options={{"base_url": BASE}})
        return client.models.generate_content(model="gemini-2.0-flash", contents="hi")

    @observe
    def fetch_items(github_token):
        reply = httpx.get(BASE + "/items?token={QUERY_TOKEN}&page=2",
                          headers={{"Authorization": "Bearer {BEARER}"}})
        reply.raise_for_status()

    @observe
    def refused():
        raise PermissionError("the proxy refused Authorization: Bearer {BEARER}")

    ask_echo()
    for call in (ask_openai, ask_gemini, lambda: fetch_items(github_token={GITHUB_TOKEN!r}),
                 refused):
        try:
            call()
        except Exception as error:
            print("FAILED=" + type(error).__name__)
    print(f"FLUSHED={{observer.flush()}}")
"""


def _otlp_events(bodies: list[tuple[str, bytes]]) -> dict[str, list[dict[str, str]]]:
    """Span name -> its exception events' attributes, from what the receiver got."""
    found: dict[str, list[dict[str, str]]] = {}
    for path, body in bodies:
        if path != "/v1/traces":
            continue
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    found.setdefault(span.name, []).extend(
                        {a.key: a.value.string_value for a in event.attributes}
                        for event in span.events if event.name == "exception"
                    )  # fmt: skip
    return found


def test_no_secret_in_the_export_nor_in_otlp(tmp_path: Path, leaky_server: str) -> None:
    script = write_script(tmp_path / "src", APP)
    with otlp_http_sink() as (endpoint, received):
        env = {"LEAKY_URL": leaky_server, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        run = run_python(script, cwd=tmp_path, env=env)
        bodies = list(received)
    assert run.result.returncode == 0, run.detail()
    assert run.stdout.count("FAILED=") == 4, run.detail()
    export = tmp_path / run.marker("FLUSHED")
    text = export.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert secret not in text, secret
        assert all(secret.encode() not in body for _, body in bodies), secret
        assert secret not in run.stderr, secret

    # the errors are all there, with the secrets replaced
    document = load(export)
    errors = {event["api"]: event["error"] for event in document["events"] if event["error"]}
    (echo,) = [event for event in document["events"] if event["response"]]
    assert echo["response"]["text"] == "You sent <redacted>."
    assert "AuthenticationError: Error code: 401" in errors["chat.completions.create"]
    assert "Incorrect API key provided: <redacted>." in errors["chat.completions.create"]
    assert "API key not valid: <redacted>." in errors["models.generate_content"]
    functions = {event["name"]: event for event in document["function_events"]}
    assert "Incorrect API key provided: <redacted>." in functions["ask_openai"]["error"]
    assert "API key not valid: <redacted>." in functions["ask_gemini"]["error"]
    fetch = functions["fetch_items"]
    assert "/items?token=[REDACTED]&page=2" in fetch["error"]
    assert fetch["kwargs"] == {"github_token": "<redacted>"}
    assert functions["refused"]["error"] == (
        "PermissionError: the proxy refused Authorization: Bearer [REDACTED]"
    )
    events = _otlp_events(bodies)
    (openai_error,) = events["chat gpt-4o-mini"]
    assert "Incorrect API key provided: <redacted>." in openai_error["exception.message"]
    assert "<redacted>" in openai_error["exception.stacktrace"]
    (gemini_error,) = events["generate_content gemini-2.0-flash"]
    assert "API key not valid: <redacted>." in gemini_error["exception.message"]
    (fetch_error,) = events["fetch_items"]
    assert "token=[REDACTED]" in fetch_error["exception.message"]
    assert fetch_error["exception.type"] == "httpx.HTTPStatusError"
