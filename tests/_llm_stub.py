"""A loopback stand-in for the OpenAI and Gemini HTTP APIs, for apps run in a
subprocess (the real SDK clients talk to it through their base-URL variables:
``OPENAI_BASE_URL``, ``GOOGLE_GEMINI_BASE_URL``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_ANSWER = "Hello from the stub."
GEMINI_ANSWER = "Hi from the Gemini stub."


def _chat(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": body.get("model", "unknown"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": CHAT_ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16},
    }


def _embeddings(body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    count = len(inputs) if isinstance(inputs, list) else 1
    return {
        "object": "list",
        "model": body.get("model", "unknown"),
        "data": [
            {"object": "embedding", "index": i, "embedding": [0.1, 0.2, 0.3, 0.4]}
            for i in range(count)
        ],
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }


def _generate_content(model: str) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": GEMINI_ANSWER}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 6, "totalTokenCount": 10},
        "modelVersion": model,
        "responseId": "gemini-stub-1",
    }


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        path = self.path.split("?", 1)[0]
        if path.endswith("/chat/completions"):
            self._send(_chat(body))
        elif path.endswith("/embeddings"):
            self._send(_embeddings(body))
        elif path.endswith(":generateContent"):
            model = path.rsplit("/", 1)[-1].split(":", 1)[0]
            self._send(_generate_content(model))
        else:
            self._send({"error": {"message": f"no stub for {path}"}}, status=404)

    def _send(self, payload: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return None


@contextmanager
def llm_stub() -> Iterator[str]:
    """Serve the stub on 127.0.0.1 (an ephemeral port); yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def llm_env(base_url: str) -> dict[str, str]:
    """What a plain app needs to reach the stub with the real SDK clients."""
    return {
        "OPENAI_BASE_URL": f"{base_url}/v1",
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "GOOGLE_GEMINI_BASE_URL": base_url,
        "GEMINI_API_KEY": "gemini-test-not-a-real-key",
    }


class _OtlpHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received: list[tuple[str, bytes]] = self.server.received  # type: ignore[attr-defined]
        received.append((self.path, self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def otlp_http_sink() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A bare OTLP/HTTP receiver: yields its endpoint and the (path, protobuf
    body) pairs it accepted."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpHandler)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
