"""A loopback stand-in for the Bedrock runtime API (``converse`` and ``invoke_model``).

The real ``boto3`` client talks to it through ``endpoint_url=`` or the
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` variable (with any credentials: the
signature is not checked). ``converse`` with a ``toolConfig`` asks for the first
tool until the conversation holds a tool result, then answers; ``invoke_model``
answers an Anthropic-on-Bedrock body with the token-count headers Bedrock sends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

ANSWER = "Python is a programming language."
USAGE = {"inputTokens": 21, "outputTokens": 9, "totalTokens": 30}


def _has_tool_result(messages: list[dict[str, Any]]) -> bool:
    return any("toolResult" in part for m in messages for part in m.get("content", []))


def converse_reply(body: dict[str, Any]) -> dict[str, Any]:
    tools = (body.get("toolConfig") or {}).get("tools") or []
    messages = body.get("messages") or []
    if tools and not _has_tool_result(messages):
        spec = tools[0]["toolSpec"]
        content = [{"toolUse": {"toolUseId": "tooluse-1", "name": spec["name"],
                                "input": {"query": "python"}}}]  # fmt: skip
        stop = "tool_use"
    else:
        content, stop = [{"text": ANSWER}], "end_turn"
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop,
        "usage": dict(USAGE),
        "metrics": {"latencyMs": 12},
    }


def invoke_reply(model: str) -> dict[str, Any]:
    return {
        "id": "msg_bdrk_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": ANSWER}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 14, "output_tokens": 7},
    }


class _Handler(BaseHTTPRequestHandler):
    calls: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        parts = self.path.strip("/").split("/")  # model/<id>/converse | model/<id>/invoke
        model, action = unquote(parts[1]), parts[-1]
        self.server.calls.append((action, body))  # type: ignore[attr-defined]
        headers = {}
        if action == "converse":
            payload = converse_reply(body)
        else:
            payload = invoke_reply(model)
            headers = {"X-Amzn-Bedrock-Input-Token-Count": "14",
                       "X-Amzn-Bedrock-Output-Token-Count": "7"}  # fmt: skip
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def bedrock_stub() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """``(endpoint URL, calls)``: the server runs for the ``with`` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.calls = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.calls  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def bedrock_env(endpoint: str) -> dict[str, str]:
    """What an unchanged ``boto3.client("bedrock-runtime")`` needs to reach the stub."""
    return {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret-not-real",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
