"""A Langfuse stand-in for tests: an OTLP/HTTP receiver on 127.0.0.1 (plain or
TLS with a self-signed certificate made here), and Langfuse's reading of a span.

``langfuse_view`` applies the precedence Langfuse's OTLP ingestion documents and
implements (its property mapping): which attribute becomes a trace's name, user,
session, tags, environment, an observation's type and input. It is a model of
that mapping for assertions, kept to the fields these tests look at.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACES_PATH = "/api/public/otel/v1/traces"
# Variables a subprocess must not inherit from the developer's shell or from pytest.
_INHERITED = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "LANGFUSE_", "LLMOPS_", "OPENAI_", "AWS_SQS")
_INHERITED_NAMES = ("ENV", "PROJECT_ID", "MODEL_ID", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    spans: list[dict[str, Any]]


@dataclass
class Receiver:
    """What Langfuse would have been sent. ``delay``: seconds to wait before answering."""

    delay: float = 0.0
    tls: tuple[Path, Path] | None = None  # (certificate, key)
    requests: list[Received] = field(default_factory=list)
    handshake_failures: int = 0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if receiver.delay:
                    time.sleep(receiver.delay)
                if self.path != TRACES_PATH:
                    self.send_response(404)
                    self.end_headers()
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(self.path, headers, decode(request)))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                receiver.handshake_failures += 1  # a client that refused our certificate

        self._server = Server(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)  # fmt: skip
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def spans(self) -> list[dict[str, Any]]:
        return [span for request in self.requests for span in request.spans]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def decode(request: ExportTraceServiceRequest) -> list[dict[str, Any]]:
    out = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                out.append({
                    "name": span.name,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex() or None,
                    "scope": scope_spans.scope.name,
                    "attributes": _attributes(span.attributes),
                    "resource": resource,
                })  # fmt: skip
    return out


def _first(span: dict[str, Any], *keys: str, resource: bool = False) -> Any:
    for key in keys:
        if span["attributes"].get(key):
            return span["attributes"][key]
        if resource and span["resource"].get(key):
            return span["resource"][key]
    return None


_OPENINFERENCE = {"CHAIN": "CHAIN", "RETRIEVER": "RETRIEVER", "LLM": "GENERATION",
                  "EMBEDDING": "EMBEDDING", "AGENT": "AGENT", "TOOL": "TOOL",
                  "EVALUATOR": "EVALUATOR"}  # fmt: skip
_GEN_AI = {"chat": "GENERATION", "text_completion": "GENERATION", "generate_content":
           "GENERATION", "embeddings": "EMBEDDING", "invoke_agent": "AGENT",
           "execute_tool": "TOOL"}  # fmt: skip


def langfuse_view(span: dict[str, Any]) -> dict[str, Any]:
    """The Langfuse fields of one span, by Langfuse's precedence."""
    attributes = span["attributes"]
    kind = (_OPENINFERENCE.get(attributes.get("openinference.span.kind", ""))
            or _GEN_AI.get(attributes.get("gen_ai.operation.name", "")))  # fmt: skip
    if kind is None and attributes.get("gen_ai.tool.name"):
        kind = "TOOL"
    if kind is None and _first(span, "gen_ai.request.model", "gen_ai.response.model"):
        kind = "GENERATION"
    tags = _first(span, "langfuse.trace.tags", "tag.tags")
    return {
        "trace_name": attributes.get("langfuse.trace.name")
        or (span["name"] if span["parent_span_id"] is None else None),
        "user_id": _first(span, "langfuse.user.id", "user.id"),
        "session_id": _first(span, "langfuse.session.id", "session.id", "gen_ai.conversation.id"),
        "tags": list(tags) if tags else [],
        "environment": _first(span, "langfuse.environment", "deployment.environment.name",
                              "deployment.environment", resource=True) or "default",
        "type": kind or "SPAN",
        "model": _first(span, "gen_ai.response.model", "gen_ai.request.model"),
        "input": _first(span, "langfuse.observation.input", "input.value", "gen_ai.input.messages"),
        "output": _first(span, "langfuse.observation.output", "output.value",
                         "gen_ai.output.messages"),
    }  # fmt: skip


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA (so it can be trusted alone)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([loopback]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "langfuse-cert.pem", directory / "langfuse-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cwd: Path

    def exports(self) -> list[str]:
        """The text of every JSON export the program wrote."""
        return [p.read_text(encoding="utf-8") for p in sorted(self.cwd.glob("*.json"))]


def run_program(source: str, cwd: Path, env: dict[str, str], *, launcher: str | None = None,
                timeout: float = 60) -> Run:  # fmt: skip
    """``source`` as a fresh Python process in ``cwd``, configured by ``env`` only."""
    cwd.mkdir(parents=True, exist_ok=True)
    script = cwd / "program.py"
    script.write_text(source, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(_INHERITED) and k not in _INHERITED_NAMES}  # fmt: skip
    clean.update(AIOBS_OTEL_STRICT="1", PYTHONUNBUFFERED="1", **env)
    command = [sys.executable, str(script)]
    if launcher:
        command.insert(0, str(Path(sys.executable).with_name(launcher)))
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, env=clean, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started, cwd)


def run_programs(*programs: dict[str, Any]) -> list[Run]:
    """Several ``run_program(**kwargs)`` at once (each its own process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(programs)) as pool:
        return list(pool.map(lambda kwargs: run_program(**kwargs), programs))


def describe(run: Run) -> str:
    head = f"exit {run.returncode} after {run.seconds:.1f}s"
    return f"{head}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"


def all_text(receiver: Receiver) -> str:
    """Every attribute value Langfuse received, as one string (for secret checks)."""
    return json.dumps([request.spans for request in receiver.requests], default=str)
