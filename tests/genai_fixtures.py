"""A loopback stand-in for the Gemini Developer API and Vertex AI, answering in
the JSON google-genai parses, and fixtures that point real clients at it."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google import genai
from google.genai import types
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from aiobs_otel.instrumentors.google_genai.content import GenAIGenerateContentInstrumentor
from aiobs_otel.instrumentors.google_genai.videos import GenAIGenerateVideosInstrumentor

API_KEY = "AIza-secret-test-key-0123456789"
ANSWER = ["Hello", " from", " Gemini"]
VIDEO_URI = "https://videos.example/v1/files/abc:download"
ERROR_MODEL = "no-such-model"
FAILING_VEO = "veo-fails"
POLLS_UNTIL_DONE = 2


def _usage() -> dict[str, int]:
    return {"promptTokenCount": 7, "candidatesTokenCount": 3, "totalTokenCount": 15,
            "cachedContentTokenCount": 2, "thoughtsTokenCount": 5}  # fmt: skip


def content_reply(text: str, finish: str | None = "STOP", usage: bool = True) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]},
                                 "index": 0}  # fmt: skip
    if finish:
        candidate["finishReason"] = finish
    reply: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.0-flash-001",
                             "responseId": "resp-123"}  # fmt: skip
    if usage:
        reply["usageMetadata"] = _usage()
    return reply


EMBEDDING_DIMENSIONS = 4


def embedding(index: int) -> list[float]:
    return [round(0.25 * (index + 1) + d / 10, 3) for d in range(EMBEDDING_DIMENSIONS)]


class GeminiStandIn(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.polls: dict[str, int] = {}
        self.ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def operation(self, name: str, vertex: bool) -> dict[str, Any]:
        self.polls[name] = self.polls.get(name, 0) + 1
        if self.polls[name] < POLLS_UNTIL_DONE:
            return {"name": name, "done": False}
        if FAILING_VEO in name:
            return {"name": name, "done": True,
                    "error": {"code": 3, "message": "prompt blocked"}}  # fmt: skip
        if vertex:
            videos = {"videos": [{"gcsUri": "gs://bucket/out.mp4", "mimeType": "video/mp4"}]}
            return {"name": name, "done": True, "response": videos}
        sample = {"video": {"uri": VIDEO_URI}}
        response = {"generateVideoResponse": {"generatedSamples": [sample]}}
        return {"name": name, "done": True, "response": response}


class _Handler(BaseHTTPRequestHandler):
    server: GeminiStandIn

    def log_message(self, *args: Any) -> None:
        return None

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        entry = {"method": self.command, "path": self.path, "body": body,
                 "headers": dict(self.headers)}  # fmt: skip
        self.server.requests.append(entry)
        return body

    def do_GET(self) -> None:
        self._record()
        name = self.path.split("?")[0].split("/", 2)[2]  # /v1beta/<operation name>
        self._send(200, self.server.operation(name, vertex=False))

    def do_POST(self) -> None:
        body = self._record()
        path = self.path.partition("?")[0]
        resource, _, method = path.rpartition(":")
        vertex = "/projects/" in resource
        model = resource.rsplit("/", 1)[-1]
        if ERROR_MODEL in model:
            self._send(400, {"error": {"code": 400, "message": "model not found",
                                       "status": "INVALID_ARGUMENT"}})  # fmt: skip
        elif method == "generateContent":
            self._send(200, content_reply("".join(ANSWER)))
        elif method == "streamGenerateContent":
            self._stream()
        elif method == "predictLongRunning":
            prefix = resource.split("/", 2)[2]  # drop /v1beta[1]/
            name = f"{prefix}/operations/op-{next(self.server.ids)}"
            self._send(200, {"name": name})
        elif method == "batchEmbedContents":  # the Developer API: one vector per request
            count = len(body.get("requests") or [])
            self._send(200, {"embeddings": [{"values": embedding(i)} for i in range(count)]})
        elif method == "predict":  # Vertex AI's embeddings: statistics per vector
            instances = body.get("instances") or []
            self._send(200, {
                "predictions": [{"embeddings": {"values": embedding(i),
                                                "statistics": {"token_count": 3 + i,
                                                               "truncated": False}}}
                                for i in range(len(instances))],
                "metadata": {"billableCharacterCount": 17},
            })  # fmt: skip
        elif method == "fetchPredictOperation":
            self._send(200, self.server.operation(body["operationName"], vertex=vertex))
        else:
            self._send(404, {"error": {"code": 404, "message": path, "status": "NOT_FOUND"}})

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for index, text in enumerate(ANSWER):
            last = index == len(ANSWER) - 1
            chunk = content_reply(text, finish="STOP" if last else None, usage=last)
            self.wfile.write(f"data: {json.dumps(chunk)}\r\n\r\n".encode())
            self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def standin() -> Iterator[GeminiStandIn]:
    server = GeminiStandIn()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def make_client(standin: GeminiStandIn, vertex: bool) -> genai.Client:
    options = types.HttpOptions(base_url=standin.base_url)
    if not vertex:
        return genai.Client(api_key=API_KEY, http_options=options)
    from google.oauth2.credentials import Credentials

    # A ready token: the SDK never goes to Google for auth.
    return genai.Client(vertexai=True, project="proj", location="us-central1",
                        credentials=Credentials(token="x"), http_options=options)  # fmt: skip


@pytest.fixture(params=["gemini", "vertex"])
def client(request: pytest.FixtureRequest, standin: GeminiStandIn) -> genai.Client:
    return make_client(standin, vertex=request.param == "vertex")


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def instrumented(
    tracer_provider: TracerProvider, metric_reader: InMemoryMetricReader
) -> Iterator[tuple[GenAIGenerateContentInstrumentor, GenAIGenerateVideosInstrumentor]]:
    meters = MeterProvider(metric_readers=[metric_reader])
    pair = (GenAIGenerateContentInstrumentor(), GenAIGenerateVideosInstrumentor())
    for instrumentor in pair:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meters)
    yield pair
    for instrumentor in pair:
        instrumentor.uninstrument()


def metric_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    out: dict[str, list[Any]] = {}
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


def no_secret(text: str) -> None:
    assert API_KEY not in text
