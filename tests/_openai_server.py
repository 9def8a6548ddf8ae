"""An OpenAI-compatible server on 127.0.0.1 (see openai_fixtures.py for the fixtures).

The server answers from a queue of scripted replies (JSON, an SSE stream or
an error) and keeps every request it got, so tests can check what the SDK
sent. It works with every supported openai release: the clients only get a
``base_url``, no transport of a particular httpx generation.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

API_KEY = "sk-test-secret-4f9a1c"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON body
    chunks: list[dict[str, Any]] | None = None  # SSE data events, then [DONE]


def completion(text: str = "Hello there!", **extra: Any) -> dict[str, Any]:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17,
                  "prompt_tokens_details": {"cached_tokens": 4},
                  "completion_tokens_details": {"reasoning_tokens": 2}},
    }  # fmt: skip
    body.update(extra)
    return body


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None,
          usage: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    out: dict[str, Any] = {
        "id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1700000000,
        "model": "gpt-4o-mini", "choices": choices,
    }  # fmt: skip
    if usage is not None:
        out["usage"] = usage
    return out


def text_chunks(*pieces: str, usage: bool = True) -> list[dict[str, Any]]:
    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": p}) for p in pieces]
    chunks.append(chunk({}, finish="stop"))
    if usage:
        chunks.append(chunk(None, usage={"prompt_tokens": 9, "completion_tokens": 3,
                                         "total_tokens": 12}))  # fmt: skip
    return chunks


def embeddings_body(count: int = 2, dim: int = 3) -> dict[str, Any]:
    data = [{"object": "embedding", "index": i, "embedding": [0.5 + i] * dim}
            for i in range(count)]  # fmt: skip
    return {"object": "list", "data": data, "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 7, "total_tokens": 7}}  # fmt: skip


def response_body(
    text: str = "It is sunny.", *, tool_call: bool = False, reasoning: bool = True
) -> dict[str, Any]:
    """A Responses API result: a reasoning summary, then a tool call or a message."""
    output: list[dict[str, Any]] = [{
        "id": "rs_1", "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "The user wants the weather."}],
    }] if reasoning else []  # fmt: skip
    if tool_call:
        output.append({"id": "fc_1", "type": "function_call", "call_id": "call_7",
                       "name": "get_weather", "arguments": '{"city": "Paris"}',
                       "status": "completed"})  # fmt: skip
    else:
        output.append(
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        )
    return {
        "id": "resp_1", "object": "response", "created_at": 1700000000, "status": "completed",
        "model": "gpt-4.1-mini-2025-04-14", "output": output, "parallel_tool_calls": True,
        "tool_choice": "auto", "tools": [], "error": None, "incomplete_details": None,
        "instructions": None, "metadata": {}, "temperature": 1.0, "top_p": 1.0,
        "usage": {"input_tokens": 20, "output_tokens": 8, "total_tokens": 28,
                  "input_tokens_details": {"cached_tokens": 5},
                  "output_tokens_details": {"reasoning_tokens": 3}},
    }  # fmt: skip


def response_events(*pieces: str, reasoning: bool = True) -> list[dict[str, Any]]:
    """A Responses API stream as the API sends it: created, the reasoning item,
    the message item with its text deltas, completed (with usage)."""
    text = "".join(pieces)
    final = response_body(text, reasoning=reasoning)
    *before, message = final["output"]
    index = len(before)
    started = {**final, "status": "in_progress", "output": [], "usage": None}
    empty = {**message, "status": "in_progress", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    where = {"item_id": message["id"], "output_index": index, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        *({"type": kind, "output_index": 0, "item": before[0]}
          for kind in ("response.output_item.added", "response.output_item.done") if before),
        {"type": "response.output_item.added", "output_index": index, "item": empty},
        {"type": "response.content_part.added", **where, "part": part},
        *({"type": "response.output_text.delta", **where, "delta": p, "logprobs": []}
          for p in pieces),
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": {**part, "text": text}},
        {"type": "response.output_item.done", "output_index": index, "item": message},
        {"type": "response.completed", "response": final},
    ]  # fmt: skip
    return [{**event, "sequence_number": n} for n, event in enumerate(events)]


def error_body(message: str, code: str = "bad_request") -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


@dataclass
class LoopbackServer:
    url: str
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def next_reply(self, path: str, body: dict[str, Any]) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        if path.endswith("/embeddings"):
            return Reply(body=embeddings_body())
        if path.endswith("/responses"):
            if body.get("stream"):
                return Reply(chunks=response_events("It is ", "sunny."))
            return Reply(body=response_body())
        if body.get("stream"):
            return Reply(chunks=text_chunks("Hel", "lo"))
        return Reply(body=completion())


def _handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(body)
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            reply = server.next_reply(self.path, body)
            self.send_response(reply.status)
            if reply.chunks is not None:
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                events = [f"data: {json.dumps(item)}\n\n" for item in reply.chunks]
                with contextlib.suppress(ConnectionError):  # a client that closed early
                    self.wfile.write("".join([*events, "data: [DONE]\n\n"]).encode())
                return
            payload = json.dumps(reply.body).encode()
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Telemetry:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def only_span(self) -> ReadableSpan:
        found = self.spans()
        assert len(found) == 1, [s.name for s in found]
        return found[0]

    def histogram(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        points: list[Any] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        points.extend(metric.data.data_points)
        return points


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert API_KEY not in text


def start_server() -> tuple[LoopbackServer, ThreadingHTTPServer]:
    server = LoopbackServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return server, httpd
