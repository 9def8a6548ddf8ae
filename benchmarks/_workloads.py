"""The benchmark workloads: real ``openai`` / ``google-genai`` clients whose
HTTP client runs on an in-process mock transport, so a call costs exactly
what the SDK (and any instrumentation) costs, with no network and no server.

Response bodies are built once: the transport only hands back bytes.
"""

from __future__ import annotations

import base64
import importlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

CHAT_MODEL = "gpt-4o-mini"
EMBED_MODEL = "text-embedding-3-small"
GEMINI_MODEL = "gemini-2.5-flash"
STREAM_CHUNKS = 200
EMBED_DIMENSIONS = 1536
GEMINI_EMBED_MODEL = "gemini-embedding-001"
GEMINI_EMBED_DIMENSIONS = 768
EMBED_TEXTS = ["What is an API?", "Why version an API?", "What breaks clients?"]

MESSAGES = [
    {"role": "system", "content": "You are a concise research assistant."},
    {"role": "user", "content": "In two sentences, what is an API and why do teams version them?"},
]
ANSWER = (
    "An API is a contract that lets one program use another's capabilities through a "
    "defined interface. Teams version APIs so they can evolve them without breaking clients."
)


def _chat_body() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": CHAT_MODEL + "-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": ANSWER},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 31, "completion_tokens": 34, "total_tokens": 65},
        }
    ).encode()


def _stream_body(chunks: int) -> bytes:
    """``chunks`` SSE events: content deltas, then a usage-only chunk, then [DONE]."""
    words = ANSWER.split(" ")
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1_700_000_000,
            "model": CHAT_MODEL + "-2024-07-18"}  # fmt: skip
    events = []
    for i in range(chunks - 1):
        delta: dict[str, Any] = {"content": words[i % len(words)] + " "}
        if i == 0:
            delta["role"] = "assistant"
        finish = "stop" if i == chunks - 2 else None
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        events.append({**base, "choices": [choice]})
    usage = {"prompt_tokens": 31, "completion_tokens": chunks - 1, "total_tokens": 30 + chunks}
    events.append({**base, "choices": [], "usage": usage})
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def _embedding_bodies() -> tuple[bytes, bytes]:
    """The same vector as a float list and as base64 (what the SDK asks for)."""
    vector = [((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(EMBED_DIMENSIONS)]
    usage = {"prompt_tokens": 9, "total_tokens": 9}
    packed = base64.b64encode(struct.pack(f"<{EMBED_DIMENSIONS}f", *vector)).decode()

    def body(embedding: Any) -> bytes:
        item = {"object": "embedding", "index": 0, "embedding": embedding}
        return json.dumps(
            {"object": "list", "data": [item], "model": EMBED_MODEL, "usage": usage}
        ).encode()

    return body(vector), body(packed)


def _responses_body() -> bytes:
    """A Responses API answer: one message output item, usage with details."""
    return json.dumps(
        {
            "id": "resp-bench",
            "object": "response",
            "created_at": 1_700_000_000,
            "status": "completed",
            "model": CHAT_MODEL + "-2024-07-18",
            "output": [
                {
                    "type": "message",
                    "id": "msg-bench",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": ANSWER, "annotations": []}],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": 31,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 34,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 65,
            },
        }
    ).encode()


def _gemini_embed_body(texts: int) -> bytes:
    vector = [((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(GEMINI_EMBED_DIMENSIONS)]
    return json.dumps({"embeddings": [{"values": vector} for _ in range(texts)]}).encode()


def _gemini_body() -> bytes:
    return json.dumps(
        {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": ANSWER}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 31,
                "candidatesTokenCount": 34,
                "totalTokenCount": 65,
            },
            "modelVersion": GEMINI_MODEL,
            "responseId": "bench-response",
        }
    ).encode()


def httpx_module_for(client_class: type) -> ModuleType:
    """The httpx flavour (``httpx2`` for openai 3.x, else ``httpx``) an SDK's
    default client class derives from."""
    for klass in client_class.__mro__:
        top = klass.__module__.split(".")[0]
        if top in ("httpx2", "httpx"):
            return importlib.import_module(top)
    return importlib.import_module("httpx")


@dataclass
class Clients:
    """The SDK clients every workload calls, and what they cost to call."""

    openai: Any
    gemini: Any | None
    openai_version: str
    genai_version: str | None
    requests: int = 0


def make_clients() -> Clients:
    import openai

    chat, stream, responses = _chat_body(), _stream_body(STREAM_CHUNKS), _responses_body()
    embed_float, embed_b64 = _embedding_bodies()
    clients = Clients(openai=None, gemini=None, openai_version=openai.__version__,
                      genai_version=None)  # fmt: skip
    hx = httpx_module_for(getattr(openai, "DefaultHttpxClient", object))
    json_headers = {"content-type": "application/json"}
    sse_headers = {"content-type": "text/event-stream"}

    def openai_handler(request: Any) -> Any:
        clients.requests += 1
        path = request.url.path
        if path.endswith("/embeddings"):
            wants_b64 = b'"base64"' in request.content
            return hx.Response(200, content=embed_b64 if wants_b64 else embed_float,
                               headers=json_headers)  # fmt: skip
        if path.endswith("/responses"):
            return hx.Response(200, content=responses, headers=json_headers)
        if b'"stream":true' in request.content.replace(b" ", b""):
            return hx.Response(200, content=stream, headers=sse_headers)
        return hx.Response(200, content=chat, headers=json_headers)

    clients.openai = openai.OpenAI(
        api_key="sk-bench",
        base_url="http://bench.local/v1",
        http_client=hx.Client(transport=hx.MockTransport(openai_handler)),
        max_retries=0,
    )
    clients.gemini, clients.genai_version = _make_gemini(clients)
    return clients


def _make_gemini(clients: Clients) -> tuple[Any | None, str | None]:
    try:
        from google import genai
        from google.genai import types
    except ImportError:
        return None, None
    try:
        hx: ModuleType = importlib.import_module("httpx2")
    except ImportError:
        hx = importlib.import_module("httpx")
    body, embedded = _gemini_body(), _gemini_embed_body(len(EMBED_TEXTS))

    def handler(request: Any) -> Any:
        clients.requests += 1
        answer = embedded if request.url.path.endswith(":batchEmbedContents") else body
        return hx.Response(200, content=answer, headers={"content-type": "application/json"})

    options = types.HttpOptions(
        base_url="http://bench.local",
        httpx_client=hx.Client(transport=hx.MockTransport(handler)),
    )
    client = genai.Client(api_key="bench-key", http_options=options)
    return client, genai.__version__


# --- the calls ---------------------------------------------------------------------


def chat_call(clients: Clients) -> Callable[[], Any]:
    completions = clients.openai.chat.completions

    def call() -> Any:
        return completions.create(model=CHAT_MODEL, messages=MESSAGES, temperature=0.2,
                                  max_tokens=200)  # fmt: skip

    return call


def stream_call(clients: Clients) -> Callable[[], Any]:
    completions = clients.openai.chat.completions

    def call() -> Any:
        stream = completions.create(model=CHAT_MODEL, messages=MESSAGES, stream=True,
                                    stream_options={"include_usage": True})  # fmt: skip
        count = 0
        for _chunk in stream:
            count += 1
        if count != STREAM_CHUNKS:
            raise AssertionError(f"expected {STREAM_CHUNKS} chunks, got {count}")
        return count

    return call


def embeddings_call(clients: Clients) -> Callable[[], Any]:
    embeddings = clients.openai.embeddings

    def call() -> Any:
        return embeddings.create(model=EMBED_MODEL, input="What is an API?")

    return call


def gemini_call(clients: Clients) -> Callable[[], Any] | None:
    if clients.gemini is None:
        return None
    models = clients.gemini.models

    def call() -> Any:
        return models.generate_content(model=GEMINI_MODEL, contents="What is an API?")

    return call


def responses_call(clients: Clients) -> Callable[[], Any] | None:
    responses = getattr(clients.openai, "responses", None)
    if responses is None:  # openai before 1.66
        return None

    def call() -> Any:
        return responses.create(model=CHAT_MODEL, instructions=MESSAGES[0]["content"],
                                input=MESSAGES[1]["content"], max_output_tokens=200)  # fmt: skip

    return call


def embed_content_call(clients: Clients) -> Callable[[], Any] | None:
    """A batch of three texts (``models.embed_content`` sends one request)."""
    if clients.gemini is None:
        return None
    models = clients.gemini.models

    def call() -> Any:
        result = models.embed_content(model=GEMINI_EMBED_MODEL, contents=EMBED_TEXTS)
        if len(result.embeddings or ()) != len(EMBED_TEXTS):
            raise AssertionError("expected one vector per text")
        return result

    return call
