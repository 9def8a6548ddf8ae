"""The Gemini dialect of the stand-in: generate_content (plain and SSE) and Veo videos,
for both the Gemini Developer API and Vertex AI paths.

Paths are ``/{version}/{prefix}models/{model}:{method}``, where ``prefix`` is
empty for the Developer API and ``projects/P/locations/L/publishers/google/``
(or just ``publishers/google/`` in Vertex express mode) for Vertex AI; a
``publishers/`` prefix is what marks a Vertex request.

Function calls follow the same rule as the OpenAI side: with
``functionDeclarations`` in ``tools``, a calling mode other than ``NONE`` and a
last content that is the user's text (not a ``functionResponse``), the answer
is a ``functionCall``; otherwise it is text.

Videos: ``:predictLongRunning`` returns an operation name; polling it answers
``done: false`` for the first ``video_polls`` polls, then the finished
operation in the dialect's own shape (Developer API: ``generateVideoResponse``
with download URIs; Vertex: ``videos`` with ``gcsUri`` under the request's
``storageUri``, else ``bytesBase64Encoded``). A model name containing
``operation-error`` finishes with an operation error instead.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import _text
from ._reply import Ids, Reply, injected_status

FAKE_VIDEO = b"\x00\x00\x00\x18ftypmp42stand-in video bytes"
VIDEO_MIME = "video/mp4"

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_THINKING_MARKERS = ("2.5", "thinking", "gemini-3")


def error(status: int, message: str) -> Reply:
    name = _STATUS_NAMES.get(status, "UNKNOWN" if status >= 500 else "FAILED_PRECONDITION")
    return Reply(
        status=status, body={"error": {"code": status, "message": message, "status": name}}
    )


def _injected(model: str) -> Reply | None:
    status = injected_status(model)
    if status is None:
        return None
    return error(status, f"Injected error {status} for model '{model}' (stand-in).")


@dataclass
class _Operation:
    name: str
    model: str
    vertex: bool
    samples: int
    storage_uri: str | None
    polls: int = 0


class GeminiDialect:
    """Routes and the state of long-running video operations, for one server."""

    def __init__(self, ids: Ids, *, video_polls: int, base_url: str) -> None:
        self._ids = ids
        self._video_polls = video_polls
        self._base_url = base_url
        self._operations: dict[str, _Operation] = {}
        self._lock = threading.Lock()

    # -- generate_content ---------------------------------------------------------
    def generate_content(
        self, model: str, body: dict[str, Any], *, vertex: bool, stream: bool
    ) -> Reply:
        injected = _injected(model)
        if injected is not None:
            return injected
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return error(400, "* GenerateContentRequest.contents: contents is not specified")
        last = contents[-1] if isinstance(contents[-1], dict) else {}
        last_text = _text.text_of(last.get("parts"))
        prompt_text = " ".join(_text.text_of(c) for c in contents if isinstance(c, dict))
        system = _text.text_of(body.get("systemInstruction") or "")
        prompt_tokens = _text.count_tokens(f"{system} {prompt_text}".strip())
        config = body.get("generationConfig") or {}
        text, cut = _text.truncate_words(
            _text.reply_for(last_text, model), config.get("maxOutputTokens")
        )
        call = _function_call(body, last, last_text)
        count = int(config.get("candidateCount") or 1)
        response_id = self._ids.next("resp")
        thoughts = 8 if any(m in model for m in _THINKING_MARKERS) else 0

        def usage(completion: int) -> dict[str, Any]:
            out: dict[str, Any] = {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": completion,
                "totalTokenCount": prompt_tokens + completion + thoughts,
                "cachedContentTokenCount": prompt_tokens // 2,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
            }
            if thoughts:
                out["thoughtsTokenCount"] = thoughts
            return out

        def response(parts: list[Any], finish: str | None, completion: int) -> dict[str, Any]:
            candidates = []
            for index in range(count):
                candidate: dict[str, Any] = {
                    "content": {"parts": parts, "role": "model"},
                    "index": index,
                }
                if finish is not None:
                    candidate["finishReason"] = finish
                candidates.append(candidate)
            out: dict[str, Any] = {
                "candidates": candidates,
                "usageMetadata": usage(completion),
                "modelVersion": model,
                "responseId": response_id,
            }
            if vertex:
                out["createTime"] = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            return out

        finish = "MAX_TOKENS" if cut and call is None else "STOP"
        completion_tokens = _text.count_tokens(str(call) if call else text) * count
        if not stream:
            parts = [{"functionCall": call}] if call else [{"text": text}]
            return Reply(body=response(parts, finish, completion_tokens))

        def events() -> Iterator[Any]:
            if call is not None:
                yield response([{"functionCall": call}], finish, completion_tokens)
                return
            pieces = _text.split_words(text)
            sent = ""
            for i, piece in enumerate(pieces):
                sent += piece
                done = i == len(pieces) - 1
                # Usage is cumulative on every chunk, as Gemini sends it: summing it is a bug.
                tokens = completion_tokens if done else _text.count_tokens(sent) * count
                yield response([{"text": piece}], finish if done else None, tokens)

        return Reply(events=events(), content_type="text/event-stream")

    # -- videos ------------------------------------------------------------------
    def predict_long_running(
        self, prefix: str, model: str, body: dict[str, Any], *, vertex: bool
    ) -> Reply:
        injected = _injected(model)
        if injected is not None:
            return injected
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances:
            return error(400, "instances must be a non-empty list")
        parameters = body.get("parameters") or {}
        name = f"{prefix}models/{model}/operations/{self._ids.next('op')}"
        operation = _Operation(
            name=name,
            model=model,
            vertex=vertex,
            samples=max(1, int(parameters.get("sampleCount") or 1)),
            storage_uri=parameters.get("storageUri"),
        )
        with self._lock:
            self._operations[name] = operation
        return Reply(body={"name": name})

    def poll(self, name: str) -> Reply:
        with self._lock:
            operation = self._operations.get(name)
            if operation is not None:
                operation.polls += 1
                polls = operation.polls
        if operation is None:
            return error(404, f"Operation '{name}' not found (stand-in).")
        if polls <= self._video_polls:
            return Reply(body={"name": name, "done": False})
        if "operation-error" in operation.model:
            failure = {"code": 13, "message": "Video generation failed (stand-in)."}
            return Reply(body={"name": name, "done": True, "error": failure})
        return Reply(body={"name": name, "done": True, "response": self._finished(operation)})

    def _finished(self, operation: _Operation) -> dict[str, Any]:
        op_id = operation.name.rsplit("/", 1)[-1]
        if not operation.vertex:
            samples = [
                {
                    "video": {
                        "uri": f"{self._base_url}/v1beta/files/{op_id}-{i}:download?alt=media",
                        "encoding": VIDEO_MIME,
                    }
                }
                for i in range(operation.samples)
            ]
            return {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                "PredictLongRunningResponse",
                "generateVideoResponse": {"generatedSamples": samples},
            }
        videos: list[dict[str, Any]] = []
        for i in range(operation.samples):
            if operation.storage_uri:
                root = operation.storage_uri.rstrip("/")
                videos.append({"gcsUri": f"{root}/{op_id}/sample_{i}.mp4", "mimeType": VIDEO_MIME})
            else:
                encoded = base64.b64encode(FAKE_VIDEO).decode("ascii")
                videos.append({"bytesBase64Encoded": encoded, "mimeType": VIDEO_MIME})
        return {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "raiMediaFilteredCount": 0,
            "videos": videos,
        }


def _function_call(body: dict[str, Any], last: dict[str, Any], last_text: str) -> Any:
    declarations = [
        d
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for d in tool.get("functionDeclarations") or []
        if isinstance(d, dict)
    ]
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    parts = last.get("parts") or []
    from_user = last.get("role", "user") == "user" and not any(
        isinstance(p, dict) and "functionResponse" in p for p in parts
    )
    if not declarations or calling.get("mode") == "NONE" or not from_user:
        return None
    allowed = calling.get("allowedFunctionNames") or []
    said = last_text.lower()
    chosen = (
        next((d for d in declarations if d.get("name") in allowed), None)
        or next((d for d in declarations if str(d.get("name", "")).lower() in said), None)
        or declarations[0]
    )
    # google-genai sends a Python callable's schema as ``parameters_json_schema``.
    schema = (
        chosen.get("parameters")
        or chosen.get("parametersJsonSchema")
        or chosen.get("parameters_json_schema")
    )
    return {"name": chosen.get("name"), "args": _text.args_for(schema, last_text)}
