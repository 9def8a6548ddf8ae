"""A provider stand-in: a tiny local HTTP server that speaks OpenAI and Gemini.

It lets the demo, the examples and the tests run the real ``openai`` and
``google-genai`` clients with no API key and no network: OpenAI chat
completions, embeddings and the Responses API; Gemini ``generate_content``,
``embed_content`` and Veo videos, on the Developer API and Vertex AI. Answers
are deterministic and in the providers' exact wire formats (the rules are in
``_openai``, ``_responses``, ``_gemini`` and ``_gemini_embed``; the routes in
``_routes``). Usage::

    from aiobs_otel.demo import StandIn

    with StandIn() as standin:
        client = openai.OpenAI(base_url=standin.openai_base_url, api_key="test")
        gemini = genai.Client(
            api_key="test", http_options=types.HttpOptions(base_url=standin.gemini_base_url)
        )
        # Vertex AI: project and location route requests to
        # /v1beta1/projects/P/locations/L/...; a static token skips Google auth.
        vertex = genai.Client(
            vertexai=True, project="demo", location="us-central1",
            credentials=static_google_credentials(),
            http_options=types.HttpOptions(base_url=standin.gemini_base_url),
        )

A model name containing ``error-NNN`` (``error-429``, ``gpt-4o-error-500``)
answers with HTTP status NNN and the provider's error body. Every request is
recorded in ``standin.requests`` for tests.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ._gemini import GeminiDialect
from ._reply import Ids, Reply
from ._routes import INVALID_JSON, Routes


@dataclass(frozen=True)
class LoggedRequest:
    """One request the stand-in received (headers lower-cased)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


def static_google_credentials(token: str = "test") -> Any:
    """Google credentials that never refresh: lets a Vertex AI ``genai.Client``
    (``vertexai=True`` with project and location) talk to the stand-in without
    Application Default Credentials. The token is sent as ``Authorization: Bearer``."""
    from google.oauth2.credentials import Credentials

    return Credentials(token=token)  # type: ignore[no-untyped-call]


class StandIn:
    """The stand-in server; a context manager, or ``start()`` / ``stop()``.

    ``video_polls``: how many polls of a video operation answer ``done: false``.
    ``chunk_delay``: seconds between streamed chunks (0 in tests; the demo uses
    a little so streams look like streams).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        video_polls: int = 2,
        chunk_delay: float = 0.0,
    ) -> None:
        self._host = host
        self._port = port
        self.video_polls = video_polls
        self.chunk_delay = chunk_delay
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> StandIn:
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        server.standin = self
        self._server = server
        self.ids = Ids()
        self.gemini = GeminiDialect(self.ids, video_polls=self.video_polls, base_url=self.url)
        self._routes = Routes(self.ids, self.gemini)
        self._thread = threading.Thread(
            target=server.serve_forever, name="aiobs-otel-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stand-in is not running: call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``openai.OpenAI(base_url=...)`` (or ``OPENAI_BASE_URL``)."""
        return f"{self.url}/v1"

    @property
    def gemini_base_url(self) -> str:
        """For ``google.genai.types.HttpOptions(base_url=...)`` (both APIs)."""
        return self.url

    # -- request log ---------------------------------------------------------------
    @property
    def requests(self) -> list[LoggedRequest]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def _record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._log.append(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StandIn

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    # Keep-alive connections would otherwise hold handler threads after stop().
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (or stop() closing a keep-alive connection) is
        # normal here; anything else is a stand-in bug worth printing.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``StandIn.requests``."""

    def _handle(self, method: str) -> None:
        standin = self.server.standin
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = INVALID_JSON
        standin._record(
            LoggedRequest(
                method=method,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=None if body is INVALID_JSON else body,
            )
        )
        reply = standin._routes.route(method, parts.path, body)
        try:
            if reply.events is not None:
                self._send_stream(reply, standin.chunk_delay)
            else:
                self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away mid-answer

    def _head(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("x-request-id", f"req_standin_{id(reply):x}")
        for name, value in reply.headers.items():
            self.send_header(name, value)

    def _send(self, reply: Reply) -> None:
        data = reply.encoded_body()
        self._head(reply)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, reply: Reply, delay: float) -> None:
        self._head(reply)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, frame in enumerate(reply.sse_frames()):
            if delay and index:
                time.sleep(delay)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
