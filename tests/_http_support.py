"""Servers for the HTTP tests: an echo server that records what it received,
a port nothing listens on, uvicorn apps in a thread or a subprocess, and an
OTLP/HTTP receiver that can forward what it accepts (to Phoenix)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

SECRET_TOKEN = "tok-1b2c3d-not-for-spans"
SECRET_BEARER = "Bearer sk-bearer-9f8e7d-not-for-spans"
SECRET_PASSWORD = "pw-5a6b7c-not-for-spans"
SECRET_COOKIE = "sid-4d5e6f-not-for-spans"
SECRETS = (SECRET_TOKEN, SECRET_BEARER.split()[1], SECRET_PASSWORD, SECRET_COOKIE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class EchoServer:
    url: str
    received: list[Received] = field(default_factory=list)


class _EchoHandler(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log.append(Received(self.command, self.path, headers, body))  # type: ignore[attr-defined]
        if self.path.startswith("/slow"):
            time.sleep(2)
        payload = json.dumps({"ok": True, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Set-Cookie", f"session={SECRET_COOKIE}")
        self.send_header("X-Request-Id", "req-1")
        self.end_headers()
        # the client may have given up (timeout tests)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)

    do_GET = _reply
    do_POST = _reply

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def echo_server() -> Iterator[EchoServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    server.log = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield EchoServer(f"http://127.0.0.1:{server.server_address[1]}", server.log)  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connection refused at once."""
    return f"http://127.0.0.1:{free_port()}"


# --- uvicorn -------------------------------------------------------------------------
@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a thread; yield its URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class ServiceProcess:
    """``python <script>`` (an app serving itself with uvicorn) in a subprocess."""

    def __init__(self, script: Path, env: Mapping[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AIOBS_", "OPENAI_"))
        }
        full_env.update(env)
        full_env["SERVICE_PORT"] = str(self.port)
        full_env["AIOBS_OTEL_STRICT"] = "1"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(script)], env=full_env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, deadline_s: float = 60) -> None:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"service not ready:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# --- OTLP ----------------------------------------------------------------------------
class _OtlpHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.received.append((self.path, body))  # type: ignore[attr-defined]
        forward = self.server.forward_to  # type: ignore[attr-defined]
        if forward and self.path == "/v1/traces":
            request = urllib.request.Request(
                forward + self.path,
                data=body,
                headers={"Content-Type": "application/x-protobuf"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10):
                pass
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def otlp_receiver(forward_to: str | None = None) -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """An OTLP/HTTP receiver; with ``forward_to`` each trace batch is also
    posted there (a Phoenix base URL) after it was recorded."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpHandler)
    server.daemon_threads = True
    server.received = []  # type: ignore[attr-defined]
    server.forward_to = forward_to  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class OtlpSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    scope: str
    attributes: dict[str, Any]
    status_code: int


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def decode_spans(received: list[tuple[str, bytes]]) -> list[OtlpSpan]:
    spans: list[OtlpSpan] = []
    for path, body in received:
        if path != "/v1/traces":
            continue
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        OtlpSpan(
                            service=str(resource.get("service.name")),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            scope=scope_spans.scope.name,
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            status_code=span.status.code,
                        )
                    )
    return spans


def assert_no_secrets(text: str | bytes, where: str) -> None:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "backslashreplace")
    for secret in SECRETS:
        assert secret.encode() not in data, f"{secret!r} leaked into {where}"


@dataclass
class RawReply:
    status_code: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def raw_request(method: str, url: str, headers: Mapping[str, str] | None = None) -> RawReply:
    """A request made with http.client: no instrumentation sees it, so the only
    trace context the server receives is one a test puts in ``headers``."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, headers=dict(headers or {}))
        response = connection.getresponse()
        return RawReply(response.status, response.read())
    finally:
        connection.close()
